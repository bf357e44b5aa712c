// Operating-system profiles: each OS's TCP keepalive and retransmission
// defaults, the names and units of its tunables, and its per-socket options.
//
// A profile is data plus the few rules that differ between kernels. Every
// field states its unit, its default and where the value comes from.
// Profiles are immutable and live for the whole program.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kasim/time.h"

namespace kasim {

// A system tunable as an operator writes it in a host's `sysctl:` block.
enum class SysctlField : uint8_t {
  kKeepaliveIdle,      // time before the first probe
  kKeepaliveInterval,  // time between probes
  kKeepaliveProbes,    // probe count
  kRetries2,           // data retransmission limit (Linux tcp_retries2)
  kSynRetries,         // SYN retransmissions (Linux tcp_syn_retries)
  kSynAckRetries,      // SYN-ACK retransmissions (Linux tcp_synack_retries)
  kInvalidRatelimit,   // minimum gap between answers to out-of-window segments
};

struct SysctlSpec {
  std::string_view name;   // e.g. "net.ipv4.tcp_keepalive_time"
  SysctlField field;
  std::string_view unit;   // "s", "ms", "count", "half-seconds"
  int64_t unit_ns;         // nanoseconds per unit; 0 for counts
  int64_t min, max;        // accepted range, in the tunable's own unit
  std::string_view source; // where the name, unit and range come from
};

// Values of a host's tunables after defaults and overrides.
struct HostTunables {
  Time keepalive_idle;
  Time keepalive_interval;
  int keepalive_probes = 0;
  int retries2 = 0;
  int syn_retries = 0;
  int synack_retries = 0;
  Time invalid_ratelimit;
};

// A per-socket option as a scenario's `keepalive:` block names it.
enum class SocketOption : uint8_t { kIdle, kInterval, kCount, kUserTimeout };

struct SocketOptionSpec {
  std::string_view key;      // scenario key: idle, interval, count, user_timeout
  SocketOption option;
  std::string_view os_name;  // the OS's own name: TCP_KEEPIDLE ...
  std::string_view unit;     // "s", "ms", "count"
  int64_t unit_ns;           // 0 for counts
  int64_t min, max;          // in the option's own unit
  std::string_view source;
};

struct OsProfile {
  std::string_view name;     // scenario spelling: linux
  std::string_view title;    // "Linux (net/ipv4)"
  HostTunables defaults;
  std::span<const SysctlSpec> sysctls;
  std::span<const SocketOptionSpec> socket_options;
  int default_hz = 0;        // Linux timer-wheel HZ; 0: exact timers
  uint16_t ephemeral_port_lo = 0, ephemeral_port_hi = 0;
  Time rto_min, rto_max, rto_initial;
  uint16_t window = 0;       // advertised receive window (no scaling modelled)
  uint16_t mss = 0;
};

// nullptr if no profile has that name.
const OsProfile* find_os_profile(std::string_view name);
std::span<const std::string_view> os_profile_names();

}  // namespace kasim
