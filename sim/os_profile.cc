// The OS profiles: data only. Every value names its source; values that are
// assumptions are marked UNVERIFIED here, in the RuleSource table and in
// docs/profiles/<os>.md. Research notes with quotes of the code:
// ../shared/reference/os-keepalive.md (sections per OS).
#include "kasim/os_profile.h"

#include <array>
#include <climits>

namespace kasim {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kHalfS = 500'000'000;

// ================================================================== Linux
// include/net/tcp.h (TCP_KEEPALIVE_TIME/INTVL/PROBES, MAX_TCP_KEEP*,
// TCP_RTO_MIN/MAX, TCP_TIMEOUT_INIT), Documentation/networking/ip-sysctl.rst.
constexpr std::array<SysctlSpec, 9> kLinuxSysctls{{
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
    {"net.ipv4.tcp_syn_linear_timeouts", SysctlField::kSynLinearTimeouts, "count", 0, 0, 255,
     "read as 4 on this project's 6.18 kernel and measured there: SYN retransmissions 1 s apart five times, then "
     "doubling (tcp_retransmit_timer(); the 0..255 range is UNVERIFIED)"},
    {"net.ipv4.tcp_orphan_retries", SysctlField::kOrphanRetries, "count", 0, 0, 255,
     "ip-sysctl.rst tcp_orphan_retries (default 0 = 8 while the RTO is below 120 s: tcp_timer.c "
     "tcp_orphan_retries()); the 0..255 range is UNVERIFIED (proc_dointvec accepts any int)"},
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

constexpr std::array<RuleSource, 12> kLinuxRules{{
    {"idle reference", "idle = now - max(last acceptable ACK (rcv_tstamp, ack in [snd_una, snd_nxt], duplicates included), last in-order data (lrcvtime)); out-of-window segments (data too), old ACKs (ack < snd_una), ACKs of unsent data (the whole segment is dropped) and the peer's 0-byte probes do not reset it",
     "include/net/tcp.h keepalive_time_elapsed(); net/ipv4/tcp_input.c tcp_validate_incoming(), tcp_ack() (old_ack, ACK_UNSENT_DATA), tcp_event_data_recv()", true},
    {"enable", "SO_KEEPALIVE at time S arms the timer at S+idle; TCP_KEEPIDLE re-arms for the remaining idle time",
     "net/ipv4/tcp.c tcp_set_keepalive(), tcp_sock_set_keepidle_locked()", true},
    {"probe", "ACK, 0 bytes, seq = snd_una-1, ack = rcv_nxt",
     "net/ipv4/tcp_output.c tcp_xmit_probe_skb(), tcp_write_wakeup()", true},
    {"outstanding data", "no probe while data is in flight or queued: the timer re-arms for a full idle",
     "net/ipv4/tcp_timer.c tcp_keepalive_timer(): packets_out || !tcp_write_queue_empty()", true},
    {"give-up", "cnt probes at L+idle+k*intvl; the fire at L+idle+cnt*intvl sends RST|ACK (seq snd_nxt, ack rcv_nxt); ETIMEDOUT. With TCP_USER_TIMEOUT the count is ignored: abort at the first fire with elapsed >= UT and >= 1 probe sent",
     "net/ipv4/tcp_timer.c tcp_keepalive_timer(), tcp_write_err(); tcp_output.c tcp_send_active_reset()", true},
    {"timers", "timer-wheel timers: every arm rounded up to the wheel level's granularity on the absolute jiffies grid (host hz, phase from the seed)",
     "kernel/time/timer.c calc_index(), enqueue_timer()", true},
    {"answers to probes", "a 0-byte probe (seq rcv_nxt-1) fails tcp_sequence(); its dupack, like every challenge ACK (in-window RST or SYN, ACK of unsent data), is skipped while the last such answer is less than tcp_invalid_ratelimit (500 ms) old (per socket). A 1-byte probe ends at rcv_nxt, is acceptable and is ACKed at once; out-of-window data is answered at once and does not count",
     "net/ipv4/tcp_input.c tcp_validate_incoming(), tcp_oow_rate_limited() ('Data packets without SYNs are not likely part of an ACK loop'), __tcp_oow_rate_limited(), tcp_send_challenge_ack()", true},
    {"retransmission", "RTT estimator as tcp_rtt_estimator(), RTO = srtt + max(4*mdev, 200 ms), doubling capped at 120 s; a tail-loss probe (2*srtt + 200 ms) first",
     "net/ipv4/tcp_input.c tcp_rtt_estimator(), tcp_timer.c tcp_retransmit_timer(), tcp_output.c tcp_schedule_loss_probe()", true},
    {"retransmission give-up", "at an RTO expiry with now - first retransmission >= tcp_model_timeout(tcp_retries2=15, 200 ms) = 924.6 s (or TCP_USER_TIMEOUT): ETIMEDOUT, no RST",
     "net/ipv4/tcp_timer.c tcp_write_timeout(), retransmits_timed_out(), tcp_model_timeout()", true},
    {"orphan give-up", "once the application has closed (FIN_WAIT1, CLOSING, LAST_ACK) tcp_orphan_retries replaces tcp_retries2 in the same time rule: 0 (the default) means 8 while the RTO is below 120 s, so the expiry with now - first retransmission >= tcp_model_timeout(8, 200 ms) = 102.2 s gives up (8 retransmissions at a 200 ms RTO); the socket is freed without an RST and nobody is told (the application has closed). Not modelled: the ICMP soft-error case (retries 0) and tcp_out_of_resources() (too many orphans, memory pressure)",
     "net/ipv4/tcp_timer.c tcp_write_timeout() (SOCK_DEAD), tcp_orphan_retries(), tcp_write_err(); measured: tests/kernel/orphan-retries.yaml", true},
    {"keepalive vs retransmission", "keepalive is silent while retransmitting; the retransmission rule decides",
     "net/ipv4/tcp_timer.c tcp_keepalive_timer()", true},
    {"process killed", "a killed process's socket that holds unread received data is aborted with an RST; without unread data it closes with a FIN",
     "net/ipv4/tcp.c __tcp_close(): receive queue flushed into data_was_unread; if any, tcp_send_active_reset() ('Unread data was tossed, zap the connection'), else tcp_send_fin()", true},
}};

const OsProfile kLinux{
    "linux",
    "Linux (net/ipv4, 6.x)",
    HostTunables{Time::s(7200), Time::s(75), 9, 15, 6, 5, Time::ms(500), false, Time(), Time(), 4},
    kLinuxSysctls,
    kLinuxSocketOptions,
    250,  // Debian's CONFIG_HZ; the kernel on this project's machines is HZ=250
    32768, 60999,  // net.ipv4.ip_local_port_range defaults
    Time::ms(200), Time::s(120), Time::s(1),  // TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_INIT
    64240,  // initial receive window for a 1460-byte MSS
    1460,
    TimerModel::kLinuxWheel,
    Time(),
    KeepaliveRules{},  // the defaults are Linux's
    RetransmitRules{RetransmitGiveUp::kLinuxModel, false, 0, Time(), true, true},
    ReceiveRules{true, false, true},
    kLinuxRules,
    "",
};

// ================================================================ FreeBSD
// freebsd/freebsd-src sys/netinet/tcp_timer.{c,h}, tcp_usrreq.c, tcp_input.c,
// tcp_subr.c (os-keepalive.md section 4).
constexpr std::array<SysctlSpec, 5> kFreebsdSysctls{{
    {"net.inet.tcp.keepidle", SysctlField::kKeepaliveIdle, "ms", kMs, 1, INT32_MAX,
     "sys/netinet/tcp_timer.c SYSCTL_PROC keepidle, sysctl_msec_to_ticks (ms, default 7200000)"},
    {"net.inet.tcp.keepintvl", SysctlField::kKeepaliveInterval, "ms", kMs, 1, INT32_MAX,
     "sys/netinet/tcp_timer.c SYSCTL_PROC keepintvl (ms, default 75000)"},
    {"net.inet.tcp.keepcnt", SysctlField::kKeepaliveProbes, "count", 0, 1, INT32_MAX,
     "sys/netinet/tcp_timer.c tcp_keepcnt = TCPTV_KEEPCNT (8)"},
    {"net.inet.tcp.always_keepalive", SysctlField::kAlwaysKeepalive, "0/1", 0, 0, 1,
     "sys/netinet/tcp_timer.c always_keepalive (default 1: 'Assume SO_KEEPALIVE on all TCP connections')"},
    {"net.inet.tcp.retries", SysctlField::kRetries2, "count", 0, 1, 12,
     "sys/netinet/tcp_timer.c V_tcp_retries (default TCP_MAXRXTSHIFT = 12)"},
}};
constexpr std::array<SocketOptionSpec, 3> kFreebsdSocketOptions{{
    {"idle", SocketOption::kIdle, "TCP_KEEPIDLE", "s", kS, 0, UINT_MAX / 1000,
     "sys/netinet/tcp_usrreq.c tcp_default_ctloutput(): u_int seconds, > UINT_MAX/hz is EINVAL, 0 = sysctl"},
    {"interval", SocketOption::kInterval, "TCP_KEEPINTVL", "s", kS, 0, UINT_MAX / 1000,
     "sys/netinet/tcp_usrreq.c tcp_default_ctloutput(): u_int seconds, 0 = sysctl"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 0, INT32_MAX,
     "sys/netinet/tcp_usrreq.c tcp_default_ctloutput(): u_int count, 0 = sysctl"},
}};

constexpr std::array<RuleSource, 11> kFreebsdRules{{
    {"idle reference", "idle = now - last received segment of any kind (t_rcvtime is set before the segment is validated): a peer's probe, an old ACK or an out-of-window segment all reset it",
     "sys/netinet/tcp_input.c tcp_do_segment(): tp->t_rcvtime = ticks", true},
    {"enable", "net.inet.tcp.always_keepalive=1 (the default) probes every connection, SO_KEEPALIVE or not; the keep timer runs from establishment and re-arms lazily (remaining idle) when it fires early",
     "sys/netinet/tcp_timer.c tcp_timer_keep(), always_keepalive", true},
    {"probe", "ACK, 0 bytes, seq = snd_una-1, ack = rcv_nxt",
     "sys/netinet/tcp_timer.c tcp_timer_keep(): tcp_respond(tp, ..., tp->rcv_nxt, tp->snd_una - 1, 0)", true},
    {"outstanding data", "probes are sent even while data is outstanding (no check)",
     "sys/netinet/tcp_timer.c tcp_timer_keep()", true},
    {"give-up", "a fire with now - L >= idle + cnt*intvl drops: cnt probes at L+idle+k*intvl, RST|ACK (seq snd_max, ack rcv_nxt) at L+idle+cnt*intvl; ETIMEDOUT",
     "sys/netinet/tcp_timer.c tcp_timer_keep() (TP_MAXIDLE), tcp_subr.c tcp_drop()", true},
    {"timers", "callouts modelled as exact (FreeBSD callout slack of at most a few ms is not modelled: UNVERIFIED)",
     "sys/kern/kern_timeout.c", false},
    {"retransmission", "RTO = max(t_rttmin, srtt + 4*rttvar) * backoff + 200 ms slop, backoff {1,2,4,...,512,512,...}, clamped to [30 ms, 64 s] (RFC 6298 estimator; constants UNVERIFIED in this pass)",
     "sys/netinet/tcp_timer.c tcp_timer_rexmt(), tcp_backoff[]; tcp_var.h TCPT_RANGESET", false},
    {"retransmission give-up", "the expiry with ++t_rxtshift > net.inet.tcp.retries (12): 12 retransmissions, then RST|ACK and ETIMEDOUT",
     "sys/netinet/tcp_timer.c tcp_timer_rexmt(), tcp_subr.c tcp_drop()", true},
    {"orphan give-up", "no separate limit once the application has closed: a FIN_WAIT_1, CLOSING or LAST_ACK socket retransmits as long as an open one (only FIN_WAIT_2 has its own timers: TCPTV_2MSL / tcp_finwait2_timeout, tcp_fast_finwait2_recycle). Read in a 7.x-era tcp_timer_rexmt(); the current tree is UNVERIFIED",
     "sys/netinet/tcp_timer.c tcp_timer_rexmt() (no SS_NOFDREF test), tcp_timer_2msl()", false},
    {"keepalive vs retransmission", "both timers run: probes go out while retransmitting, and whichever rule fires first drops the connection",
     "sys/netinet/tcp_timer.c tcp_timer_keep() has no outstanding-data check", true},
    {"process killed", "a killed process's socket is closed with a FIN: unread received data is flushed (an RST only for SO_LINGER 0)",
     "sys/netinet/tcp_usrreq.c tcp_disconnect(): RST only for SO_LINGER 0; otherwise sbflush(&so->so_rcv), tcp_usrclosed(), tcp_output() (FIN)", true},
}};

const OsProfile kFreebsd{
    "freebsd",
    "FreeBSD (sys/netinet, 14.x)",
    HostTunables{Time::s(7200), Time::s(75), 8, 12, 6, 5, Time(), true, Time(), Time()},
    kFreebsdSysctls,
    kFreebsdSocketOptions,
    0,
    49152, 65535,  // net.inet.ip.portrange.first/last
    Time::ms(30), Time::s(64), Time::s(1),  // rexmit_min, TCPTV_REXMTMAX, rexmit_initial
    65535, 1460,
    TimerModel::kExact,
    Time(),
    KeepaliveRules{IdleReference::kAnySegment, 0, 0, ProbeAck::kRcvNxt, ProbeSpacing::kInterval,
                   KeepaliveGiveUp::kIdlePlusCount, true, true, false, true, false, true,
                   KeepaliveError::kEtimedout},
    RetransmitRules{RetransmitGiveUp::kCount, true, 9, Time::ms(200), false, false},
    ReceiveRules{false, false, false},
    kFreebsdRules,
    "",
};

// ================================================================== macOS
// apple-oss-distributions/xnu bsd/netinet/tcp_timer.{c,h}, tcp_usrreq.c,
// tcp_input.c (os-keepalive.md section 3).
constexpr std::array<SysctlSpec, 4> kMacosSysctls{{
    {"net.inet.tcp.keepidle", SysctlField::kKeepaliveIdle, "ms", kMs, 1, INT32_MAX,
     "bsd/netinet/tcp_timer.c sysctl keepidle (TCP_RETRANSHZ = 1000: ms, default 7200000)"},
    {"net.inet.tcp.keepintvl", SysctlField::kKeepaliveInterval, "ms", kMs, 1, INT32_MAX,
     "bsd/netinet/tcp_timer.c sysctl keepintvl (ms, default 75000)"},
    {"net.inet.tcp.keepcnt", SysctlField::kKeepaliveProbes, "count", 0, 1, INT32_MAX,
     "bsd/netinet/tcp_timer.c sysctl keepcnt (default TCPTV_KEEPCNT = 8)"},
    {"net.inet.tcp.always_keepalive", SysctlField::kAlwaysKeepalive, "0/1", 0, 0, 1,
     "bsd/netinet/tcp_timer.c always_keepalive (default 0)"},
}};
constexpr std::array<SocketOptionSpec, 3> kMacosSocketOptions{{
    {"idle", SocketOption::kIdle, "TCP_KEEPALIVE", "s", kS, 0, UINT32_MAX / 1000,
     "bsd/netinet/tcp_usrreq.c tcp_ctloutput() TCP_KEEPALIVE: seconds, 0..UINT32_MAX/TCP_RETRANSHZ (there is no TCP_KEEPIDLE)"},
    {"interval", SocketOption::kInterval, "TCP_KEEPINTVL", "s", kS, 0, UINT32_MAX / 1000,
     "bsd/netinet/tcp_usrreq.c tcp_ctloutput() TCP_KEEPINTVL: seconds"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 0, INT32_MAX,
     "bsd/netinet/tcp_usrreq.c tcp_ctloutput() TCP_KEEPCNT: 0..INT32_MAX"},
}};
constexpr std::array<RuleSource, 10> kMacosRules{{
    {"idle reference", "idle = now - last received segment of any kind: tcp_input sets t_rcvtime and calls tcp_keepalive_reset() (re-arming the keep timer to idle) for every segment, before validation",
     "bsd/netinet/tcp_input.c tcp_input(): tp->t_rcvtime = tcp_now; tcp_keepalive_reset()", true},
    {"enable", "the keep timer runs from establishment; at a fire without SO_KEEPALIVE (and always_keepalive=0, the default) it re-arms for idle; TCP_KEEPALIVE sets the idle time",
     "bsd/netinet/tcp_timer.c tcp_timers() case TCPT_KEEP; TCP_CONN_KEEPIDLE()", true},
    {"probe", "ACK, 0 bytes, seq = snd_una-1, ack = rcv_nxt, no TCP options",
     "bsd/netinet/tcp_timer.c tcp_send_keep_alive() -> tcp_respond(..., tp->rcv_nxt, tp->snd_una - 1, 0)", true},
    {"outstanding data", "probes are sent even while data is outstanding (no check)",
     "bsd/netinet/tcp_timer.c tcp_timers() case TCPT_KEEP", true},
    {"give-up", "a fire with idle_time >= keepidle + keepcnt*keepintvl drops: cnt probes, RST|ACK at L+idle+cnt*intvl; ETIMEDOUT",
     "bsd/netinet/tcp_timer.c tcp_timers() (TCP_CONN_MAXIDLE), tcp_subr.c tcp_drop()", true},
    {"timers", "modelled as exact; XNU puts TCPT_KEEP in its 500 ms timer class, so real probes can be up to ~0.5 s late (UNVERIFIED)",
     "bsd/netinet/tcp_timer.h IS_TIMER_HZ_500MS()", false},
    {"retransmission", "RFC 6298 estimator, RTO >= 30 ms + 200 ms slop, backoff {1,2,4,...,64,64,...}, capped at 64 s; XNU's tail-loss probe and TCP_RXT_CONNDROPTIME are not modelled (UNVERIFIED constants)",
     "bsd/netinet/tcp_timer.c tcp_timers() case TCPT_REXMT, tcp_backoff[]", false},
    {"retransmission give-up", "the expiry with ++t_rxtshift > TCP_MAXRXTSHIFT (12): RST|ACK, ETIMEDOUT",
     "bsd/netinet/tcp_timer.c tcp_timers() case TCPT_REXMT, tcp_subr.c tcp_drop()", true},
    {"keepalive vs retransmission", "both timers run: probes go out while retransmitting",
     "bsd/netinet/tcp_timer.c tcp_timers()", true},
    {"process killed", "a killed process's socket that holds unread received data is aborted with an RST; without unread data it closes with a FIN",
     "xnu bsd/netinet/tcp_usrreq.c tcp_disconnect(): so_rcv.sb_cc != 0 || t_reassqlen != 0 -> tcp_drop() (RST)", true},
}};
const OsProfile kMacos{
    "macos",
    "macOS / XNU (bsd/netinet, xnu-11417)",
    HostTunables{Time::s(7200), Time::s(75), 8, 12, 6, 5, Time(), false, Time(), Time()},
    kMacosSysctls,
    kMacosSocketOptions,
    0,
    49152, 65535,
    Time::ms(30), Time::s(64), Time::s(1),
    65535, 1460,
    TimerModel::kExact,
    Time(),
    KeepaliveRules{IdleReference::kAnySegment, 0, 0, ProbeAck::kRcvNxt, ProbeSpacing::kInterval,
                   KeepaliveGiveUp::kIdlePlusCount, true, true, true, true, false, false,
                   KeepaliveError::kEtimedout},
    RetransmitRules{RetransmitGiveUp::kCount, true, 6, Time::ms(200), false, false},
    ReceiveRules{false, false, true},
    kMacosRules,
    "macOS has no TCP_USER_TIMEOUT (TCP_RXT_CONNDROPTIME bounds retransmission only and is not modelled)",
};

// ================================================================ OpenBSD
// openbsd/src sys/netinet/tcp_timer.{c,h}, tcp_usrreq.c, tcp_input.c
// (os-keepalive.md section 5).
constexpr std::array<SysctlSpec, 3> kOpenbsdSysctls{{
    {"net.inet.tcp.keepidle", SysctlField::kKeepaliveIdle, "s", kS, 1, 5 * 7200,
     "sys/netinet/tcp_usrreq.c tcpctl_vars keepidle (tcp_keepidle_sec, seconds, 1..5*TCPTV_KEEP_IDLE)"},
    {"net.inet.tcp.keepintvl", SysctlField::kKeepaliveInterval, "s", kS, 1, 3 * 75,
     "sys/netinet/tcp_usrreq.c tcpctl_vars keepintvl (tcp_keepintvl_sec, seconds, 1..3*TCPTV_KEEPINTVL)"},
    {"net.inet.tcp.always_keepalive", SysctlField::kAlwaysKeepalive, "0/1", 0, 0, 1,
     "sys/netinet/tcp_usrreq.c tcpctl_vars always_keepalive (default 0)"},
}};
constexpr std::array<RuleSource, 11> kOpenbsdRules{{
    {"idle reference", "idle = now - last received segment of any kind; each segment re-arms the keep timer to keepidle",
     "sys/netinet/tcp_input.c tcp_input(): tp->t_rcvtime = now; TCP_TIMER_ARM(tp, TCPT_KEEP, tcp_keepidle)", true},
    {"enable", "the keep timer runs from establishment; without SO_KEEPALIVE (always_keepalive=0, the default) a fire re-arms for idle",
     "sys/netinet/tcp_timer.c tcp_timer_keep()", true},
    {"count", "the probe count is fixed at TCPTV_KEEPCNT = 8: there is no keepcnt sysctl and no per-socket option",
     "sys/netinet/tcp_timer.h TCPTV_KEEPCNT; tcp_timer.c tcp_maxidle = TCPTV_KEEPCNT * tcp_keepintvl", true},
    {"probe", "ACK, 0 bytes, seq = snd_una-1, ack = rcv_nxt",
     "sys/netinet/tcp_timer.c tcp_timer_keep(): tcp_respond(tp, ..., tp->rcv_nxt, tp->snd_una - 1, 0, 0)", true},
    {"outstanding data", "probes are sent even while data is outstanding (no check)",
     "sys/netinet/tcp_timer.c tcp_timer_keep()", true},
    {"give-up", "a fire with now - t_rcvtime >= keepidle + 8*keepintvl drops: 8 probes, RST|ACK at L+idle+8*intvl; ETIMEDOUT",
     "sys/netinet/tcp_timer.c tcp_timer_keep(), tcp_subr.c tcp_drop()", true},
    {"timers", "modelled as exact: timers are timeout_add_msec(ticks * 500) relative to the arm; whether tcp_now is ms or 500 ms ticks in current releases is UNVERIFIED (rounding <= 0.5 s)",
     "sys/netinet/tcp_timer.h TCP_TIMER_ARM", false},
    {"retransmission", "RFC 6298 estimator, RTO in [TCPTV_MIN 1 s, TCPTV_REXMTMAX 64 s], backoff {1,2,4,...,64,64,...}",
     "sys/netinet/tcp_timer.c tcp_timer_rexmt(), tcp_backoff[]; tcp_timer.h TCPTV_MIN", true},
    {"retransmission give-up", "the expiry with ++t_rxtshift > TCP_MAXRXTSHIFT (12): RST|ACK, ETIMEDOUT",
     "sys/netinet/tcp_timer.c tcp_timer_rexmt(), tcp_subr.c tcp_drop()", true},
    {"keepalive vs retransmission", "both timers run: probes go out while retransmitting",
     "sys/netinet/tcp_timer.c tcp_timer_keep()", true},
    {"process killed", "a killed process's socket is closed with a FIN: unread received data is flushed (an RST only for SO_LINGER 0)",
     "sys/netinet/tcp_usrreq.c tcp_disconnect(): RST only for SO_LINGER 0; otherwise sbflush(so, &so->so_rcv), tcp_usrclosed() (FIN)", true},
}};
const OsProfile kOpenbsd{
    "openbsd",
    "OpenBSD (sys/netinet, 7.x)",
    HostTunables{Time::s(7200), Time::s(75), 8, 12, 6, 5, Time(), false, Time(), Time()},
    kOpenbsdSysctls,
    {},
    0,
    49152, 65535,
    Time::s(1), Time::s(64), Time::s(1),
    65535, 1460,
    TimerModel::kExact,
    Time(),
    KeepaliveRules{IdleReference::kAnySegment, 0, 0, ProbeAck::kRcvNxt, ProbeSpacing::kInterval,
                   KeepaliveGiveUp::kIdlePlusCount, true, true, true, true, false, false,
                   KeepaliveError::kEtimedout},
    RetransmitRules{RetransmitGiveUp::kCount, true, 6, Time(), false, false},
    ReceiveRules{false, false, false},
    kOpenbsdRules,
    "OpenBSD's tcp_ctloutput() has no TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT; set net.inet.tcp.keepidle and "
    "net.inet.tcp.keepintvl in the host's sysctl block (the count is fixed at 8)",
};

// ======================================================= illumos / Solaris
// illumos/illumos-gate usr/src/uts/common/inet/tcp/tcp_timers.c
// (tcp_keepalive_timer, tcp_timer), tcp_opt_data.c, tcp_tunables.c; Oracle
// Solaris Tunable Parameters Reference Manual (os-keepalive.md section 6).
constexpr std::array<SysctlSpec, 6> kSolarisSysctls{{
    {"_keepalive_interval", SysctlField::kKeepaliveIdle, "ms", kMs, 10000, 864000000,
     "illumos tcp_tunables.c _keepalive_interval (ms, 10 s..10 days, default 7200000); ipadm set-prop -p _keepalive_interval"},
    {"tcp_keepalive_interval", SysctlField::kKeepaliveIdle, "ms", kMs, 10000, 864000000,
     "Solaris Tunable Parameters Reference Manual 'tcp_keepalive_interval' (ndd, ms, 10 s..10 days, default 2 h)"},
    {"_keepalive_abort_interval", SysctlField::kKeepaliveAbort, "ms", kMs, 0, UINT32_MAX,
     "illumos tcp_tunables.c _keepalive_abort_interval (ms, default 480000; 0 = probe forever)"},
    {"tcp_keepalive_abort_interval", SysctlField::kKeepaliveAbort, "ms", kMs, 0, UINT32_MAX,
     "Solaris Tunable Parameters Reference Manual 'tcp_keepalive_abort_interval' (ms, default 8 min)"},
    {"_ip_abort_interval", SysctlField::kRetransmitAbort, "ms", kMs, 500, UINT32_MAX,
     "illumos tcp_tunables.c _ip_abort_interval (R2, ms, default 300000)"},
    {"tcp_ip_abort_interval", SysctlField::kRetransmitAbort, "ms", kMs, 500, UINT32_MAX,
     "Solaris Tunable Parameters Reference Manual 'tcp_ip_abort_interval' (ms; Solaris 10 default 8 min)"},
}};
// Applied in the order SO_KEEPALIVE, idle (TCP_KEEPIDLE or
// TCP_KEEPALIVE_THRESHOLD), TCP_KEEPALIVE_ABORT_THRESHOLD, TCP_KEEPINTVL,
// TCP_KEEPCNT: the abort threshold clears a count and interval set before it.
constexpr std::array<SocketOptionSpec, 5> kSolarisSocketOptions{{
    {"idle", SocketOption::kIdle, "TCP_KEEPIDLE", "s", kS, 10, 864000,
     "illumos tcp_opt_data.c TCP_KEEPIDLE: seconds, x1000 into the TCP_KEEPALIVE_THRESHOLD path, bounded by _keepalive_interval low/high (10 s..10 days)"},
    {"interval", SocketOption::kInterval, "TCP_KEEPINTVL", "s", kS, 1, 60,
     "illumos tcp_opt_data.c TCP_KEEPINTVL: seconds within [rto_min 0.4 s, rto_max 60 s]"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 1, INT32_MAX,
     "illumos tcp_opt_data.c TCP_KEEPCNT: 0 is EINVAL"},
    {"keepalive_threshold", SocketOption::kIdle, "TCP_KEEPALIVE_THRESHOLD", "ms", kMs, 10000, 864000000,
     "illumos tcp_opt_data.c TCP_KEEPALIVE_THRESHOLD: the idle time (tcp_ka_interval) in ms, EINVAL outside "
     "tcps_keepalive_interval_low..high (10 s..10 days); tcp(4P)"},
    {"keepalive_abort_threshold", SocketOption::kAbort, "TCP_KEEPALIVE_ABORT_THRESHOLD", "ms", kMs, 0, INT32_MAX,
     "illumos tcp_opt_data.c TCP_KEEPALIVE_ABORT_THRESHOLD: tcp_ka_abort_thres in ms (an int), EINVAL outside "
     "tcps_keepalive_abort_interval_low..high (0..UINT32_MAX); 0 = probe forever; clears TCP_KEEPCNT and TCP_KEEPINTVL"},
}};
constexpr std::array<RuleSource, 12> kSolarisRules{{
    {"idle reference", "idle = now - last received segment of any kind (tcp_last_recv_time is set for every incoming segment)",
     "usr/src/uts/common/inet/tcp/tcp_input.c tcp_input_data(): tcp_last_recv_time = LBOLT_FASTPATH", true},
    {"enable", "SO_KEEPALIVE starts the keepalive timer at now + idle; the timer re-arms lazily for the remaining idle time",
     "tcp_timers.c tcp_keepalive_timer(): firetime = ka_intrvl - idletime", true},
    {"probe", "ACK with 1 byte 0x00 at seq = suna-1 ('Fake resend of last ACKed byte'), ack = rnxt (PSH flag UNVERIFIED)",
     "tcp_timers.c tcp_keepalive_timer(): tcp_xmit_mp(tcp, mp1, 1, ..., tcp->tcp_suna - 1, ...)", true},
    {"outstanding data", "no probe while snxt != suna; the abort test still runs",
     "tcp_timers.c tcp_keepalive_timer(): if (tcp->tcp_snxt == tcp->tcp_suna && idletime >= ka_intrvl)", true},
    {"spacing", "without TCP_KEEPINTVL: first probe at idle, next after the current RTO, then doubling, capped at min(idle - 1 ms, rto_max 60 s); with TCP_KEEPINTVL: fixed spacing. Low confidence: the RTO an idle connection has (0.4 s floor here) is UNVERIFIED",
     "tcp_timers.c tcp_keepalive_timer(): tcp_ka_last_intrvl << 1, MIN(ka_intrvl - 1, ...), tcp_rto_max", false},
    {"give-up", "no probe count: the first timer fire with idletime > idle + abort interval (strict >; default 480 s) closes the connection with ETIMEDOUT and sends NO RST. With TCP_KEEPCNT c and TCP_KEEPINTVL i: abort = c*i; TCP_KEEPCNT alone: i = clamp(abort/c, rto_min, rto_max). TCP_KEEPALIVE_ABORT_THRESHOLD (ms) sets the socket's abort interval (0: never give up) and clears c and i",
     "tcp_timers.c tcp_keepalive_timer() -> tcp_clean_death(); tcp_opt_data.c TCP_KEEPCNT/TCP_KEEPINTVL/TCP_KEEPALIVE_ABORT_THRESHOLD", true},
    {"give-up edge", "with exact timers a fire at exactly idle + c*i sees equality and sends a (c+1)-th probe; real 10 ms callout rounding usually makes it c probes (UNVERIFIED)",
     "tcp_timers.c tcp_keepalive_timer() (idletime > ka_intrvl + abort_thres)", false},
    {"timers", "modelled as exact (illumos rounds callouts up to CALLOUT_TCP_RESOLUTION, 10 ms: not modelled)",
     "tcp_timers.c tcp_timeout()", false},
    {"retransmission", "RTO = max(RTT estimate, _rexmit_interval_min 400 ms) << backoff, capped at _rexmit_interval_max 60 s",
     "tcp_timers.c tcp_timer() timer_rexmit: tcp_rto_min << tcp_timer_backoff", true},
    {"retransmission give-up", "at an expiry with tcp_ms_we_have_waited (the sum of the backed-off RTOs armed so far, excluding the first) > R2 = _ip_abort_interval (5 min): close with ETIMEDOUT, NO RST; R2 = 0 retransmits forever",
     "tcp_timers.c tcp_timer(): (ms = tcp->tcp_ms_we_have_waited) > second_threshold -> tcp_clean_death()", true},
    {"keepalive vs retransmission", "no probes while retransmitting (snxt != suna); the keepalive abort test still runs on idle time",
     "tcp_timers.c tcp_keepalive_timer()", true},
    {"process killed", "a killed process's socket that holds unread received data is aborted with an RST; without unread data it closes with a FIN",
     "illumos uts/common/inet/tcp/tcp.c tcp_close_output(): 'Abort connection if there is unread data queued' (tcp_rcv_list or tcp_reass_head) -> 'tcp_close, unread data' RST", true},
}};
const OsProfile kSolaris{
    "solaris",
    "illumos / Solaris (uts/common/inet/tcp)",
    HostTunables{Time::s(7200), Time(), 0, 0, 6, 5, Time(), false, Time::s(480), Time::s(300)},
    kSolarisSysctls,
    kSolarisSocketOptions,
    0,
    32768, 65535,  // _smallest_anon_port.._largest_anon_port
    Time::ms(400), Time::s(60), Time::s(1),  // _rexmit_interval_min/max/initial
    64000, 1460,
    TimerModel::kExact,
    Time(),
    KeepaliveRules{IdleReference::kAnySegment, 1, 0, ProbeAck::kRcvNxt, ProbeSpacing::kRtoBackoff,
                   KeepaliveGiveUp::kAbortInterval, false, false, false, false, true, true,
                   KeepaliveError::kEtimedout},
    RetransmitRules{RetransmitGiveUp::kWaitedBeyondR2, false, 30, Time(), false, false},
    ReceiveRules{false, false, true},
    kSolarisRules,
    "illumos has no TCP_USER_TIMEOUT (TCP_ABORT_THRESHOLD sets R2 for data and is not modelled)",
};

// ==================================================================== AIX
// AIX 4.1.3 sources (Arquivotheca/AIX-4.1.3 bos/kernext/inet/tcp_timer.c,
// tcp_subr.c, tcp_input.c), `no` tunables (IBM docs, Progress KB 20017), and
// the seed field report's traces (os-keepalive.md section 7).
constexpr std::array<SysctlSpec, 3> kAixSysctls{{
    {"tcp_keepidle", SysctlField::kKeepaliveIdle, "half-seconds", kHalfS, 1, INT32_MAX,
     "`no -o tcp_keepidle` (500 ms ticks, default 14400 = 2 h); Stevens TCP/IP Illustrated vol. 1 App. E.5"},
    {"tcp_keepintvl", SysctlField::kKeepaliveInterval, "half-seconds", kHalfS, 1, INT32_MAX,
     "`no -o tcp_keepintvl` (500 ms ticks, default 150 = 75 s)"},
    {"tcp_keepcnt", SysctlField::kKeepaliveProbes, "count", 0, 1, INT32_MAX,
     "`no -o tcp_keepcnt` (default 8; AIX sends tcp_keepcnt+1 probes)"},
}};
constexpr std::array<SocketOptionSpec, 3> kAixSocketOptions{{
    {"idle", SocketOption::kIdle, "TCP_KEEPIDLE", "s", kS, 1, INT32_MAX / 2,
     "AIX setsockopt TCP_KEEPIDLE ('recent AIX', per curl docs); unit seconds and range UNVERIFIED"},
    {"interval", SocketOption::kInterval, "TCP_KEEPINTVL", "s", kS, 1, INT32_MAX / 2,
     "AIX setsockopt TCP_KEEPINTVL; unit seconds and range UNVERIFIED"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 1, INT32_MAX,
     "AIX setsockopt TCP_KEEPCNT; range UNVERIFIED"},
}};
constexpr std::array<RuleSource, 13> kAixRules{{
    {"idle reference", "idle counts 500 ms ticks since the last received segment of any kind: every segment sets t_idle = 0 and t_timer[TCPT_KEEP] = tcp_keepidle",
     "bos/kernext/inet/tcp_input.c (AIX 4.1.3): tp->t_idle = 0; tp->t_timer[TCPT_KEEP] = tcp_keepidle", true},
    {"enable", "the keep timer runs from establishment; without SO_KEEPALIVE a fire re-arms for tcp_keepidle",
     "bos/kernext/inet/tcp_timer.c tcp_timers() case TCPT_KEEP", true},
    {"probe", "ACK with 1 byte at seq = snd_una-1 and ack = rcv_nxt-1 (the 4.2BSD-compatible probe, e.g. '695:696(1) ack 86' while rcv_nxt is 87)",
     "bos/kernext/inet/tcp_timer.c tcp_timers() #ifdef TCP_COMPAT_42 tcp_respond(tp, ..., tp->rcv_nxt - 1, tp->snd_una - 1, 0); tcp_subr.c tcp_respond() tlen = 1; seed trace 003", true},
    {"outstanding data", "probes are sent even while data is outstanding (no check in the BSD-derived code)",
     "bos/kernext/inet/tcp_timer.c tcp_timers() case TCPT_KEEP", true},
    {"timers", "timers are counters decremented by tcp_slowtimo() every 500 ms on one global grid (host keys tick_phase/tick_period); a timer armed with n ticks fires on the n-th tick after the arm, so the first probe comes up to 0.5 s EARLY (L+idle-0.5 s .. L+idle)",
     "bos/kernext/inet/tcp_timer.c tcp_slowtimo()", true},
    {"give-up", "tcp_keepcnt+1 probes: t_idle lags the timer by one tick, so the drop test t_idle >= tcp_keepidle + tcp_keepcnt*tcp_keepintvl first holds at the (cnt+2)-th fire; RST|ACK (seq snd_nxt, ack rcv_nxt, e.g. 'R 696:696(0) ack 87') at L+idle+(cnt+1)*intvl on the tick grid; ETIMEDOUT",
     "bos/kernext/inet/tcp_timer.c tcp_slowtimo() (t_idle++ after the timers), tcp_timers(); tcp_subr.c tcp_drop(); seed trace 003 (9 probes, RST 75 s after the last)", true},
    {"give-up count source", "modern AIX's drop test is assumed to use the tcp_keepcnt tunable; AIX 4.1.3 used the constant TCPTV_KEEPCNT (8): identical with the default (UNVERIFIED)",
     "bos/kernext/inet/tcp_timer.c tcp_slowtimo(): tcp_maxidle = TCPTV_KEEPCNT * tcp_keepintvl", false},
    {"RST acceptance", "a RST with seq = rcv_nxt-1 is accepted (answer to a 4.2-style probe, as a firewall sends 'R 86:87(1) ack 1031'): ECONNRESET",
     "bos/kernext/inet/tcp_input.c: 'Don't toss RST in response to 4.2-style keepalive' (TCP_COMPAT_42); seed trace 003", true},
    {"per-socket options", "TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT exist on recent AIX; kasim takes seconds and rounds to 500 ms ticks (UNVERIFIED)",
     "curl docs 'keepalive-time' (TCP_KEEPIDLE on recent AIX)", false},
    {"retransmission", "RTO on the 500 ms grid, RFC 6298 estimator, floor rto_low 1 s, backoff {1,2,4,...,64,64,...} capped at rto_high 64 s (estimator details UNVERIFIED)",
     "bos/kernext/inet/net_globals.h rto_low/rto_high/rto_limit/rto_length; tcp_timer.c TCP_BACKOFF()", false},
    {"retransmission give-up", "the expiry with ++t_rxtshift > rto_length-1 (12): RST|ACK, ETIMEDOUT",
     "bos/kernext/inet/tcp_timer.c tcp_timers() case TCPT_REXMT, tcp_subr.c tcp_drop()", true},
    {"keepalive vs retransmission", "both timers run: probes go out while retransmitting",
     "bos/kernext/inet/tcp_timer.c tcp_timers()", true},
    {"process killed", "a killed process's socket is closed with a FIN: unread received data is flushed (an RST only for SO_LINGER 0)",
     "assumed to follow 4.4BSD tcp_disconnect() (FIN, receive buffer flushed); no AIX source read", false},
}};
const OsProfile kAix{
    "aix",
    "AIX (BSD 4.3-derived, tcp_slowtimo; 4.1.3 sources and 7.x traces)",
    HostTunables{Time::s(7200), Time::s(75), 8, 12, 6, 5, Time(), false, Time(), Time()},
    kAixSysctls,
    kAixSocketOptions,
    0,
    32768, 65535,  // tcp_ephemeral_low/high
    Time::s(1), Time::s(64), Time::s(3),  // rto_low, rto_high; initial RTO UNVERIFIED
    65535, 1460,
    TimerModel::kSlowtimo,
    Time::ms(500),
    KeepaliveRules{IdleReference::kAnySegment, 1, 0, ProbeAck::kRcvNxtMinus1, ProbeSpacing::kInterval,
                   KeepaliveGiveUp::kSlowtimoCountPlusOne, true, true, true, true, false, false,
                   KeepaliveError::kEtimedout},
    RetransmitRules{RetransmitGiveUp::kCount, true, 6, Time(), false, false},
    ReceiveRules{false, true, false},
    kAixRules,
    "",
};

// ================================================================ Windows
// Documentation only (no public source): Windows Server 2003 TCP/IP registry
// reference (KeepAliveTime, KeepAliveInterval, TcpMaxDataRetransmissions),
// SIO_KEEPALIVE_VALS, IPPROTO_TCP socket options (os-keepalive.md section 2).
// LOW CONFIDENCE: most rules below are UNVERIFIED.
constexpr std::array<SysctlSpec, 3> kWindowsSysctls{{
    {"KeepAliveTime", SysctlField::kKeepaliveIdle, "ms", kMs, 1, UINT32_MAX,
     "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters KeepAliveTime (REG_DWORD ms, default 7200000)"},
    {"KeepAliveInterval", SysctlField::kKeepaliveInterval, "ms", kMs, 1, UINT32_MAX,
     "Tcpip\\Parameters KeepAliveInterval (REG_DWORD ms, default 1000)"},
    {"TcpMaxDataRetransmissions", SysctlField::kRetries2, "count", 0, 0, UINT32_MAX,
     "Tcpip\\Parameters TcpMaxDataRetransmissions (default 5; Windows 2000/2003 docs, Vista+ default UNVERIFIED)"},
}};
constexpr std::array<SocketOptionSpec, 3> kWindowsSocketOptions{{
    {"idle", SocketOption::kIdle, "SIO_KEEPALIVE_VALS keepalivetime", "ms", kMs, 1, UINT32_MAX,
     "learn.microsoft.com winsock SIO_KEEPALIVE_VALS: struct tcp_keepalive.keepalivetime, ms (ULONG)"},
    {"interval", SocketOption::kInterval, "SIO_KEEPALIVE_VALS keepaliveinterval", "ms", kMs, 1, UINT32_MAX,
     "learn.microsoft.com winsock SIO_KEEPALIVE_VALS: keepaliveinterval, ms (ULONG)"},
    {"count", SocketOption::kCount, "TCP_KEEPCNT", "count", 0, 1, 255,
     "learn.microsoft.com IPPROTO_TCP socket options: TCP_KEEPCNT (Windows 10 1703+); range UNVERIFIED"},
}};
constexpr std::array<RuleSource, 11> kWindowsRules{{
    {"idle reference", "idle = now - last received segment ('no activity'); modelled like BSD (UNVERIFIED)",
     "Microsoft TCP/IP implementation white paper (Windows 2000): KeepAliveTime", false},
    {"enable", "keepalive is off by default; SO_KEEPALIVE / SIO_KEEPALIVE_VALS arms the timer at now + KeepAliveTime (UNVERIFIED)",
     "learn.microsoft.com SIO_KEEPALIVE_VALS remarks", false},
    {"probe", "ACK with seq one less than the current sequence number (SND.NXT-1), ack = RCV.NXT; 1 byte (0x00) as commonly captured (payload UNVERIFIED)",
     "Microsoft TCP/IP implementation white paper: 'simply an ACK with the sequence number set to one less than the current sequence number'", false},
    {"count", "10 probes, fixed on Vista and later (TCP_KEEPCNT on Windows 10 1703+ changes it)",
     "learn.microsoft.com SIO_KEEPALIVE_VALS: 'the number of keep-alive probes ... is set to 10 and cannot be changed'", true},
    {"outstanding data", "no probes while data is outstanding (UNVERIFIED)", "none found", false},
    {"give-up", "at L + KeepAliveTime + 10*KeepAliveInterval (after the 10th interval; UNVERIFIED edge), RST|ACK (UNVERIFIED), the application sees WSAENETRESET",
     "learn.microsoft.com SIO_KEEPALIVE_VALS: WSAENETRESET, then WSAENOTCONN", false},
    {"timers", "modelled as exact", "none", false},
    {"retransmission", "RFC 6298 estimator, minimum RTO 300 ms and maximum 60 s, doubling (UNVERIFIED)",
     "TcpMaxDataRetransmissions docs: 'the retransmission interval is doubled'", false},
    {"retransmission give-up", "the expiry after TcpMaxDataRetransmissions (5) retransmissions: RST|ACK (UNVERIFIED), ETIMEDOUT (Winsock error UNVERIFIED)",
     "technet cc938210 TcpMaxDataRetransmissions (Windows 2000/2003)", false},
    {"keepalive vs retransmission", "retransmission decides while data is outstanding (UNVERIFIED)", "none found", false},
    {"process killed", "a killed process's socket that holds unread received data is aborted with an RST; without unread data it closes with a FIN",
     "closesocket() with data in the receive buffer is commonly observed to send RST; no primary source read", false},
}};
const OsProfile kWindows{
    "windows",
    "Windows (Vista and later; documentation only, low confidence)",
    HostTunables{Time::s(7200), Time::s(1), 10, 5, 2, 2, Time(), false, Time(), Time()},
    kWindowsSysctls,
    kWindowsSocketOptions,
    0,
    49152, 65535,  // IANA dynamic range, Vista+ default
    Time::ms(300), Time::s(60), Time::s(3),  // UNVERIFIED; TcpInitialRTT 3 s
    65535, 1460,
    TimerModel::kExact,
    Time(),
    KeepaliveRules{IdleReference::kAnySegment, 1, 0, ProbeAck::kRcvNxt, ProbeSpacing::kInterval,
                   KeepaliveGiveUp::kIdlePlusCount, true, false, true, false, true, true,
                   KeepaliveError::kWsaEnetreset},
    RetransmitRules{RetransmitGiveUp::kCount, true, 30, Time(), false, false},
    ReceiveRules{false, false, true},
    kWindowsRules,
    "Windows has no TCP_USER_TIMEOUT (TCP_MAXRT is not modelled)",
};

constexpr std::array<std::string_view, 7> kNames{"linux", "windows", "macos", "freebsd", "openbsd", "solaris", "aix"};
constexpr std::array<const OsProfile*, 7> kProfiles{&kLinux, &kWindows, &kMacos, &kFreebsd, &kOpenbsd, &kSolaris, &kAix};

}  // namespace

const OsProfile* find_os_profile(std::string_view name) {
  for (const OsProfile* p : kProfiles)
    if (p->name == name) return p;
  // illumos is the open-source Solaris kernel the profile follows.
  if (name == "illumos") return &kSolaris;
  return nullptr;
}

std::span<const std::string_view> os_profile_names() { return kNames; }

const SocketOptionSpec* primary_socket_option(const OsProfile& os, SocketOption opt) {
  for (const SocketOptionSpec& o : os.socket_options)
    if (o.option == opt) return &o;
  return nullptr;
}

int64_t sysctl_default(const OsProfile& os, const SysctlSpec& spec) {
  const HostTunables& d = os.defaults;
  auto in_unit = [&](Time t) { return spec.unit_ns == 0 ? t.count_ns() : t.count_ns() / spec.unit_ns; };
  switch (spec.field) {
    case SysctlField::kKeepaliveIdle: return in_unit(d.keepalive_idle);
    case SysctlField::kKeepaliveInterval: return in_unit(d.keepalive_interval);
    case SysctlField::kKeepaliveProbes: return d.keepalive_probes;
    case SysctlField::kRetries2: return d.retries2;
    case SysctlField::kSynRetries: return d.syn_retries;
    case SysctlField::kSynAckRetries: return d.synack_retries;
    case SysctlField::kInvalidRatelimit: return in_unit(d.invalid_ratelimit);
    case SysctlField::kAlwaysKeepalive: return d.always_keepalive ? 1 : 0;
    case SysctlField::kKeepaliveAbort: return in_unit(d.keepalive_abort);
    case SysctlField::kRetransmitAbort: return in_unit(d.retransmit_abort);
    case SysctlField::kSynLinearTimeouts: return d.syn_linear_timeouts;
    case SysctlField::kOrphanRetries: return d.orphan_retries;
  }
  return 0;
}
std::span<const OsProfile* const> os_profiles() { return kProfiles; }

}  // namespace kasim
