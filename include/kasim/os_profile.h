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
  kAlwaysKeepalive,    // BSD net.inet.tcp.always_keepalive: probe every connection (0/1)
  kKeepaliveAbort,     // illumos _keepalive_abort_interval: give up this long after idle
  kRetransmitAbort,    // illumos _ip_abort_interval (R2): give up on data after this long
  kSynLinearTimeouts,  // Linux tcp_syn_linear_timeouts: SYN retransmissions at the initial RTO before doubling
  kOrphanRetries,      // Linux tcp_orphan_retries: retransmission limit once the application has closed
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
  // Fields the non-Linux profiles add (Linux leaves them at these values):
  bool always_keepalive = false;  // BSD always_keepalive: keepalive without SO_KEEPALIVE
  Time keepalive_abort;           // illumos keepalive abort interval; 0 = probe forever
  Time retransmit_abort;          // illumos R2 (tcp_second_timer_threshold)
  // Linux 6.x tcp_syn_linear_timeouts: the first this-many SYN
  // retransmissions keep the initial RTO (1 s) before exponential backoff,
  // and the SYN give-up limit grows by the same number. 0 elsewhere.
  int syn_linear_timeouts = 0;
  // Linux tcp_orphan_retries: the tcp_retries2 that applies instead once the
  // application has closed the socket (an orphan: FIN_WAIT1, CLOSING,
  // LAST_ACK). 0, the default, means 8 while the RTO is below TCP_RTO_MAX
  // and 0 after (tcp_orphan_retries()). Only the Linux rules read it.
  int orphan_retries = 0;
};

// A per-socket option as a scenario's `keepalive:` block names it.
// kAbort: illumos TCP_KEEPALIVE_ABORT_THRESHOLD, give up this long after idle.
enum class SocketOption : uint8_t { kIdle, kInterval, kCount, kUserTimeout, kAbort };

// An OS may list two options that set the same SocketOption (illumos:
// TCP_KEEPIDLE in s and TCP_KEEPALIVE_THRESHOLD in ms both set the idle
// time); the first listed is the primary one (primary_socket_option()).
struct SocketOptionSpec {
  std::string_view key;      // scenario key: idle, interval, count, user_timeout, keepalive_threshold, ...
  SocketOption option;
  std::string_view os_name;  // the OS's own name: TCP_KEEPIDLE ...
  std::string_view unit;     // "s", "ms", "count"
  int64_t unit_ns;           // 0 for counts
  int64_t min, max;          // in the option's own unit
  std::string_view source;
};

// ---------------------------------------------------------------- rules
// The rules that differ between kernels. TcpEndpoint branches on these, never
// on the profile's name. docs/profiles/<os>.md gives each rule's source.

// What the idle time of keepalive is measured from.
enum class IdleReference : uint8_t {
  kAcceptableAckOrData,  // Linux: max(last acceptable ACK, last in-order data)
  kAnySegment,           // BSD, XNU, AIX, illumos: any segment reaching the connection
};
// The ACK field of a keepalive probe.
enum class ProbeAck : uint8_t {
  kRcvNxt,               // RCV.NXT (everyone but AIX)
  kRcvNxtMinus1,         // RCV.NXT-1: 4.2BSD-compatible probe (AIX TCP_COMPAT_42)
};
// How the time between probes is chosen.
enum class ProbeSpacing : uint8_t {
  kInterval,             // keepintvl
  kRtoBackoff,           // illumos: first RTO, then doubling, capped (unless TCP_KEEPINTVL)
};
// When keepalive gives up.
enum class KeepaliveGiveUp : uint8_t {
  kProbeCount,           // Linux: the fire after cnt unanswered probes (probes_out >= cnt)
  kIdlePlusCount,        // BSD: a fire with now - L >= idle + cnt*intvl: cnt probes
  kSlowtimoCountPlusOne, // AIX/4.4BSD: t_idle (one tick behind) >= idle + cnt*intvl: cnt+1 probes
  kAbortInterval,        // illumos: a fire with now - L > idle + abort interval
};
// How the OS's TCP timers fire.
enum class TimerModel : uint8_t {
  kLinuxWheel,           // jiffies timer wheel (linux_timer.h), host `hz`
  kSlowtimo,             // 500 ms protocol ticks on a global grid (slowtimo.h)
  kExact,                // callouts modelled as exact
};
// When retransmission of unacknowledged data gives up.
enum class RetransmitGiveUp : uint8_t {
  kLinuxModel,           // tcp_retries2 via tcp_model_timeout(), or TCP_USER_TIMEOUT
  kCount,                // BSD/AIX/Windows: the expiry after `retries2` retransmissions
  kWaitedBeyondR2,       // illumos: accumulated backed-off RTOs > R2
};
// What the application sees when keepalive gives up.
enum class KeepaliveError : uint8_t { kEtimedout, kWsaEnetreset };

