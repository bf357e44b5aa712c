// TCP segments as they cross the simulated network, and why each was sent.
//
// A Segment holds the header fields a trace shows (addresses, ports, seq,
// ack, flags, window, payload length). Sequence numbers are 32-bit and wrap
// as on the wire; compare them with seq_before/seq_after.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace kasim {

using Ipv4 = uint32_t;  // host byte order
std::string format_ipv4(Ipv4 a);
// Parses dotted quad "10.0.0.1"; false on anything else.
bool parse_ipv4(const std::string& text, Ipv4* out);

namespace tcp_flag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
}  // namespace tcp_flag

// tcpdump's flag spelling: "S", "S.", ".", "P.", "F.", "R", "R." ...
std::string format_flags(uint8_t flags);

inline bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return seq_before(b, a); }

struct Segment {
  Ipv4 src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint32_t len = 0;  // payload bytes
  uint16_t window = 0;
  uint8_t flags = 0;
  // The value of the payload's bytes when len == 1 and the byte is a
  // keepalive filler (illumos sends 0x00; BSD-style stacks resend the old
  // byte, which the simulator does not track: 0). Only pcap output uses it.
  uint8_t fill = 0;

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // Sequence space the segment occupies: SYN and FIN count one each.
  uint32_t seq_len() const { return len + (has(tcp_flag::kSyn) ? 1u : 0u) + (has(tcp_flag::kFin) ? 1u : 0u); }
  uint32_t end_seq() const { return seq + seq_len(); }
};

// Why a packet exists or what happened to it. Notes are structured so that
// nothing is formatted per packet unless a trace is printed.
enum class NoteKind : uint8_t {
  kNone,
  kSyn,                // a: attempt number (0 = first)
  kSynAck,             // a: attempt number
  kHandshakeAck,
  kData,               // a: bytes of the app write this belongs to
  kDataRetransmit,     // a: retransmission number (1-based), b: RTO in us
  kTailLossProbe,      // b: probe timeout in us
  kAck,                // acknowledges new data or FIN
  kAckOfProbe,         // answer to a segment below the window (keepalive probe)
  kDupAckRateLimited,  // (drop note) an out-of-window segment not answered: rate limit
  kKeepaliveProbe,     // a: probe number (1-based), b: count limit (0: time limited)
  kKeepaliveGiveUpRst, // a: probes sent
  kRetransmitGiveUpRst,
  kFin,
  kAbortRst,           // the application aborted (SO_LINGER 0 close / process kill)
  kRstNoSocket,        // host has no connection for this segment (e.g. after reboot)
  kFirewallRstNoState, // a: expired-at ns (or -1 if never seen)
  kFirewallRstIdle,    // middlebox resets both sides at idle expiry
  // Drop notes (packet did not get through):
  kDropNoState,        // a: expired-at ns or -1
  kDropHostFilter,
  kDropLinkDown,
  kDropLinkLoss,
  kDropHostDown,
  kDropOutOfWindow,    // a host discarded a segment outside its window
  kDropNoConnection,   // a host dropped a segment silently (no socket, crashed host)
  // Middlebox notes (firewall.h):
  kDcdProbe,           // why: a middlebox probes an end at idle expiry (ASA DCD); a: probe number, b: count
  kDcdAnswer,          // fate: an answer to a DCD probe, consumed by the box
  kDropTableFull,      // fate: no room for a new entry
  kDropBelowWindow,    // fate: below the box's tracked window (sequence check)
  kNatTranslated,      // fate (forwarded): a: original address/port, pack_endpoint()
  kPickedUp,           // fate (forwarded): a new entry from a mid-stream packet
  kPickedUpNat,        // fate (forwarded): picked up with a new NAT mapping; a: original address/port
  kNoRefresh,          // fate (forwarded): passed without refreshing the idle timer
  kUnknownTuple,       // fate: a host has no socket for this 4-tuple (answers as its OS does)
  kRstDataAfterClose,  // new data reached a socket its application had closed: RST (RFC 1122 4.2.2.13)
};

}  // namespace kasim
