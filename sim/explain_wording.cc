#include "kasim/explain_wording.h"

#include <array>

namespace kasim {
namespace {

// The field order of ExplainWording, for reading the tables:
//   os, settings, fixed_count, fixed_retries, backoff_spacing, first_probe, next_probe, probe_shape,
//   count_limit, time_limit, answer, give_up, give_up_silent, retransmit_give_up,
//   retransmit_give_up_silent, rst_below_rcv_nxt, rate_limited, detect_bound, sooner, timer_note,
//   orphan_give_up
// Each OS's rules and their sources are in sim/os_profile.cc and docs/profiles/<os>.md.

// Linux: net/ipv4/tcp_timer.c tcp_keepalive_timer(), tcp_output.c
// tcp_write_wakeup()/tcp_xmit_probe_skb() (probe = seq snd_una - 1, no data),
// tcp_input.c tcp_validate_incoming() -> tcp_send_dupack() (the answer),
// tcp_oow_rate_limited() (tcp_invalid_ratelimit), tcp_write_timeout()
// (tcp_retries2; no RST when it gives up). RFC 9293 §3.10.7.4: a segment
// that is not acceptable is answered with an ACK.
constexpr ExplainWording kLinux{
    "linux",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "",
    "",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count} (keepcnt: {count_setting})",
    "(TCP_USER_TIMEOUT {user_timeout} decides when to give up, not keepcnt)",
    "{probe_verdict}, so {os} answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s idle timer restarts and its probe count "
    "goes back to 0",
    "{n_probes} sent and none answered, keepintvl {intvl} after the last one → keepalive gives up: RST "
    "to {peer}, and the application's next call fails with ETIMEDOUT",
    "",
    "{n_retransmissions} unanswered → retransmission gives up: RST to {peer}, ETIMEDOUT",
    "{n_retransmissions} unanswered, and the time since the first one has reached what tcp_retries2 = "
    "{retries} ({retries_setting}) allows (tcp_model_timeout(); TCP_USER_TIMEOUT replaces it when set) → Linux "
    "gives up without sending an RST; the application's next call fails with ETIMEDOUT",
    "",
    "the segment is not acceptable, but Linux answered another one less than "
    "net.ipv4.tcp_invalid_ratelimit ago, so it stays silent",
    "at most keepidle + keepcnt × keepintvl = {idle} + {keepcnt} × {intvl} = {total} after the last answer "
    "(plus timer-wheel rounding)",
    "smaller keepidle, keepintvl or keepcnt (or TCP_USER_TIMEOUT) only make the application hear about it sooner",
    "Linux arms keepalive on its timer wheel, which rounds a {idle} timer up by as much as {granule} at "
    "HZ={hz}",
    "{n_retransmissions} unanswered, and the time since the first one has reached what tcp_orphan_retries "
    "allows: the application has closed this socket (an orphan), so Linux counts {orphan_retries} retries "
    "({orphan_setting}; 0 means 8) instead of tcp_retries2 → it frees the socket without an RST, and nobody "
    "is told: no application holds it any more",
};

// AIX (BSD 4.3-derived): bos/kernext/inet/tcp_timer.c tcp_slowtimo() and
// tcp_timers() TCPT_KEEP (500 ms ticks; t_idle runs one tick behind, so
// keepcnt+1 probes), the TCP_COMPAT_42 probe (one old byte at snd_una-1,
// ack rcv_nxt-1) and tcp_input.c's "Don't toss RST in response to 4.2-style
// keepalive" (an RST at rcv_nxt-1 is accepted). AIX has no TCP_USER_TIMEOUT.
constexpr ExplainWording kAix{
    "aix",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting}), and AIX sends keepcnt+1 = "
    "{probes} probes",
    "",
    "rto_length − 1, the default",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries one old byte, seq {seq}:{seq_end} (snd_una−1: {peer} has acknowledged it already), and ack "
    "{ack} = rcv_nxt−1 (rcv_nxt is {rcv_nxt}; the 4.2BSD-compatible probe), so {peer} must answer with an ACK",
    "of {count} (AIX sends keepcnt+1 = {keepcnt}+1)",
    "(a time limit decides when AIX gives up)",
    "{probe_verdict}, so AIX answers at once with an ACK (seq {seq}, "
    "ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent (keepcnt {keepcnt} + 1) and none answered, keepintvl {intvl} after the last one → "
    "keepalive gives up: RST to {peer}, and the application's next call fails with ETIMEDOUT. (AIX's idle "
    "counter runs one tick behind its timers, so its test idle ≥ keepidle + keepcnt × keepintvl first holds "
    "one interval late: hence keepcnt+1 probes.)",
    "",
    "{n_retransmissions} unanswered: the limit is {retries} ({retries_setting}) → AIX gives up: RST to {peer}, "
    "and the application's next call fails with ETIMEDOUT",
    "",
    "the RST's seq {seq} is rcv_nxt−1 (rcv_nxt is {rcv_nxt}): RFC 9293 would discard it as below the window, "
    "but AIX accepts an RST one below rcv_nxt, the answer its 4.2BSD-style probes (ack rcv_nxt−1) invite "
    "(TCP_COMPAT_42) → the connection is reset; the application's next call fails with ECONNRESET",
    "the segment is not acceptable, but it stays unanswered",
    "at most keepidle + (keepcnt + 1) × keepintvl = {idle} + {probes} × {intvl} = {total} after it, counted "
    "in whole slow-timeout ticks (so up to a tick less)",
    "smaller keepidle, keepintvl or keepcnt (tcp_keepidle, tcp_keepintvl, tcp_keepcnt, or TCP_KEEPIDLE, "
    "TCP_KEEPINTVL, TCP_KEEPCNT on the socket) only make the application hear about it sooner",
    "AIX counts keepidle in slow-timeout ticks, so a {idle} timer can fire up to {granule} off its nominal "
    "time",
    "",
};

