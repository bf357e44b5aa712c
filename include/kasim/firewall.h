// A stateful firewall: a connection table with per-state idle timeouts.
//
// Every forwarded packet of a tracked flow refreshes its entry. An entry
// that stays idle past its state's timeout expires; the next packet of that
// flow finds no state and gets the configured action (silent drop, or an RST
// back to the sender built the way RFC 9293 §3.10.7.1 and Linux's
// nf_send_reset() build one). Pickup is strict: only a SYN creates state.
//
// Expiry is lazy: an entry remembers when it was last refreshed and the
// simulator checks it at the earliest possible expiry; a check that finds
// the entry refreshed asks to be called again later. Refreshing never
// touches the event queue.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "kasim/event_queue.h"
#include "kasim/segment.h"
#include "kasim/time.h"

namespace kasim {

enum class NoStateAction : uint8_t {
  kDrop,         // silent: the packet vanishes
  kResetSender,  // answer the packet with an RST to its sender
};
const char* no_state_action_name(NoStateAction a);

// How the RST answering a packet without state is built.
enum class ResetStyle : uint8_t {
  kRfc9293,  // RFC 9293 §3.10.7.1: seq = the packet's ACK field (or RST|ACK, ack = seq+len)
  kMirror,   // RST|ACK with seq = the packet's ACK, ack = its seq, and its length: what the
             // firewall in seed report 003 sent ("R 86:87(1) ack 1031" for "1031:1032(1) ack 86")
};

struct FirewallConfig {
  // Idle timeouts per tracked state. Defaults follow Linux conntrack's
  // (nf_conntrack_proto_tcp.c tcp_timeouts[]) except `established`, which
  // scenarios almost always set.
  Time established = Time::h(1);
  Time syn = Time::s(120);     // SYN seen, no answer yet
  Time closing = Time::s(120); // FIN seen
  Time closed = Time::s(10);   // RST seen
  NoStateAction on_no_state = NoStateAction::kDrop;
  ResetStyle reset_style = ResetStyle::kRfc9293;
};

enum class FlowState : uint8_t { kSyn, kEstablished, kClosing, kClosed, kExpired };
const char* flow_state_name(FlowState s);

struct FlowKey {
  Ipv4 a = 0, b = 0;
  uint16_t ap = 0, bp = 0;
  bool operator==(const FlowKey&) const = default;
  // Both directions of a flow map to the same key.
  static FlowKey of(const Segment& s);
};
struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
    uint64_t x = (uint64_t{k.a} << 32 | k.b) * 0x9E3779B97F4A7C15ull;
    x ^= (uint64_t{k.ap} << 16 | k.bp) + 0x7F4A7C159E3779B9ull + (x << 6) + (x >> 2);
    return static_cast<size_t>(x ^ (x >> 31));
  }
};

class Firewall {
 public:
  explicit Firewall(const FirewallConfig& cfg) : cfg_(cfg) {}

  struct Verdict {
    bool forward = true;
    bool reply = false;        // `rst` goes back to the packet's sender
    Segment rst;
    NoteKind note = NoteKind::kNone;
    int64_t a = 0;             // note argument: when the state expired (ns), -1 if never tracked
    uint32_t new_entry = UINT32_MAX;  // an entry was created: schedule its expiry check
  };
  Verdict process(Time now, const Segment& seg);

  // The expiry check for entry `slot` at `now`. Returns the time of the next
  // check, or never() if the entry expired now (or is gone).
  Time check_expiry(Time now, uint32_t slot);
  // Drops all state at once (failover, reboot, rule reload).
  void flush(Time now);

  TimerSlot& timer(uint32_t slot) { return entries_[slot].timer; }
  uint32_t timer_gen(uint32_t slot) const { return entries_[slot].timer.gen; }
  Time expiry_time(uint32_t slot) const;
  size_t live_entries() const { return live_; }
  size_t peak_entries() const { return peak_; }
  const FirewallConfig& config() const { return cfg_; }

 private:
  struct Entry {
    FlowKey key;
    Time last_seen;
    Time expired_at = Time::never();
    FlowState state = FlowState::kSyn;
    TimerSlot timer;
  };
  Time timeout_of(FlowState s) const;
  Segment reset_for(const Segment& seg) const;

  FirewallConfig cfg_;
  std::vector<Entry> entries_;
  std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index_;
  size_t live_ = 0, peak_ = 0;
};

}  // namespace kasim
