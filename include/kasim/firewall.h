// A middlebox: a stateful firewall / NAT / L4 load balancer modelled as one
// configurable connection table. Real devices (middlebox_profiles.h) are
// presets of FirewallConfig: data plus the few rules that differ.
//
// The box sees each packet with the direction it travels in: from the
// connection's client (the side that connected, "inside" for a NAT) or from
// its server. What it does:
//  * tracks each flow in a state (SYN, ESTABLISHED, CLOSING after one FIN,
//    TIME_WAIT after both FINs, CLOSED after an RST) with a per-state idle
//    timeout; a picked-up flow may be capped until a reply is seen, and
//    repeated identical packets (unanswered probes) may shrink the timeout
//    (Linux conntrack's RETRANS rule);
//  * refreshes the timer from the packets its refresh policy counts (any
//    packet, packets with payload, only new data; from both sides or one);
//  * optionally checks sequence numbers against a tracked window: a segment
//    entirely below what the other side has acknowledged (a zero-byte
//    keepalive probe is; a one-byte probe is not) is dropped or passed
//    without refreshing;
//  * when an entry idles out: forgets it silently, sends an RST to both
//    ends (Azure LB "TCP reset on idle", ASA `idle ... reset`), or probes
//    both ends first and keeps the entry if both answer (ASA DCD);
//  * a later packet without state is picked up as a new entry (loose,
//    possibly from one side only), or dropped / answered with an RST to
//    its sender (optionally only for one side, as AWS NAT Gateway);
//  * a bounded table drops new flows, evicts the least recently active, or
//    (Linux early drop) evicts an entry whose handshake never completed;
//    pf-style adaptive timeouts shrink every timeout as the table fills;
//  * source NAT of the client side: a new mapping (port from the seeded
//    stream, or the original port if free) for every new entry, so a flow
//    picked up after expiry reaches the server as an unknown 4-tuple.
//
// Expiry is lazy: an entry remembers when it was last refreshed and the
// simulator checks it at the earliest possible expiry; a check that finds
// the entry refreshed asks to be called again later. A packet arriving after
// the deadline also finds the entry expired, so shrinking timeouts (adaptive
// scaling) never let a dead entry pass traffic. Refreshing never touches the
// event queue.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "kasim/event_queue.h"
#include "kasim/rng.h"
#include "kasim/segment.h"
#include "kasim/time.h"

namespace kasim {

// What a non-SYN packet without live state gets (when pickup refuses it).
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

// What the box does at the moment an ESTABLISHED entry idles out.
enum class IdleAction : uint8_t {
  kForget,     // remove the entry, send nothing
  kResetBoth,  // send an RST to each end, then remove the entry
  kProbe,      // Cisco ASA DCD: probe both ends; keep the entry if both answer
};
const char* idle_action_name(IdleAction a);

// Which packets refresh the idle timer.
enum class RefreshOn : uint8_t {
  kAny,      // every accepted packet (most firewalls and NATs)
  kData,     // packets with payload (a one-byte keepalive probe counts, a zero-byte one does not)
  kNewData,  // payload beyond what this side already sent (L7 proxies: no keepalive probe counts)
};
const char* refresh_on_name(RefreshOn r);

// A side of a connection as a middlebox sees it. The client is the side that
// connected; for a NAT it is the inside.
enum class Sides : uint8_t { kBoth, kClient, kServer };
const char* sides_name(Sides s);

enum class Pickup : uint8_t {
  kStrict,      // only a SYN creates an entry
  kLoose,       // a mid-stream ACK from either side creates one (Linux nf_conntrack_tcp_loose=1)
  kFromClient,  // only from the client side (GCP VPC firewall: egress re-creates tracking)
  kFromServer,
};
const char* pickup_name(Pickup p);

enum class WindowCheck : uint8_t {
  kOff,     // no sequence checks (Linux conntrack is lenient enough that keepalive probes pass)
  kDrop,    // a segment below the tracked window is invalid and dropped
  kIgnore,  // such a segment passes but does not refresh (conntrack's NFCT_TCP_IGNORE path)
};
const char* window_check_name(WindowCheck w);

// What a new flow meeting a full table gets.
enum class WhenFull : uint8_t {
  kDrop,         // the new flow's packet is dropped
  kEvictOldest,  // the least recently refreshed entry is evicted
  // Linux conntrack (nf_conntrack_core.c __nf_conntrack_alloc -> early_drop):
  // evict an entry that is not ASSURED (a SYN without a completed handshake,
  // a picked-up flow without a second reply); if there is none, drop ("table
  // full, dropping packet"). kasim evicts the least recently refreshed such
  // entry; the kernel kills the unassured entries of the first of 8 hash
  // buckets from the newcomer's hash that has one, so with few unassured
  // entries in a big hash it can still drop (tools/conntrack-compare).
  kEarlyDrop,
};
const char* when_full_name(WhenFull w);

struct NatConfig {
  bool enabled = false;
  Ipv4 address = 0;             // public address the client side is translated to
  uint16_t port_lo = 1024, port_hi = 65535;
  // Try the client's own port first (Linux MASQUERADE: "try the original
  // tuple first", nf_nat_core.c get_unique_tuple()); otherwise a port drawn
  // from the box's seeded stream.
  bool preserve_port = false;
};

struct FirewallConfig {
  // Idle timeouts per tracked state. Defaults follow Linux conntrack's
  // (nf_conntrack_proto_tcp.c tcp_timeouts[]) except `established`, which
  // scenarios almost always set. Time::never() = no timeout.
  Time established = Time::h(1);
  Time syn = Time::s(120);        // SYN seen, no answer yet (SYN_SENT)
  Time closing = Time::s(120);    // one FIN seen (FIN_WAIT)
  Time time_wait = Time::s(120);  // FINs from both sides (TIME_WAIT)
  Time closed = Time::s(10);      // RST seen (CLOSE)

