// A process dies (kill -9, a crash of the program, not of the host): the
// kernel closes each of its sockets as close() would, and the OS decides
// between a FIN and an RST. Every stack sends an RST when SO_LINGER is set
// to 0 (not modelled here); the rule that differs is what happens to a
// socket that still holds received data the application never read:
//  * Linux, macOS (XNU) and illumos abort it with an RST;
//  * FreeBSD and OpenBSD discard the data and send a FIN.
// A socket without unread data gets a FIN everywhere (after any data still
// queued for sending).
//
// What "unread data" means in kasim: the model has no reads, so an
// application reads everything as it arrives unless the scenario says
// otherwise (fault key `unread_data: true`: the process had stopped
// reading, so a socket that has received any payload still holds it).
//
// The per-OS rule lives in each OS profile (ReceiveRules::kill_resets_unread,
// with its source as the profile's "process killed" rule, UNVERIFIED where
// no primary source was read); this header applies it.
#pragma once

#include <string_view>

#include "kasim/os_profile.h"
#include "kasim/tcp_endpoint.h"

namespace kasim {

struct KillRule {
  bool rst_if_unread;        // true: RST for a socket with unread data; false: flush it, FIN
  std::string_view source;   // where the rule comes from
  bool verified;             // false: UNVERIFIED (kasim's assumption)
};

// The rule of OS profile `os`. REQUIRES: every profile lists a "process
// killed" rule (a test checks it).
KillRule kill_rule(const OsProfile& os);

// True if the endpoint has received payload (beyond SYN and FIN): with the
// application no longer reading, that data is unread.
bool received_payload(const TcpEndpoint& ep);

// What the kernel of an `os` host sends when it closes `ep` for a killed
// process: true for an RST, false for a FIN. `stopped_reading`: the
// scenario's `unread_data` for the kill.
bool kill_sends_rst(const OsProfile& os, const TcpEndpoint& ep, bool stopped_reading);

}  // namespace kasim
