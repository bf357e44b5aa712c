#include "kasim/process_kill.h"

#include <cassert>

namespace kasim {

KillRule kill_rule(const OsProfile& os) {
  for (const RuleSource& r : os.rules)
    if (r.rule == "process killed") return KillRule{os.receive.kill_resets_unread, r.source, r.verified};
  assert(false && "every OS profile has a process killed rule");
  return KillRule{os.receive.kill_resets_unread, "", false};
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

bool kill_sends_rst(const OsProfile& os, const TcpEndpoint& ep, bool stopped_reading) {
  return stopped_reading && os.receive.kill_resets_unread && received_payload(ep);
}

}  // namespace kasim