  NoStateAction on_no_state = NoStateAction::kDrop;
  ResetStyle reset_style = ResetStyle::kRfc9293;
  Sides reset_senders = Sides::kBoth;  // whose no-state packets get the RST (others: dropped)

  IdleAction on_idle = IdleAction::kForget;
  Time probe_interval = Time::s(15);   // DCD retry-interval (ASA default 0:0:15)
  int probe_count = 5;                 // DCD max-retries (ASA default 5)

  RefreshOn refresh_on = RefreshOn::kAny;
  Sides refresh_from = Sides::kBoth;   // FortiGate refresh-direction

  Pickup pickup = Pickup::kStrict;
  // A picked-up entry's timeout until a packet from the other side is seen
  // (Linux: UNACK 300 s until SEEN_REPLY). never(): no cap.
  Time pickup_timeout = Time::never();

  WindowCheck window_check = WindowCheck::kOff;

  // Linux conntrack RETRANS rule: after `max_retrans` repeats of an identical
  // packet from the same side (unanswered probes), the timeout becomes
  // `retrans_timeout` if that is shorter. 0 = off.
  int max_retrans = 0;
  Time retrans_timeout = Time::s(300);

  size_t max_entries = 0;              // 0 = unbounded
  WhenFull when_full = WhenFull::kDrop;
  // pf adaptive timeouts: once live entries exceed `adaptive_start`, every
  // timeout is scaled by (end - entries) / (end - start). 0 = off.
  size_t adaptive_start = 0, adaptive_end = 0;

  NatConfig nat;
};

enum class FlowState : uint8_t { kSyn, kEstablished, kClosing, kTimeWait, kClosed, kProbing, kExpired };
const char* flow_state_name(FlowState s);

// Why an entry stopped being live.
enum class ExpiryCause : uint8_t {
  kIdle,        // its state's idle timeout ran out (after the RSTs its idle action sends)
  kUnanswered,  // DCD: an end did not answer the probes
  kEvicted,     // a new flow met a full table and took its place
};
const char* expiry_cause_name(ExpiryCause c);

// Why an entry's timeout differs from its state's configured one.
enum class TimeoutRule : uint8_t {
  kState,      // the state's own timeout
  kPickupCap,  // a picked-up entry without a reply yet: pickup_timeout
  kRetrans,    // max_retrans identical packets went unanswered: retrans_timeout
  kAdaptive,   // scaled down as the table filled (pf adaptive timeouts)
};

// An entry that expired, as observers (the trace) see it. `at` is when it
// expired: a deadline found only at the next packet (it moved earlier under
// adaptive timeouts) lies before the moment it is reported.
struct ExpiredEntry {
  uint32_t tag = 0;      // the entry's tag (the simulator's connection index)
  Time at;
  FlowState state = FlowState::kEstablished;  // the state whose timeout ran out (kProbing: DCD)
  Time timeout;          // that state's timeout as applied: caps, RETRANS rule and adaptive scaling included
  Time last_seen;        // the last refresh
  ExpiryCause cause = ExpiryCause::kIdle;
  TimeoutRule rule = TimeoutRule::kState;  // what set `timeout` (kIdle)
};

// Direction of a packet through the box.
enum class FlowDir : uint8_t { kFromClient = 0, kFromServer = 1 };

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

// An address and port packed for note arguments: addr << 16 | port.
inline int64_t pack_endpoint(Ipv4 addr, uint16_t port) { return static_cast<int64_t>(uint64_t{addr} << 16 | port); }

class Firewall {
 public:
  // `rng` draws NAT ports; give each box its own stream.
  explicit Firewall(const FirewallConfig& cfg, Rng rng = Rng(0)) : cfg_(cfg), rng_(rng) {}

  struct Verdict {
    bool forward = true;
    bool reply = false;        // `rst` goes back to the packet's sender
    Segment rst;
    // Drop reason when !forward; when forwarding, an annotation of what the
    // box did (NAT, pickup, no refresh), or kNone.
    NoteKind note = NoteKind::kNone;
    int64_t a = 0;             // note argument (see NoteKind)
    uint32_t new_entry = UINT32_MAX;  // an entry was created: schedule its expiry check
    uint32_t entry = UINT32_MAX;      // the entry the packet matched or created (its deadline may have moved)
    bool picked_up = false;    // the entry was created from a mid-stream packet
  };
  // Processes `seg` travelling in direction `dir`; rewrites it in place when
  // the box translates addresses. `tag` is stored with a new entry and given
  // back with packets the box originates (the simulator's connection index).
  Verdict process(Time now, Segment& seg, FlowDir dir, uint32_t tag = 0);

