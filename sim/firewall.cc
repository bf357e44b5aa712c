#include "kasim/firewall.h"

#include <algorithm>

namespace kasim {

using namespace tcp_flag;

const char* no_state_action_name(NoStateAction a) {
  return a == NoStateAction::kDrop ? "drop" : "reset-sender";
}

const char* idle_action_name(IdleAction a) {
  switch (a) {
    case IdleAction::kForget: return "forget";
    case IdleAction::kResetBoth: return "reset-both";
    case IdleAction::kProbe: return "probe";
  }
  return "?";
}

const char* refresh_on_name(RefreshOn r) {
  switch (r) {
    case RefreshOn::kAny: return "any";
    case RefreshOn::kData: return "data";
    case RefreshOn::kNewData: return "new-data";
  }
  return "?";
}

const char* sides_name(Sides s) {
  switch (s) {
    case Sides::kBoth: return "both";
    case Sides::kClient: return "client";
    case Sides::kServer: return "server";
  }
  return "?";
}

const char* pickup_name(Pickup p) {
  switch (p) {
    case Pickup::kStrict: return "strict";
    case Pickup::kLoose: return "loose";
    case Pickup::kFromClient: return "from-client";
    case Pickup::kFromServer: return "from-server";
  }
  return "?";
}

const char* window_check_name(WindowCheck w) {
  switch (w) {
    case WindowCheck::kOff: return "off";
    case WindowCheck::kDrop: return "drop";
    case WindowCheck::kIgnore: return "ignore";
  }
  return "?";
}

const char* when_full_name(WhenFull w) {
  switch (w) {
    case WhenFull::kDrop: return "drop";
    case WhenFull::kEvictOldest: return "evict-oldest";
    case WhenFull::kEarlyDrop: return "early-drop";
  }
  return "?";
}

const char* flow_state_name(FlowState s) {
  switch (s) {
    case FlowState::kSyn: return "SYN";
    case FlowState::kEstablished: return "ESTABLISHED";
    case FlowState::kClosing: return "CLOSING";
    case FlowState::kTimeWait: return "TIME_WAIT";
    case FlowState::kClosed: return "CLOSED";
    case FlowState::kProbing: return "PROBING";
    case FlowState::kExpired: return "EXPIRED";
  }
  return "?";
}

const char* expiry_cause_name(ExpiryCause c) {
  switch (c) {
    case ExpiryCause::kIdle: return "idle";
    case ExpiryCause::kUnanswered: return "unanswered";
    case ExpiryCause::kEvicted: return "evicted";
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

namespace {

// `at + d`, where a never() duration stays never().
Time after(Time at, Time d) { return d.is_never() ? Time::never() : at + d; }

bool allows(Sides s, FlowDir d) {
  return s == Sides::kBoth || (s == Sides::kClient) == (d == FlowDir::kFromClient);
}

FlowKey key_of(Ipv4 a, uint16_t ap, Ipv4 b, uint16_t bp) {
  Segment s;
  s.src = a; s.sport = ap; s.dst = b; s.dport = bp;
  return FlowKey::of(s);
}

}  // namespace

Time Firewall::scaled(Time t) const {
  // pf.conf(5): timeouts scale linearly by (end - states) / (end - start)
  // once the number of states exceeds adaptive.start.
  if (t.is_never() || cfg_.adaptive_end <= cfg_.adaptive_start || live_ <= cfg_.adaptive_start) return t;
  if (live_ >= cfg_.adaptive_end) return Time();
  __extension__ using i128 = __int128;
  i128 v = static_cast<i128>(t.count_ns()) * static_cast<i128>(cfg_.adaptive_end - live_) /
           static_cast<i128>(cfg_.adaptive_end - cfg_.adaptive_start);
  return Time::ns(static_cast<int64_t>(v));
}

Time Firewall::timeout_of(const Entry& e, TimeoutRule* rule) const {
  TimeoutRule why = TimeoutRule::kState;
  Time t = Time::never();
  switch (e.state) {
    case FlowState::kSyn: t = cfg_.syn; break;
    case FlowState::kEstablished: t = cfg_.established; break;
    case FlowState::kClosing: t = cfg_.closing; break;
    case FlowState::kTimeWait: t = cfg_.time_wait; break;
    case FlowState::kClosed: t = cfg_.closed; break;
    case FlowState::kProbing:
    case FlowState::kExpired: return Time::never();
  }
  // Linux: an ESTABLISHED entry without SEEN_REPLY is capped at UNACK.
  if (e.picked_up && !(e.seen[0] && e.seen[1]) && cfg_.pickup_timeout < t) {
    t = cfg_.pickup_timeout;
    why = TimeoutRule::kPickupCap;
  }
  // Linux: retrans >= nf_conntrack_tcp_max_retrans gives the RETRANS timeout.
  if (cfg_.max_retrans > 0 && e.retrans >= cfg_.max_retrans && cfg_.retrans_timeout < t) {
    t = cfg_.retrans_timeout;
    why = TimeoutRule::kRetrans;
  }
  Time s = scaled(t);
  if (s != t) why = TimeoutRule::kAdaptive;
  if (rule != nullptr) *rule = why;
  return s;
}

size_t Firewall::bytes_per_entry() {
  static_assert(sizeof(Entry) == kEntrySize, "a flow entry grew: a fleet holds one per connection");
  // The slot, the tag lookup, and a node of the hash index (key and value,
  // next pointer, cached hash) plus its bucket pointer.
  return sizeof(Entry) + sizeof(uint32_t) + sizeof(std::pair<const FlowKey, uint32_t>) + 3 * sizeof(void*);
}

Time Firewall::expiry_time(uint32_t slot) const {
  const Entry& e = entries_[slot];
  if (e.state == FlowState::kExpired) return e.expired_at;
  if (e.state == FlowState::kProbing) return e.next_probe;
  return after(e.last_seen, timeout_of(e));
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
  if (seg.has(kAck) && cfg_.reset_style == ResetStyle::kMirror) {
    r.seq = seg.ack;
    r.ack = seg.seq;
    r.len = seg.len;
    r.flags = kRst | kAck;
  } else if (seg.has(kAck)) {
    r.seq = seg.ack;
    r.flags = kRst;
  } else {
    r.seq = 0;
    r.ack = seg.seq + seg.seq_len();
    r.flags = kRst | kAck;
  }
  return r;
}

bool Firewall::port_in_use(uint16_t port, Ipv4 server, uint16_t server_port) const {
  auto it = index_.find(key_of(cfg_.nat.address, port, server, server_port));
  return it != index_.end() && entries_[it->second].state != FlowState::kExpired;
}

uint16_t Firewall::pick_port(uint16_t original, Ipv4 server, uint16_t server_port) {
  const NatConfig& n = cfg_.nat;
  if (n.preserve_port && original >= n.port_lo && original <= n.port_hi && !port_in_use(original, server, server_port))
    return original;
  uint64_t span = uint64_t{n.port_hi} - n.port_lo + 1;
  uint16_t p = static_cast<uint16_t>(n.port_lo + rng_.below(span));
  // Linear probing from the drawn port keeps the choice deterministic.
  for (uint64_t i = 0; i < span && port_in_use(p, server, server_port); ++i)
    p = p == n.port_hi ? n.port_lo : static_cast<uint16_t>(p + 1);
  return p;
}

void Firewall::expire(Entry& e, Time at, ExpiryCause cause) {
  if (log_expiries_) {
    // Before the state changes and live_ drops: the timeout that ran out.
    TimeoutRule rule = TimeoutRule::kState;
    Time timeout = e.state == FlowState::kProbing ? scaled(cfg_.established) : timeout_of(e, &rule);
    expired_.push_back(ExpiredEntry{e.tag, at, e.state, timeout, e.last_seen, cause, rule});
  }
  e.state = FlowState::kExpired;
  e.expired_at = at;
  --live_;
}

void Firewall::track(Entry& e, const Segment& seg, FlowDir dir) {
  int d = static_cast<int>(dir);
  if (!e.seen[d] || seq_after(seg.end_seq(), e.end[d])) e.end[d] = seg.end_seq();
  if (seg.has(kAck) && (!e.has_ack[d] || seq_after(seg.ack, e.acked[d]))) {
    e.acked[d] = seg.ack;
    e.has_ack[d] = true;
  }
  e.seen[d] = true;
  // tcp_in_window() "Check retransmissions": identical packets from the same side.
  if (e.last_dir == d && e.last_seq == seg.seq && e.last_ack == seg.ack && e.last_len == seg.len) {
    ++e.retrans;
  } else {
    e.last_dir = static_cast<uint8_t>(d);
    e.last_seq = seg.seq;
    e.last_ack = seg.ack;
    e.last_len = seg.len;
    e.retrans = 0;
  }
}

uint32_t Firewall::create(Time now, const FlowKey& key, Segment& seg, FlowDir dir, uint32_t tag, Verdict& v) {
  auto it = index_.find(key);
  uint32_t slot;
  if (it != index_.end() && !cfg_.nat.enabled) {
    slot = it->second;  // reuse the expired entry's slot (its timer generation carries on)
  } else {
    // Under NAT the old entry keeps its outside key, so late packets to the
    // old mapping still report when it expired.
    slot = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& n = entries_[slot];
  TimerSlot timer = n.timer;
  n = Entry{};
  n.timer = timer;
  n.key = key;
  bool from_client = dir == FlowDir::kFromClient;
  n.client = from_client ? seg.src : seg.dst;
  n.client_port = from_client ? seg.sport : seg.dport;
  n.server = from_client ? seg.dst : seg.src;
  n.server_port = from_client ? seg.dport : seg.sport;
  n.mapped = n.client;
  n.mapped_port = n.client_port;
  n.outside = key;
  if (cfg_.nat.enabled) {
    n.mapped = cfg_.nat.address;
    n.mapped_port = pick_port(n.client_port, n.server, n.server_port);
    n.outside = key_of(n.mapped, n.mapped_port, n.server, n.server_port);
    index_.insert_or_assign(n.outside, slot);
  }
  index_.insert_or_assign(key, slot);
  n.picked_up = !seg.has(kSyn);
  n.state = n.picked_up ? FlowState::kEstablished : FlowState::kSyn;
  n.last_seen = now;
  n.tag = tag;
  track(n, seg, dir);
  ++live_;
  peak_ = std::max(peak_, live_);
  // The tag's packets now belong to this entry: the lookup cache must not
  // keep answering with an expired one that shares its key (under NAT the
  // old entry keeps its slot), or every later packet would be picked up
  // again with yet another mapping.
  if (tag >= by_tag_.size()) by_tag_.resize(static_cast<size_t>(tag) + 1, 0);
  by_tag_[tag] = slot + 1;
  v.new_entry = slot;
  v.entry = slot;
  v.picked_up = n.picked_up;
  if (cfg_.nat.enabled) {
    v.note = n.picked_up ? NoteKind::kPickedUpNat : NoteKind::kNatTranslated;
    v.a = pack_endpoint(seg.src, seg.sport);
    seg.src = n.mapped;
    seg.sport = n.mapped_port;
  } else if (n.picked_up) {
    v.note = NoteKind::kPickedUp;
  }
  return slot;
}

uint32_t Firewall::find(const FlowKey& key, uint32_t tag) {
  // Packets of one connection keep hitting the same entry: try the slot this
  // tag matched last before paying for a hash lookup (a cache miss or two
  // with a million entries).
  if (tag < by_tag_.size() && by_tag_[tag] != 0) {
    uint32_t slot = by_tag_[tag] - 1;
    const Entry& e = entries_[slot];
    if (e.key == key || e.outside == key) return slot;
  }
  auto it = index_.find(key);
  if (it == index_.end()) return UINT32_MAX;
  if (tag >= by_tag_.size()) by_tag_.resize(static_cast<size_t>(tag) + 1, 0);
  by_tag_[tag] = it->second + 1;
  return it->second;
}

Firewall::Verdict Firewall::process(Time now, Segment& seg, FlowDir dir, uint32_t tag) {
  Verdict v;
  int d = static_cast<int>(dir);
  FlowKey key = FlowKey::of(seg);
  uint32_t found = find(key, tag);
  Entry* e = found == UINT32_MAX ? nullptr : &entries_[found];
  // Lazy expiry at packet time as well: a deadline that moved earlier (an
  // adaptive timeout) must not let a dead entry pass traffic. Boxes that act
  // at expiry (RST, probes) do so from their timer.
  if (e != nullptr && e->state != FlowState::kExpired && e->state != FlowState::kProbing &&
      cfg_.on_idle == IdleAction::kForget) {
    Time due = after(e->last_seen, timeout_of(*e));
    if (due <= now) {
      expire(*e, due);
      e->timer.cancel();
    }
  }
  bool live = e != nullptr && e->state != FlowState::kExpired;

  if (!live) {
    bool syn = seg.has(kSyn) && !seg.has(kAck);
    bool mid_stream_ack = seg.has(kAck) && !seg.has(kSyn) && !seg.has(kFin) && !seg.has(kRst);
    bool pick = mid_stream_ack && (cfg_.pickup == Pickup::kLoose ||
                                   (cfg_.pickup == Pickup::kFromClient && dir == FlowDir::kFromClient) ||
                                   (cfg_.pickup == Pickup::kFromServer && dir == FlowDir::kFromServer));
    // A NAT cannot create a mapping from the outside.
    if (cfg_.nat.enabled && dir == FlowDir::kFromServer) pick = syn = false;
    if (syn || pick) {
      if (cfg_.max_entries > 0 && live_ >= cfg_.max_entries) {
        // The victim: the least recently refreshed entry (ties: the lowest
        // slot), for early drop only among entries that are not ASSURED.
        Entry* oldest = nullptr;
        if (cfg_.when_full != WhenFull::kDrop)
          for (Entry& o : entries_)
            if (o.state != FlowState::kExpired && !(cfg_.when_full == WhenFull::kEarlyDrop && o.assured) &&
                (oldest == nullptr || o.last_seen < oldest->last_seen))
              oldest = &o;
        if (oldest == nullptr) {
          v.forward = false;
          v.note = NoteKind::kDropTableFull;
          v.a = static_cast<int64_t>(live_);
          return v;
        }
        expire(*oldest, now, ExpiryCause::kEvicted);
        oldest->timer.cancel();
      }
      create(now, key, seg, dir, tag, v);
      return v;
    }
    // No state and no pickup: the packet is invalid.
    v.forward = false;
    v.a = e != nullptr ? e->expired_at.count_ns() : -1;
    if (cfg_.on_no_state == NoStateAction::kResetSender && !seg.has(kRst) && allows(cfg_.reset_senders, dir)) {
      v.reply = true;
      v.rst = reset_for(seg);
      v.note = NoteKind::kFirewallRstNoState;
    } else {
      v.note = NoteKind::kDropNoState;
    }
    return v;
  }

  v.entry = found;
  bool pure = seg.len == 0 && !seg.has(kSyn) && !seg.has(kFin) && !seg.has(kRst);
  if (e->state == FlowState::kProbing) {
    e->answered[d] = true;
    if (pure) {
      // An answer to a DCD probe: the box keeps it.
      if (e->answered[0] && e->answered[1]) {
        e->state = FlowState::kEstablished;
        e->last_seen = now;  // "updates the activity timeout to the current time"
        e->next_probe = Time::never();
      }
      v.forward = false;
      v.note = NoteKind::kDcdAnswer;
      return v;
    }
    // Real traffic ends probing: the flow is alive.
    e->state = FlowState::kEstablished;
    e->next_probe = Time::never();
  }

  // Sequence check: a segment that ends below what the other side has
  // acknowledged carries nothing new (a zero-byte keepalive probe does; a
  // one-byte probe ends exactly at the acknowledged edge).
  bool below = cfg_.window_check != WindowCheck::kOff && !seg.has(kRst) && e->has_ack[1 - d] &&
               seq_before(seg.end_seq(), e->acked[1 - d]);
  if (below && cfg_.window_check == WindowCheck::kDrop) {
    v.forward = false;
    v.note = NoteKind::kDropBelowWindow;
    return v;
  }

  if (cfg_.nat.enabled) {
    v.note = NoteKind::kNatTranslated;
    if (dir == FlowDir::kFromClient) {
      v.a = pack_endpoint(seg.src, seg.sport);
      seg.src = e->mapped;
      seg.sport = e->mapped_port;
    } else {
      v.a = pack_endpoint(seg.dst, seg.dport);
      seg.dst = e->client;
      seg.dport = e->client_port;
    }
  }
  if (below) {  // WindowCheck::kIgnore: passes, changes nothing
    v.note = NoteKind::kNoRefresh;
    return v;
  }

  bool counts = allows(cfg_.refresh_from, dir);
  switch (cfg_.refresh_on) {
    case RefreshOn::kAny: break;
    case RefreshOn::kData: counts = counts && seg.len > 0; break;
    case RefreshOn::kNewData:
      counts = counts && seg.len > 0 && (!e->seen[d] || seq_after(seg.end_seq(), e->end[d]));
      break;
  }
  FlowState before = e->state;
  bool seen_before[2] = {e->seen[0], e->seen[1]};
  track(*e, seg, dir);
  if (seg.has(kRst)) {
    e->state = FlowState::kClosed;
  } else if (seg.has(kFin)) {
    e->fin[d] = true;
    if (e->state != FlowState::kClosed)
      e->state = e->fin[0] && e->fin[1] ? FlowState::kTimeWait : FlowState::kClosing;
  } else if (e->state == FlowState::kSyn && seg.has(kAck)) {
    // SYN-ACK (or the handshake's ACK) confirms the flow.
    e->state = FlowState::kEstablished;
  }
  // nf_conntrack_tcp_packet(): ASSURED once SEEN_REPLY is set and a packet
  // moves SYN_RECV or ESTABLISHED to ESTABLISHED.
  if (seen_before[0] && seen_before[1] && (before == FlowState::kSyn || before == FlowState::kEstablished) &&
      e->state == FlowState::kEstablished)
    e->assured = true;
  // A state change always sets the new state's timer; so does the first
  // reply to a picked-up entry (the cap is lifted).
  bool first_reply = e->picked_up && !(seen_before[0] && seen_before[1]) && e->seen[0] && e->seen[1];
  if (counts || e->state != before || first_reply) {
    e->last_seen = now;
  } else {
    v.note = NoteKind::kNoRefresh;
  }
  return v;
}

Segment Firewall::make_segment(const Entry& e, FlowDir toward, uint8_t flags, uint32_t seq, uint32_t ack) const {
  Segment s;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  if (toward == FlowDir::kFromServer) {  // to the client, in the server's name
    s.src = e.server; s.sport = e.server_port;
    s.dst = e.client; s.dport = e.client_port;
  } else {  // to the server, in the (mapped) client's name
    s.src = e.mapped; s.sport = e.mapped_port;
    s.dst = e.server; s.dport = e.server_port;
  }
  return s;
}

Time Firewall::check_expiry(Time now, uint32_t slot, std::vector<Injection>* out) {
  Entry& e = entries_[slot];
  if (e.state == FlowState::kExpired) return Time::never();
  // What each end expects next: its own ACK field is its RCV.NXT.
  auto rcv_nxt = [&](int side) { return e.has_ack[side] ? e.acked[side] : e.end[1 - side]; };
  if (e.state != FlowState::kProbing) {
    Time due = after(e.last_seen, timeout_of(e));
    if (due > now) return due;
    if (e.state == FlowState::kEstablished && cfg_.on_idle == IdleAction::kResetBoth) {
      // Azure LB "TCP reset on idle": an RST to each end, with the sequence
      // number that end accepts (its RCV.NXT).
      if (out != nullptr) {
        out->push_back(Injection{make_segment(e, FlowDir::kFromServer, kRst, rcv_nxt(0), 0), FlowDir::kFromServer,
                                 NoteKind::kFirewallRstIdle, 0, 0, e.tag});
        out->push_back(Injection{make_segment(e, FlowDir::kFromClient, kRst, rcv_nxt(1), 0), FlowDir::kFromClient,
                                 NoteKind::kFirewallRstIdle, 0, 0, e.tag});
      }
    } else if (e.state == FlowState::kEstablished && cfg_.on_idle == IdleAction::kProbe && cfg_.probe_count > 0) {
      e.state = FlowState::kProbing;
      e.answered[0] = e.answered[1] = false;
      e.probes_sent = 0;
      e.next_probe = now;
    }
    if (e.state != FlowState::kProbing) {
      expire(e, due);
      return Time::never();
    }
  }
  // Probing (ASA DCD).
  if (now < e.next_probe) return e.next_probe;
  if (e.probes_sent >= cfg_.probe_count) {
    expire(e, now, ExpiryCause::kUnanswered);  // an end did not answer: the connection is freed
    return Time::never();
  }
  ++e.probes_sent;
  for (int side = 0; side < 2; ++side) {
    if (e.answered[side] || out == nullptr) continue;
    // A keepalive-shaped probe: seq = RCV.NXT - 1 of the end, no payload.
    FlowDir toward = side == 0 ? FlowDir::kFromServer : FlowDir::kFromClient;
    out->push_back(Injection{make_segment(e, toward, kAck, rcv_nxt(side) - 1, rcv_nxt(1 - side)), toward,
                             NoteKind::kDcdProbe, e.probes_sent, cfg_.probe_count, e.tag});
  }
  e.next_probe = now + cfg_.probe_interval;
  return e.next_probe;
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
