#include "kasim/explain_wording.h"

namespace kasim {
namespace {

// Linux: net/ipv4/tcp_timer.c tcp_keepalive_timer(), tcp_output.c
// tcp_write_wakeup()/tcp_xmit_probe_skb() (probe = seq snd_una - 1, no data),
// tcp_input.c tcp_validate_incoming() -> tcp_send_dupack() (the answer),
// tcp_oow_rate_limited() (tcp_invalid_ratelimit), tcp_write_timeout()
// (tcp_retries2). RFC 9293 §3.10.7.4: a segment that is not acceptable is
// answered with an ACK.
constexpr ExplainWording kLinux{
    "linux",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count} (keepcnt: {count_setting})",
    "(TCP_USER_TIMEOUT {user_timeout} decides when to give up, not keepcnt)",
    "seq {probe_seq} is below rcv_nxt {expect}: not acceptable, so {os} answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s idle timer restarts and its probe count "
    "goes back to 0",
    "{n} probes sent and none answered, keepintvl {intvl} after the last one → keepalive gives up: RST "
    "to {peer}, and the application's next call fails with ETIMEDOUT",
    "retransmissions exhausted (net.ipv4.tcp_retries2 or TCP_USER_TIMEOUT) → RST, ETIMEDOUT",
    "the segment is not acceptable, but Linux answered another one less than "
    "net.ipv4.tcp_invalid_ratelimit ago, so it stays silent",
    "keepidle + keepcnt × keepintvl = {idle} + {count} × {intvl} = {total} after the last answer (plus "
    "timer-wheel rounding)",
    "Linux arms keepalive on its timer wheel, which rounds a {idle} timer up by as much as {granule} at "
    "HZ={hz}",
};

// Every other profile until it gets its own table: the rules every stack
// shares (RFC 9293 §3.8.4 keepalive, §3.10.7.4 answering unacceptable
// segments), with the OS's own name; the numbers come from the trace (probe
// counts as the endpoint reports them) and the profile (settings, units).
constexpr ExplainWording kGeneric{
    "",
    "no segment received for {elapsed}: keepidle {idle} ({idle_setting}) has passed{rounding} → keepalive "
    "probe 1 {limit}",
    "probe {prev} unanswered for keepintvl {intvl} ({intvl_setting}) → keepalive probe {n} {limit}",
    "it carries {payload} and seq {seq} = snd_una−1, one below what {peer} expects ({expect}), so {peer} "
    "must answer with an ACK",
    "of {count}",
    "({os} gives up after a time limit, not after a number of probes)",
    "seq {probe_seq} is below rcv_nxt {expect}: not acceptable, so {os} answers at once with an ACK "
    "(seq {seq}, ack {ack}); when it reaches {peer}, {peer}'s keepalive starts over",
    "{n} probes sent and none answered → keepalive gives up: RST to {peer}, and the application's next call "
    "fails",
    "retransmissions exhausted → RST, the application's next call fails",
    "the segment is not acceptable, but it stays unanswered (rate limit)",
    "about keepidle + keepcnt × keepintvl = {idle} + {count} × {intvl} = {total} after the last answer "
    "({os}'s exact give-up rule: see docs/profiles)",
    "{os}'s timers can fire up to {granule} off their nominal time",
};

}  // namespace

const ExplainWording& explain_wording(std::string_view os_name) {
  if (os_name == kLinux.os) return kLinux;
  return kGeneric;  // other profiles: add a table above and return it here
}

}  // namespace kasim
