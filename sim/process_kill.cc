#include "kasim/process_kill.h"

#include <array>
#include <cassert>

namespace kasim {

namespace {

constexpr std::array<KillRule, 7> kRules{{
    {"linux", true,
     "net/ipv4/tcp.c __tcp_close(): receive queue flushed into data_was_unread; if any, "
     "tcp_send_active_reset() ('Unread data was tossed, zap the connection'), else tcp_send_fin()",
     true},
    {"windows", true,
     "closesocket() with data in the receive buffer is commonly observed to send RST; no primary source read",
     false},
    {"macos", true,
     "xnu bsd/netinet/tcp_usrreq.c tcp_disconnect(): so_rcv.sb_cc != 0 || t_reassqlen != 0 -> tcp_drop() (RST)",
     true},
    {"freebsd", false,
     "sys/netinet/tcp_usrreq.c tcp_disconnect(): RST only for SO_LINGER 0; otherwise sbflush(&so->so_rcv), "
     "tcp_usrclosed(), tcp_output() (FIN)",
     true},
    {"openbsd", false,
     "sys/netinet/tcp_usrreq.c tcp_disconnect(): RST only for SO_LINGER 0; otherwise sbflush(so, &so->so_rcv), "
     "tcp_usrclosed() (FIN)",
     true},
    {"solaris", true,
     "illumos uts/common/inet/tcp/tcp.c tcp_close_output(): 'Abort connection if there is unread data queued' "
     "(tcp_rcv_list or tcp_reass_head) -> 'tcp_close, unread data' RST",
     true},
    {"aix", false, "assumed to follow 4.4BSD tcp_disconnect() (FIN, receive buffer flushed); no AIX source read",
     false},
}};

}  // namespace

std::span<const KillRule> kill_rules() { return kRules; }

const KillRule& kill_rule(std::string_view os) {
  for (const KillRule& r : kRules)
    if (r.os == os) return r;
  assert(false && "every OS profile has a kill rule");
  return kRules[0];
}

bool received_payload(const TcpEndpoint& ep) {
  // irs + 1 is the first data byte; a FIN received takes one more.
  uint32_t fin = 0;
  switch (ep.state()) {
    case TcpState::kCloseWait:
    case TcpState::kLastAck:
    case TcpState::kClosing:
    case TcpState::kTimeWait: fin = 1; break;
    default: break;
  }
  return ep.state() != TcpState::kListen && ep.state() != TcpState::kSynSent && ep.state() != TcpState::kClosed &&
         ep.rcv_nxt() - ep.irs() - 1 - fin > 0;
}

bool kill_sends_rst(std::string_view os, const TcpEndpoint& ep, bool stopped_reading) {
  return stopped_reading && kill_rule(os).rst_if_unread && received_payload(ep);
}

}  // namespace kasim