// FreeBSD: sys/netinet/tcp_timer.c tcp_timer_keep() (a fire with idle >=
// keepidle + keepcnt * keepintvl drops: keepcnt probes, then RST|ACK via
// tcp_drop()), tcp_timer_rexmt() (net.inet.tcp.retries, RST|ACK).
constexpr ExplainWording kFreebsd{
    "freebsd",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "",
    "",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count} (keepcnt: {count_setting})",
    "(a time limit decides when FreeBSD gives up)",
    "{probe_verdict}, so FreeBSD answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered; keepintvl {intvl} after the last one the connection has been idle "
    "keepidle + keepcnt × keepintvl → keepalive gives up: RST to {peer}, and the application's next call "
    "fails with ETIMEDOUT",
    "",
    "{n_retransmissions} unanswered: the limit is {retries} ({retries_setting}) → FreeBSD gives up: RST to "
    "{peer}, and the application's next call fails with ETIMEDOUT",
    "",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "keepidle + keepcnt × keepintvl = {idle} + {keepcnt} × {intvl} = {total} after it: the timer fire at "
    "that idle time drops the connection",
    "smaller keepidle, keepintvl or keepcnt (net.inet.tcp.keepidle, keepintvl, keepcnt, or TCP_KEEPIDLE, "
    "TCP_KEEPINTVL, TCP_KEEPCNT on the socket) only make the application hear about it sooner",
    "FreeBSD's timers can fire up to {granule} off their nominal time",
    "",
};

