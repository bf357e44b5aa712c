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
    "seq {probe_seq} is below rcv_nxt {expect}: not acceptable, so Linux answers at once with an ACK "
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

}  // namespace

const ExplainWording& explain_wording(std::string_view os_name) {
  (void)os_name;  // only Linux so far; other profiles add their table here
  return kLinux;
}

}  // namespace kasim