struct KeepaliveRules {
  IdleReference idle_reference = IdleReference::kAcceptableAckOrData;
  uint8_t probe_payload = 0;            // bytes in a probe: 0, or 1 (an old/garbage octet)
  uint8_t probe_fill = 0;               // the byte's value when probe_payload is 1
  ProbeAck probe_ack = ProbeAck::kRcvNxt;
  ProbeSpacing spacing = ProbeSpacing::kInterval;
  KeepaliveGiveUp give_up = KeepaliveGiveUp::kProbeCount;
  bool rst_on_give_up = true;           // RST|ACK (seq snd_nxt, ack rcv_nxt) when giving up
  bool probe_while_outstanding = false; // probe even with unacknowledged data in flight
  bool rearm_on_receive = false;        // each received segment re-arms the timer to idle
  bool timer_always_runs = false;       // BSD: the keep timer runs without SO_KEEPALIVE
  bool enable_arms_idle = true;         // SO_KEEPALIVE arms the timer at now + idle
  bool idle_option_rearms = true;       // TCP_KEEPIDLE re-arms for the remaining idle time
  KeepaliveError error = KeepaliveError::kEtimedout;
};

struct RetransmitRules {
  RetransmitGiveUp give_up = RetransmitGiveUp::kLinuxModel;
  bool rst_on_give_up = false;          // BSD tcp_drop() sends RST|ACK; Linux, illumos do not
  int max_backoff_shift = 0;            // backoff multiplier caps at 2^this (FreeBSD 9: 512x)
  Time rto_slop;                        // added to every RTO (FreeBSD tcp_rexmit_slop)
  bool tail_loss_probe = false;         // Linux TLP before the first RTO
  bool linux_rtt_estimator = false;     // tcp_rtt_estimator(); else RFC 6298
};

// How the endpoint answers what it receives (beyond the common RFC rules).
struct ReceiveRules {
  bool oow_ack_ratelimit = false;       // Linux tcp_invalid_ratelimit on 0-byte out-of-window segments
  bool accept_rst_rcv_nxt_minus_1 = false;  // AIX: a RST at RCV.NXT-1 answers a 4.2-style probe
  // When the process dies, a socket still holding received data it never
  // read: true, aborted with an RST; false, the data is flushed and a FIN
  // sent (process_kill.h). Its source is the profile's "process killed" rule.
  bool kill_resets_unread = false;
};

// Where one rule comes from, for `kasim profiles <os>` and the docs.
struct RuleSource {
  std::string_view rule;     // short name: "idle reference", "probe", ...
  std::string_view text;     // the rule in one sentence, with the OS's units
  std::string_view source;   // file + function, or vendor document
  bool verified;             // false: UNVERIFIED (an assumption; see the docs)
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
  TimerModel timer = TimerModel::kLinuxWheel;
  Time tick;                 // kSlowtimo: the nominal protocol tick (500 ms)
  KeepaliveRules keepalive;
  RetransmitRules retransmit;
  ReceiveRules receive;
  std::span<const RuleSource> rules;  // every rule above, with its source
  std::string_view no_option_hint;    // said when a per-socket option is missing
};

// nullptr if no profile has that name.
const OsProfile* find_os_profile(std::string_view name);
std::span<const std::string_view> os_profile_names();
// The first per-socket option of `os` that sets `opt`, nullptr if none. Later
// ones are other spellings: `kasim tune` recommends and `explain` names the first.
const SocketOptionSpec* primary_socket_option(const OsProfile& os, SocketOption opt);
// A tunable's default in its own unit (e.g. 14400 for AIX tcp_keepidle).
int64_t sysctl_default(const OsProfile& os, const SysctlSpec& spec);
// Every profile, in os_profile_names() order.
std::span<const OsProfile* const> os_profiles();

}  // namespace kasim