// macOS / XNU: bsd/netinet/tcp_timer.c tcp_timers() TCPT_KEEP (the same
// drop test as FreeBSD, TCP_CONN_MAXIDLE), TCP_KEEPALIVE for the idle time.
// XNU has no TCP_USER_TIMEOUT.
constexpr ExplainWording kMacos{
    "macos",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "",
    "TCP_MAXRXTSHIFT, fixed",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count} (keepcnt: {count_setting})",
    "(a time limit decides when macOS gives up)",
    "{probe_verdict}, so macOS answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered; keepintvl {intvl} after the last one the connection has been idle "
    "keepidle + keepcnt × keepintvl → keepalive gives up: RST to {peer}, and the application's next call "
    "fails with ETIMEDOUT",
    "",
    "{n_retransmissions} unanswered: the limit is {retries} ({retries_setting}) → macOS gives up: RST to "
    "{peer}, and the application's next call fails with ETIMEDOUT",
    "",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "keepidle + keepcnt × keepintvl = {idle} + {keepcnt} × {intvl} = {total} after it: the timer fire at "
    "that idle time drops the connection",
    "smaller keepidle, keepintvl or keepcnt (TCP_KEEPALIVE, TCP_KEEPINTVL, TCP_KEEPCNT on the socket, or "
    "net.inet.tcp.keepidle, keepintvl, keepcnt) only make the application hear about it sooner",
    "macOS's timers can fire up to {granule} off their nominal time",
    "",
};

// OpenBSD: sys/netinet/tcp_timer.c tcp_timer_keep(): the count is the
// constant TCPTV_KEEPCNT; no per-socket keepalive options at all.
constexpr ExplainWording kOpenbsd{
    "openbsd",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "TCPTV_KEEPCNT, fixed: OpenBSD has no tunable for it",
    "TCP_MAXRXTSHIFT, fixed",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count} (TCPTV_KEEPCNT, fixed)",
    "(a time limit decides when OpenBSD gives up)",
    "{probe_verdict}, so OpenBSD answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered; keepintvl {intvl} after the last one the connection has been idle "
    "keepidle + {keepcnt} × keepintvl → keepalive gives up: RST to {peer}, and the application's next call "
    "fails with ETIMEDOUT",
    "",
    "{n_retransmissions} unanswered: the limit is {retries} ({retries_setting}) → OpenBSD gives up: RST to "
    "{peer}, and the application's next call fails with ETIMEDOUT",
    "",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "keepidle + {keepcnt} × keepintvl = {idle} + {keepcnt} × {intvl} = {total} after it: the timer fire at "
    "that idle time drops the connection",
    "a smaller net.inet.tcp.keepidle or net.inet.tcp.keepintvl (system-wide: OpenBSD has no per-socket "
    "keepalive options, and the count is fixed at {keepcnt}) only makes the application hear about it sooner",
    "OpenBSD's timers can fire up to {granule} off their nominal time",
    "",
};

// illumos / Solaris: usr/src/uts/common/inet/tcp/tcp_timers.c
// tcp_keepalive_timer() (probes spaced by the RTO, doubling; no count: the
// first fire with idle > keepidle + abort interval closes the connection,
// tcp_clean_death(), no RST) and tcp_timer() (R2 = _ip_abort_interval).
constexpr ExplainWording kSolaris{
    "solaris",
    "{spacing}; no probe count: it gives up when the idle time exceeds keepidle + {abort} ({abort_setting}), "
    "and sends no RST then",
    "",
    "",
    "probes spaced by the retransmission timeout, doubling after each unanswered one, at most {cap}",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered after {gap} ({spacing}) → keepalive probe {n} {limit}",
    "it carries {payload}, a fake resend of the last acknowledged byte at seq {seq} = snd_una−1, one below "
    "what {peer} expects ({expect}), so {peer} must answer with an ACK",
    "of {count}",
    "(no probe count: illumos gives up after keepidle + {abort} of silence)",
    "{probe_verdict}, so illumos answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered → keepalive gives up: RST to {peer}, and the application's next call "
    "fails with ETIMEDOUT",
    "idle for {elapsed}, more than keepidle + {abort} ({abort_setting}) = {total} → at this timer fire "
    "keepalive gives up and closes the connection, sending nothing (illumos sends no RST); the application's "
    "next call fails with ETIMEDOUT",
    "{n_retransmissions} unanswered → retransmission gives up: RST to {peer}, ETIMEDOUT",
    "{n_retransmissions} unanswered, and the backed-off timeouts it has waited add up to more than R2 = {r2} "
    "({r2_setting}) → illumos gives up without sending an RST; the application's next call fails with "
    "ETIMEDOUT",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "at the first timer fire after the idle time exceeds keepidle + abort interval = {idle} + {abort} = "
    "{total}; probes are at most {cap} apart, so up to {cap} after that",
    "a smaller keepidle or abort interval (_keepalive_interval and _keepalive_abort_interval, or TCP_KEEPIDLE "
    "and TCP_KEEPCNT × TCP_KEEPINTVL on the socket) only makes the application hear about it sooner",
    "illumos's timers can fire up to {granule} off their nominal time",
    "",
};