  // A packet the box originates on its own (idle RST, DCD probe).
  struct Injection {
    Segment seg;
    FlowDir dir;               // direction it travels: kFromServer = towards the client
    NoteKind why;
    int64_t a = 0, b = 0;
    uint32_t tag = 0;
  };
  // The timer of entry `slot` at `now`. Appends packets the box sends to
  // `out` (if given). Returns the time of the next check, or never() if the
  // entry expired now (or is gone).
  Time check_expiry(Time now, uint32_t slot, std::vector<Injection>* out = nullptr);
  // Drops all state at once (failover, reboot, rule reload). Flushed
  // entries are not logged as expired: the caller knows.
  void flush(Time now);

  // While on, every entry that expires is appended to expired(), so the
  // simulator can report it from the box's own state instead of anyone
  // re-deriving it. Off by default (fleets with a million entries).
  void set_expiry_log(bool on) { log_expiries_ = on; }
  const std::vector<ExpiredEntry>& expired() const { return expired_; }
  void clear_expired() { expired_.clear(); }

  TimerSlot& timer(uint32_t slot) { return entries_[slot].timer; }
  uint32_t timer_gen(uint32_t slot) const { return entries_[slot].timer.gen; }
  Time expiry_time(uint32_t slot) const;
  FlowState state(uint32_t slot) const { return entries_[slot].state; }
  uint32_t tag(uint32_t slot) const { return entries_[slot].tag; }
  size_t live_entries() const { return live_; }
  size_t peak_entries() const { return peak_; }
  // Memory one flow entry takes (its slot, index and tag lookup), for the
  // estimate behind --max-memory (simulator.h estimated_memory()).
  static size_t bytes_per_entry();
  static constexpr size_t kEntrySize = 136;  // sizeof(Entry), checked in bytes_per_entry()
  const FirewallConfig& config() const { return cfg_; }

 private:
  // Ordered by size so that nothing is padded (one per tracked flow; its
  // size is pinned by kEntrySize).
  struct Entry {
    Time last_seen;            // last refresh
    Time expired_at = Time::never();
    Time next_probe = Time::never();
    TimerSlot timer;
    FlowKey key;               // as seen on the client side
    FlowKey outside;           // as seen on the server side (differs under NAT)
    Ipv4 client = 0, server = 0, mapped = 0;
    uint32_t end[2] = {0, 0};          // highest sequence end sent by each side
    uint32_t acked[2] = {0, 0};        // highest ACK sent by each side
    // Last packet, for the RETRANS rule.
    uint32_t last_seq = 0, last_ack = 0, last_len = 0;
    int retrans = 0;
    int probes_sent = 0;
    uint32_t tag = 0;
    uint16_t client_port = 0, server_port = 0, mapped_port = 0;
    FlowState state = FlowState::kSyn;
    uint8_t last_dir = 2;
    bool picked_up = false;
    // Linux IPS_ASSURED: a packet in ESTABLISHED after both sides were seen
    // (the handshake's last ACK; a picked-up flow's packet after the reply).
    bool assured = false;
    bool seen[2] = {false, false};     // a packet from each side passed
    bool fin[2] = {false, false};
    bool answered[2] = {false, false}; // DCD: each side answered a probe
    bool has_ack[2] = {false, false};
  };

  Time timeout_of(const Entry& e, TimeoutRule* rule = nullptr) const;
  Time scaled(Time t) const;
  Segment reset_for(const Segment& seg) const;
  uint32_t create(Time now, const FlowKey& key, Segment& seg, FlowDir dir, uint32_t tag, Verdict& v);
  // The entry for `key` (UINT32_MAX if none), using the slot `tag` last hit.
  uint32_t find(const FlowKey& key, uint32_t tag);
  void expire(Entry& e, Time at, ExpiryCause cause = ExpiryCause::kIdle);
  void track(Entry& e, const Segment& seg, FlowDir dir);
  uint16_t pick_port(uint16_t original, Ipv4 server, uint16_t server_port);
  bool port_in_use(uint16_t port, Ipv4 server, uint16_t server_port) const;
  Segment make_segment(const Entry& e, FlowDir toward, uint8_t flags, uint32_t seq, uint32_t ack) const;

  FirewallConfig cfg_;
  Rng rng_;
  std::vector<Entry> entries_;
  std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index_;
  std::vector<uint32_t> by_tag_;  // tag -> slot + 1 of the entry it matched last (0: none)
  size_t live_ = 0, peak_ = 0;
  bool log_expiries_ = false;
  std::vector<ExpiredEntry> expired_;
};

}  // namespace kasim
