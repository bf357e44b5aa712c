#include "kasim/firewall.h"

namespace kasim {

using namespace tcp_flag;

const char* no_state_action_name(NoStateAction a) {
  return a == NoStateAction::kDrop ? "drop" : "reset-sender";
}

const char* flow_state_name(FlowState s) {
  switch (s) {
    case FlowState::kSyn: return "SYN";
    case FlowState::kEstablished: return "ESTABLISHED";
    case FlowState::kClosing: return "CLOSING";
    case FlowState::kClosed: return "CLOSED";
    case FlowState::kExpired: return "EXPIRED";
  }
  return "?";
}

FlowKey FlowKey::of(const Segment& s) {
  FlowKey k;
  if (s.src < s.dst || (s.src == s.dst && s.sport <= s.dport)) {
    k.a = s.src; k.ap = s.sport; k.b = s.dst; k.bp = s.dport;
  } else {
    k.a = s.dst; k.ap = s.dport; k.b = s.src; k.bp = s.sport;
  }
  return k;
}

Time Firewall::timeout_of(FlowState s) const {
  switch (s) {
    case FlowState::kSyn: return cfg_.syn;
    case FlowState::kEstablished: return cfg_.established;
    case FlowState::kClosing: return cfg_.closing;
    case FlowState::kClosed: return cfg_.closed;
    case FlowState::kExpired: return Time::never();
  }
  return Time::never();
}

Time Firewall::expiry_time(uint32_t slot) const {
  const Entry& e = entries_[slot];
  if (e.state == FlowState::kExpired) return e.expired_at;
  return e.last_seen + timeout_of(e.state);
}

Segment Firewall::reset_for(const Segment& seg) const {
  // RFC 9293 §3.10.7.1: if the offending segment has ACK set, the reset takes
  // its sequence number from the ACK field; otherwise seq 0 and ACK set to
  // seq + length. The reset claims to come from the packet's destination.
  Segment r;
  r.src = seg.dst;
  r.dst = seg.src;
  r.sport = seg.dport;
  r.dport = seg.sport;
  if (seg.has(kAck)) {
    r.seq = seg.ack;
    r.flags = kRst;
  } else {
    r.seq = 0;
    r.ack = seg.seq + seg.seq_len();
    r.flags = kRst | kAck;
  }
  return r;
}

Firewall::Verdict Firewall::process(Time now, const Segment& seg) {
  Verdict v;
  FlowKey key = FlowKey::of(seg);
  auto it = index_.find(key);
  Entry* e = it == index_.end() ? nullptr : &entries_[it->second];
  // An entry whose timeout shrank (SYN 120 s -> established) may be past its
  // deadline before its expiry check runs; the lookup decides, as conntrack's
  // nf_ct_is_expired() does at lookup.
  if (e != nullptr && e->state != FlowState::kExpired && now >= e->last_seen + timeout_of(e->state)) {
    e->expired_at = e->last_seen + timeout_of(e->state);
    e->state = FlowState::kExpired;
    e->timer.cancel();
    --live_;
  }
  bool live = e != nullptr && e->state != FlowState::kExpired;

  if (!live) {
    if (seg.has(kSyn) && !seg.has(kAck)) {
      uint32_t slot;
      if (e != nullptr) {
        slot = it->second;
      } else {
        slot = static_cast<uint32_t>(entries_.size());
        entries_.push_back(Entry{});
        index_.emplace(key, slot);
      }
      Entry& n = entries_[slot];
      n.key = key;
      n.state = FlowState::kSyn;
      n.last_seen = now;
      n.expired_at = Time::never();
      ++live_;
      if (live_ > peak_) peak_ = live_;
      v.new_entry = slot;
      return v;
    }
    // Strict pickup: a non-SYN packet without state is invalid.
    v.forward = false;
    v.a = e != nullptr ? e->expired_at.count_ns() : -1;
    if (cfg_.on_no_state == NoStateAction::kResetSender && !seg.has(kRst)) {
      v.reply = true;
      v.rst = reset_for(seg);
      v.note = NoteKind::kFirewallRstNoState;
    } else {
      v.note = NoteKind::kDropNoState;
    }
    return v;
  }

  e->last_seen = now;
  if (seg.has(kRst)) {
    e->state = FlowState::kClosed;
  } else if (seg.has(kFin)) {
    if (e->state != FlowState::kClosed) e->state = FlowState::kClosing;
  } else if (e->state == FlowState::kSyn && seg.has(kAck)) {
    // SYN-ACK (or the handshake's ACK) confirms the flow.
    e->state = FlowState::kEstablished;
  }
  return v;
}

Time Firewall::check_expiry(Time now, uint32_t slot) {
  Entry& e = entries_[slot];
  if (e.state == FlowState::kExpired) return Time::never();
  Time due = e.last_seen + timeout_of(e.state);
  if (due > now) return due;
  e.state = FlowState::kExpired;
  e.expired_at = due;
  --live_;
  return Time::never();
}

void Firewall::flush(Time now) {
  for (Entry& e : entries_) {
    if (e.state == FlowState::kExpired) continue;
    e.state = FlowState::kExpired;
    e.expired_at = now;
    e.timer.cancel();
  }
  live_ = 0;
}

}  // namespace kasim