// Windows (documentation only, low confidence): SIO_KEEPALIVE_VALS, the
// Tcpip\Parameters registry values; 10 probes fixed since Vista; keepalive's
// give-up surfaces as WSAENETRESET. No TCP_USER_TIMEOUT.
constexpr ExplainWording kWindows{
    "windows",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "fixed since Vista; only TCP_KEEPCNT, on Windows 10 1703 and later, changes it",
    "",
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} (UNVERIFIED) and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so "
    "{peer} must answer with an ACK",
    "of {count}",
    "(a time limit decides when Windows gives up)",
    "{probe_verdict}, so Windows answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered, keepintvl {intvl} after the last one → keepalive gives up: RST to "
    "{peer} (UNVERIFIED), and the application's next call fails with WSAENETRESET",
    "",
    "{n_retransmissions} unanswered: the limit is {retries} ({retries_setting}) → Windows gives up: RST to "
    "{peer} (UNVERIFIED), and the application's next call fails",
    "",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "keepidle + keepcnt × keepintvl = {idle} + {keepcnt} × {intvl} = {total} after it (Microsoft documents "
    "the count and the error, not the exact moment: UNVERIFIED)",
    "a smaller keepidle or keepintvl (SIO_KEEPALIVE_VALS, or KeepAliveTime and KeepAliveInterval; "
    "TCP_KEEPCNT on Windows 10 1703 and later) only makes the application hear about it sooner",
    "Windows's timers can fire up to {granule} off their nominal time",
    "",
};

// An OS without a table: the rules every stack shares (RFC 9293 §3.8.4
// keepalive, §3.10.7.4 answering unacceptable segments), with its own name.
constexpr ExplainWording kGeneric{
    "",
    "keepintvl {intvl} ({intvl_setting}); keepcnt {keepcnt} ({count_setting})",
    "the OS default",
    "the OS default",
    "probes spaced by the retransmission timeout, at most {cap}",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered after {gap} → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count}",
    "({os} gives up after a time limit, not after a number of probes)",
    "{probe_verdict}, so {os} answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n_probes} sent and none answered → keepalive gives up: RST to {peer}, and the application's next call "
    "fails",
    "keepalive gives up → the application's next call fails",
    "{n_retransmissions} unanswered → RST, the application's next call fails",
    "{n_retransmissions} unanswered → {os} gives up; the application's next call fails",
    "",
    "the segment is not acceptable, but it stays unanswered",
    "about {total} after it ({os}'s exact give-up rule: see docs/profiles)",
    "smaller keepalive settings only make the application hear about it sooner",
    "{os}'s timers can fire up to {granule} off their nominal time",
    "",
};

constexpr std::array<const ExplainWording*, 7> kTables{&kLinux, &kAix, &kFreebsd, &kMacos,
                                                       &kOpenbsd, &kSolaris, &kWindows};

}  // namespace

const ExplainWording& explain_wording(std::string_view os_name) {
  if (os_name == "illumos") os_name = "solaris";  // find_os_profile's alias
  for (const ExplainWording* w : kTables)
    if (w->os == os_name) return *w;
  return kGeneric;
}

}  // namespace kasim
