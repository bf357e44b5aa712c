#include "kasim/os_profile.h"

#include <array>

namespace kasim {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

// Linux: include/net/tcp.h (TCP_KEEPALIVE_TIME/INTVL/PROBES, MAX_TCP_KEEP*,
// TCP_RTO_MIN/MAX, TCP_TIMEOUT_INIT), Documentation/networking/ip-sysctl.rst.
constexpr std::array<SysctlSpec, 7> kLinuxSysctls{{
    {"net.ipv4.tcp_keepalive_time", SysctlField::kKeepaliveIdle, "s", kS, 1, 32767,
     "ip-sysctl.rst tcp_keepalive_time (seconds, default 7200); proc_dointvec_jiffies"},
    {"net.ipv4.tcp_keepalive_intvl", SysctlField::kKeepaliveInterval, "s", kS, 1, 32767,
     "ip-sysctl.rst tcp_keepalive_intvl (seconds, default 75)"},
    {"net.ipv4.tcp_keepalive_probes", SysctlField::kKeepaliveProbes, "count", 0, 1, 127,
     "ip-sysctl.rst tcp_keepalive_probes (default 9); MAX_TCP_KEEPCNT 127"},
    {"net.ipv4.tcp_retries2", SysctlField::kRetries2, "count", 0, 0, 255,
     "ip-sysctl.rst tcp_retries2 (default 15, ~924.6 s via tcp_model_timeout)"},
    {"net.ipv4.tcp_syn_retries", SysctlField::kSynRetries, "count", 0, 1, 127,
     "ip-sysctl.rst tcp_syn_retries (default 6, ~127 s)"},
    {"net.ipv4.tcp_synack_retries", SysctlField::kSynAckRetries, "count", 0, 0, 255,
     "ip-sysctl.rst tcp_synack_retries (default 5)"},
    {"net.ipv4.tcp_invalid_ratelimit", SysctlField::kInvalidRatelimit, "ms", kMs, 0, 3600000,
     "ip-sysctl.rst tcp_invalid_ratelimit (ms, default 500): answers to out-of-window segments"},
}};

// net/ipv4/tcp.c do_tcp_setsockopt(): TCP_KEEPIDLE/KEEPINTVL 1..32767 s,
// TCP_KEEPCNT 1..127, TCP_USER_TIMEOUT ms >= 0 (0 = off).
constexpr std::array<SocketOptionSpec, 4> kLinuxSocketOptions{{
    {"idle", SocketOption::kIdle, "TCP_KEEPIDLE", "s", kS, 1, 32767,
     "net/ipv4/tcp.c tcp_sock_set_keepidle_locked(): 1..MAX_TCP_KEEPIDLE"},
    {"interval", SocketOption::kInterval, "TCP_KEEPINTVL", "s", kS, 1, 32767,
     "net/ipv4/tcp.c do_tcp_setsockopt(): 1..MAX_TCP_KEEPINTVL"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 1, 127,
     "net/ipv4/tcp.c do_tcp_setsockopt(): 1..MAX_TCP_KEEPCNT"},
    {"user_timeout", SocketOption::kUserTimeout, "TCP_USER_TIMEOUT", "ms", kMs, 0, INT32_MAX,
     "net/ipv4/tcp.c do_tcp_setsockopt(): ms, < 0 is EINVAL, 0 = off"},
}};

const OsProfile kLinux{
    "linux",
    "Linux (net/ipv4, 6.x)",
    HostTunables{Time::s(7200), Time::s(75), 9, 15, 6, 5, Time::ms(500)},
    kLinuxSysctls,
    kLinuxSocketOptions,
    250,  // Debian's CONFIG_HZ; the kernel on this project's machines is HZ=250
    32768, 60999,  // net.ipv4.ip_local_port_range defaults
    Time::ms(200), Time::s(120), Time::s(1),  // TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_INIT
    64240,  // initial receive window for a 1460-byte MSS
    1460,
};

constexpr std::array<std::string_view, 1> kNames{"linux"};

}  // namespace

const OsProfile* find_os_profile(std::string_view name) {
  if (name == kLinux.name) return &kLinux;
  return nullptr;
}

std::span<const std::string_view> os_profile_names() { return kNames; }

}  // namespace kasim
