#include "kasim/simulator.h"

#include <algorithm>
#include <cassert>
#include <sys/mman.h>
#include <map>

#include <fmt/format.h>

#include "kasim/event_queue.h"
#include "kasim/firewall.h"
#include "kasim/linux_timer.h"
#include "kasim/process_kill.h"
#include "kasim/rng.h"
#include "kasim/route.h"
#include "kasim/topology.h"

namespace kasim {

namespace {

// A packet travelling along its connection's route.
struct Packet {
  Segment seg;
  uint32_t conn = 0;
  uint32_t origin = 0;   // node that created it
  int32_t pos = 0;       // index in route.nodes of the node it is heading to
  int8_t step = 1;       // +1: client -> server, -1: server -> client
  NoteKind why = NoteKind::kNone;
  int64_t a = 0, b = 0;
};

struct HostRt {
  LinuxClock clock;
  SlowtimoClock slowtimo;            // profiles with TimerModel::kSlowtimo (AIX)
  TcpEndpointEnv env;                // what the host's own endpoints share (points into this)
  bool down = false;                 // crashed: neither sends nor receives
  std::vector<uint32_t> blocked;     // hosts whose packets the input filter drops
};

struct LinkRt {
  bool up = true;
  uint64_t sampled_packets = 0;  // since the last sample
  uint64_t sampled_probes = 0;
  Time delay;
  uint32_t loss_ppb = 0;
  Rng rng;
};

// Where the most recent packet of a connection was lost: the suspect when a
// side later times out. Kept as a kind and an index, and only put into words
// when an outcome needs it (nothing is formatted per dropped packet).
struct LossNote {
  enum Kind : uint8_t { kNone, kLinkDown, kLinkLoss, kMiddlebox, kTableFull, kSequenceCheck, kHostDown, kInputFilter,
                        kPeerGone };
  Kind kind = kNone;
  uint32_t index = 0;  // link, middlebox or host index
};

// One connection instance's hot state. The fields every event reads (the
// timer generations, the route, `gone`) come first, in one cache line.
struct ConnRt {
  TimerSlot timer[2];
  uint32_t route = 0;     // index into Impl::routes (shared by connections on the same path)
  uint32_t spec = 0;      // index into Scenario::connections
  uint32_t instance = 0;  // position within a fleet (0 for single connections)
  bool gone[2] = {false, false};  // a fleet instance's side vanished (its host crashed)
  uint8_t os = 0;         // a fleet with an os_mix: the client's entry in it (an index, not a name)
  LossNote loss;
  TcpEndpoint ep[2];
};
// Pinned so that growth shows (a fleet holds one per connection; the
// memory estimate behind --max-memory follows it).
static_assert(sizeof(ConnRt) == 56 + 2 * sizeof(TcpEndpoint), "ConnRt grew");

// What a connection's outcome needs, touched only when an application event
// happens: kept apart from ConnRt so the per-packet path reads fewer bytes.
// Texts (error causes, killers) are interned in Impl::texts: most
// connections share them, and none is allocated per connection.
struct ColdSide {
  Time error_at = Time::never();
  Time eof_at = Time::never();
  Time closed_at = Time::never();
  uint32_t error_cause = 0;  // index into Impl::texts (0: "")
  SocketError error = SocketError::kNone;
  bool connected = false;
  bool app_closed = false;   // the application called close() (or aborted)
  bool orphan_gave_up = false;  // the kernel gave up retransmitting after close() (closed_at: when)
};
struct ConnCold {
  ColdSide side[2];
  uint32_t killer = 0;       // index into Impl::texts (0: none yet)
  uint32_t remapped_by = 0;  // 1 + the NAT middlebox that gave this flow a new mapping mid-stream; 0: none
};
static_assert(sizeof(ColdSide) == 32 && sizeof(ConnCold) == 72, "a fleet holds one per connection");

// What caused an application error, worked out only when one happens: the
// packet that triggered it, or the timer that gave up.
struct ErrorContext {
  const Packet* packet = nullptr;
  int keepalive_gave_up = -1;  // probes sent when keepalive gave up; -1: not keepalive
};

// Asks the kernel to back a large array with transparent huge pages: a fleet
// touches its connections in random order, and with 4 KiB pages nearly every
// access misses the TLB. Only a hint; nothing depends on it being honoured.
template <typename T>
void advise_huge_pages(const std::vector<T>& v) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(v.data() + v.capacity())) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// One traffic step of one connection instance. `rng` draws its periods,
// bursts and idle gaps (TrafficStep::drawn()); the sends left in the
// current burst travel in the step's event (Event::aux).
struct StepRef {
  uint32_t conn;
  uint32_t step;
  Rng rng;
};

// Events a connection instance keeps pending before and while it runs (its
// opening, both endpoints' timers, one packet on the wire) besides one per
// traffic step; doubled as slack for the event queue's storage (events live
// in 512-byte blocks per slot, the last block of a slot partly filled).
constexpr uint64_t kEventsPerConnection = 4;
constexpr uint64_t kQueueSlack = 2;

// Bytes of one instance of `c`, with `middleboxes` boxes on its route.
uint64_t bytes_per_instance(const ConnectionSpec& c, uint64_t middleboxes) {
  uint64_t steps = c.traffic.size();
  return sizeof(ConnRt) + sizeof(ConnCold) + steps * sizeof(StepRef) +
         (kEventsPerConnection + steps) * sizeof(Event) * kQueueSlack + sizeof(Packet) +
         middleboxes * Firewall::bytes_per_entry();
}

// A fleet's client OS (an os_mix entry) as its endpoints see it. The host's
// own OS uses the host's clocks (its hz, jiffies_phase, tick settings);
// another OS gets clocks of its own, its default HZ, phases from the seed.
struct ClientOsRt {
  TcpEndpointEnv env;  // what its endpoints share
  LinuxClock own_clock;
  SlowtimoClock own_slowtimo;
};

// Exact shares of `count` instances (largest remainder: the floors first,
// then one more to the largest remainders, ties to the earlier entry),
// dealt out in an order shuffled by `r` (Fisher-Yates).
std::vector<uint8_t> deal_os_mix(const std::vector<OsShare>& mix, uint32_t count, Rng r) {
  std::vector<uint64_t> n(mix.size()), rem(mix.size());
  uint64_t given = 0;
  for (size_t k = 0; k < mix.size(); ++k) {
    uint64_t exact = uint64_t{count} * mix[k].share_ppb;
    n[k] = exact / 1'000'000'000;
    rem[k] = exact % 1'000'000'000;
    given += n[k];
  }
  for (; given < count; ++given) {
    size_t best = 0;
    for (size_t k = 1; k < mix.size(); ++k)
      if (rem[k] > rem[best]) best = k;
    ++n[best];
    rem[best] = 0;
  }
  std::vector<uint8_t> os;
  os.reserve(count);
  for (size_t k = 0; k < mix.size(); ++k) os.insert(os.end(), n[k], static_cast<uint8_t>(k));
  for (size_t i = os.size(); i > 1; --i) std::swap(os[i - 1], os[r.below(i)]);
  return os;
}

}  // namespace

uint64_t estimated_memory(const Scenario& s) {
  Topology topo = build_topology(s);
  uint64_t total = 0;
  for (const ConnectionSpec& c : s.connections) {
    uint64_t boxes = 0;
    if (auto route = topo.shortest_route(c.client, c.server))
      for (size_t n : route->nodes) boxes += n >= s.hosts.size() ? 1 : 0;
    total += c.count * bytes_per_instance(c, boxes);
  }
  return total;
}

struct Simulator::Impl {
  const Scenario& sc;
  RunLimits limits;
  EventQueue queue;
  Time now;
  TraceSink* sink = nullptr;
  bool records = false;
  uint64_t packets = 0;

  std::vector<HostRt> hosts;
  std::vector<LinkRt> links;
  std::vector<Firewall> firewalls;
  std::vector<ConnRt> conns;          // one per connection instance (fleets expand)
  std::vector<ConnCold> cold;         // same index as conns
  std::vector<std::string> texts{""};  // interned outcome texts (ConnCold); [0] is ""
  std::map<std::string, uint32_t, std::less<>> text_ids{{"", 0}};
  std::vector<Route> routes;
  std::vector<StepRef> steps;
  std::vector<ClientOsRt> client_os;  // every fleet's os_mix entries; never resized once endpoints point in
  std::vector<uint32_t> mix_base;     // per connection spec: its first entry in client_os
  std::vector<uint8_t> captured;  // per node
  std::vector<Packet> pool;
  std::vector<uint32_t> free_slots;
  TcpOutput out;  // scratch, reused
  std::vector<EmittedSegment> seg_scratch;
  std::vector<AppEvent> app_scratch;
  std::vector<Firewall::Injection> injections;  // scratch, reused

  uint64_t fixed_bytes = 0;  // what build() allocated per connection
  uint64_t refused_bytes = 0;  // estimated_memory() when it was beyond limits.max_memory

  Impl(const Scenario& s, RunLimits l) : sc(s), limits(l) {
    uint64_t need = estimated_memory(sc);
    if (need > limits.max_memory) {
      refused_bytes = need;  // nothing is allocated; run() says why
      return;
    }
    build();
  }

  bool is_host(size_t node) const { return node < sc.hosts.size(); }
  const ConnectionSpec& spec_of(size_t conn) const { return sc.connections[conns[conn].spec]; }
  const Route& route_of(size_t conn) const { return routes[conns[conn].route]; }
  size_t host_node(size_t conn, Side side) const {
    const ConnectionSpec& c = spec_of(conn);
    return side == Side::kClient ? c.client : c.server;
  }

  void build() {
    hosts.resize(sc.hosts.size());
    for (size_t i = 0; i < sc.hosts.size(); ++i) {
      const HostSpec& h = sc.hosts[i];
      int hz = h.hz >= 0 ? h.hz : h.os->default_hz;
      Rng r = Rng::stream(sc.seed, "host-clock", i);
      if (hz > 0) {
        Time tick = Time::ns(1'000'000'000 / hz);
        if (h.jiffies_phase) {
          hosts[i].clock = LinuxClock(hz, static_cast<uint64_t>(*h.jiffies_phase / tick), *h.jiffies_phase % tick);
        } else {
          uint64_t start = r.below(uint64_t{1} << 32);
          hosts[i].clock = LinuxClock(hz, start, Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(tick.count_ns())))));
        }
      }
      if (h.os->timer == TimerModel::kSlowtimo) {
        Time period = h.tick_period.value_or(h.os->tick);
        Time phase = h.tick_phase ? *h.tick_phase
                                  : Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(period.count_ns()))));
        hosts[i].slowtimo = SlowtimoClock(phase, period);
      }
      hosts[i].env = TcpEndpointEnv{h.os, &h.tunables, &hosts[i].clock, &hosts[i].slowtimo};
    }
    Topology topo = build_topology(sc);  // route.h: `kasim tune` walks the same routes
    links.resize(sc.links.size());
    for (size_t i = 0; i < sc.links.size(); ++i) {
      const LinkSpec& l = sc.links[i];
      links[i].delay = l.delay;
      links[i].loss_ppb = l.loss_ppb;
      links[i].rng = Rng::long_stream(sc.seed, "link-loss", i);
    }
    for (size_t i = 0; i < sc.middleboxes.size(); ++i)
      firewalls.emplace_back(sc.middleboxes[i].firewall, Rng::stream(sc.seed, "middlebox-nat", i));
    captured.assign(sc.node_count(), sc.capture.empty() && !sc.capture_none ? 1 : 0);
    for (const std::string& n : sc.capture) captured[sc.node_index(n)] = 1;

    size_t total = 0;
    for (const ConnectionSpec& c : sc.connections) total += c.count;
    conns.reserve(total);
    advise_huge_pages(conns);
    conns.resize(total);
    cold.resize(total);
    build_client_os();
    std::map<std::pair<size_t, size_t>, uint32_t> route_index;
    size_t ci = 0;
    for (size_t spec = 0; spec < sc.connections.size(); ++spec) {
      const ConnectionSpec& c = sc.connections[spec];
      auto [it, fresh] = route_index.try_emplace({c.client, c.server}, static_cast<uint32_t>(routes.size()));
      if (fresh) {
        auto route = topo.shortest_route(c.client, c.server);
        assert(route && "the loader checks reachability");
        routes.push_back(std::move(*route));
      }
      const HostSpec& ch = sc.hosts[c.client];
      const HostSpec& sh = sc.hosts[c.server];
      bool mixed = c.is_fleet() && !c.os_mix.empty();
      std::vector<uint8_t> os_of = mixed ? deal_os_mix(c.os_mix, c.count, Rng::long_stream(sc.seed, "fleet-os-mix", spec))
                                         : std::vector<uint8_t>();
      for (uint32_t i = 0; i < c.count; ++i, ++ci) {
        ConnRt& rt = conns[ci];
        rt.route = it->second;
        rt.spec = static_cast<uint32_t>(spec);
        rt.instance = i;
        const TcpEndpointEnv& cenv = mixed ? client_os[mix_base[spec] + os_of[i]].env : hosts[c.client].env;
        if (mixed) rt.os = os_of[i];
        // Single connections keep their historical stream; fleet instances get their own.
        Rng r = c.is_fleet() ? Rng::long_stream(sc.seed ^ (uint64_t{spec} << 40), "fleet-instance", i)
                             : Rng::stream(sc.seed, "connection", spec);
        uint16_t lo = cenv.os->ephemeral_port_lo, hi = cenv.os->ephemeral_port_hi;
        uint16_t cport = c.client_port.value_or(static_cast<uint16_t>(lo + r.below(static_cast<uint64_t>(hi - lo + 1))));
        uint32_t isn_c = c.isn[0].value_or(static_cast<uint32_t>(r.next()));
        uint32_t isn_s = c.isn[1].value_or(static_cast<uint32_t>(r.next()));
        Ipv4 caddr = ch.address + i;
        rt.ep[0] = TcpEndpoint(TcpEndpointConfig{&cenv, caddr, sh.address, cport, c.port, isn_c});
        rt.ep[1] = TcpEndpoint(TcpEndpointConfig{&hosts[c.server].env, sh.address, caddr, c.port, cport, isn_s});
        for (uint32_t si = 0; si < c.traffic.size(); ++si)
          steps.push_back({static_cast<uint32_t>(ci), si,
                           Rng::long_stream(sc.seed ^ (uint64_t{spec} << 40) ^ (uint64_t{si} << 32), "traffic", i)});
      }
    }
  }

  void build_client_os() {
    size_t total = 0;
    for (const ConnectionSpec& c : sc.connections) total += c.os_mix.size();
    client_os.resize(total);  // pointers into it are taken below: no growth after this
    mix_base.assign(sc.connections.size(), 0);
    size_t at = 0;
    for (size_t spec = 0; spec < sc.connections.size(); ++spec) {
      const ConnectionSpec& c = sc.connections[spec];
      mix_base[spec] = static_cast<uint32_t>(at);
      for (size_t k = 0; k < c.os_mix.size(); ++k, ++at) {
        const OsShare& m = c.os_mix[k];
        ClientOsRt& v = client_os[at];
        v.env.os = m.os;
        v.env.tunables = &m.tunables;
        if (m.os == sc.hosts[c.client].os) {
          v.env.clock = &hosts[c.client].clock;
          v.env.slowtimo = &hosts[c.client].slowtimo;
          continue;
        }
        Rng r = Rng::stream(sc.seed ^ (uint64_t{spec} << 40), "fleet-os-clock", k);
        if (m.os->default_hz > 0) {
          Time tick = Time::ns(1'000'000'000 / m.os->default_hz);
          uint64_t start = r.below(uint64_t{1} << 32);
          v.own_clock = LinuxClock(m.os->default_hz, start,
                                   Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(tick.count_ns())))));
        }
        if (m.os->timer == TimerModel::kSlowtimo)
          v.own_slowtimo = SlowtimoClock(Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(m.os->tick.count_ns())))),
                                         m.os->tick);
        v.env.clock = &v.own_clock;
        v.env.slowtimo = &v.own_slowtimo;
      }
    }
    fixed_bytes = conns.capacity() * sizeof(ConnRt) + cold.capacity() * sizeof(ConnCold) +
                  steps.capacity() * sizeof(StepRef);
  }

  // What the run's state has grown to: the connections, the pending events,
  // the packet pool and every middlebox's largest table. Deterministic (it
  // counts the engine's structures, not the process).
  uint64_t engine_bytes() const {
    uint64_t b = fixed_bytes + queue.size() * sizeof(Event) + pool.capacity() * sizeof(Packet);
    for (const Firewall& fw : firewalls) b += fw.peak_entries() * Firewall::bytes_per_entry();
    return b;
  }

  // The memory checks of run(), every 1,024 events (the engine's own
  // count) and every 65,536 (the process's resident set): false with
  // *error when a limit is passed.
  bool memory_ok(uint64_t events, std::string* error) const {
    if ((events & 1023) != 0) return true;
    uint64_t engine = engine_bytes();
    if (engine > limits.max_memory) {
      *error = fmt::format("stopped at {} s: the run's state grew to {} ({} pending events, {} packets in flight), "
                           "more than --max-memory {} (raise it if this is intended)",
                           now, format_size(engine), queue.size(), pool.size() - free_slots.size(),
                           format_size(limits.max_memory));
      return false;
    }
    if ((events & 65535) != 0 || limits.max_process_rss == 0) return true;
    uint64_t rss = process_rss_bytes();
    if (rss > limits.max_process_rss) {
      *error = fmt::format("stopped at {} s: the process's resident memory reached {}, more than --max-memory {} "
                           "(raise it if this is intended)",
                           now, format_size(rss), format_size(limits.max_process_rss));
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------ scheduling

  void schedule_initial() {
    queue.push(sc.duration, EventKind::kEndOfRun, 0);
    for (size_t ci = 0; ci < conns.size(); ++ci) {
      const ConnectionSpec& c = spec_of(ci);
      conns[ci].ep[1].listen();
      Time open = c.open_at;
      if (c.is_fleet()) {
        Rng r = Rng::long_stream(sc.seed ^ (uint64_t{conns[ci].spec} << 40), "fleet-schedule", conns[ci].instance);
        // A fixed delay draws nothing, so the vanish draw below keeps its place in the stream.
        open += Time::ns(std::min(c.open_within.draw(r), sc.duration.count_ns()));
        if (r.chance_ppb(c.vanish.fraction_ppb)) {
          Time span = c.vanish.to - c.vanish.from;
          Time at = c.vanish.from + Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(span.count_ns()))));
          queue.push(at, EventKind::kAppAction, static_cast<uint32_t>(ci),
                     0x40000000u | static_cast<uint32_t>(c.vanish.side));
        }
      }
      if (open < sc.duration) queue.push(open, EventKind::kConnectionOpen, static_cast<uint32_t>(ci));
      for (int s = 0; s < 2; ++s) {
        const KeepaliveSpec& k = c.keepalive[s];
        if (k.given) {
          if (k.at) queue.push(*k.at, EventKind::kAppAction, static_cast<uint32_t>(ci), 0x80000000u | static_cast<uint32_t>(s));
          else conns[ci].ep[s].set_keepalive(Time(), k.options);
        }
      }
    }
    for (uint32_t i = 0; i < steps.size(); ++i) {
      StepRef& ref = steps[i];
      const ConnRt& rt = conns[ref.conn];
      const TrafficStep& t = sc.connections[rt.spec].traffic[ref.step];
      Time first = t.at;
      uint32_t burst_left = 0;
      if (t.drawn()) {
        if (t.burst) burst_left = static_cast<uint32_t>(t.burst->draw(ref.rng));
        if (t.stagger) first += Time::ns(static_cast<int64_t>(ref.rng.below(static_cast<uint64_t>(
                               draw_gap(t.burst ? *t.idle : t.period, ref.rng).count_ns()))));
      } else if (t.stagger) {
        Rng r = Rng::stream(sc.seed ^ (uint64_t{rt.spec} << 40) ^ (uint64_t{ref.step} << 32), "stagger", rt.instance);
        first += Time::ns(static_cast<int64_t>(r.below(static_cast<uint64_t>(t.every.count_ns()))));
      }
      if (first < sc.duration && first <= t.until) queue.push(first, EventKind::kAppAction, i, burst_left);
    }
    for (uint32_t i = 0; i < sc.faults.size(); ++i) queue.push(sc.faults[i].at, EventKind::kFault, i);
    if (sc.sample_every > Time() && sc.sample_every < sc.duration) queue.push(sc.sample_every, EventKind::kSample, 0);
  }

  // A gap drawn from `d` (ns), kept in [1 ns, the run's duration]: time
  // always moves on, and no sum passes the end of time.
  Time draw_gap(const Distribution& d, Rng& r) const {
    return Time::ns(std::clamp<int64_t>(d.draw(r), 1, sc.duration.count_ns()));
  }

  void on_sample() {
    SampleRecord r;
    r.t = now;
    r.interval = sc.sample_every;
    for (const Firewall& fw : firewalls) r.middlebox_entries.push_back(fw.live_entries());
    for (LinkRt& l : links) {
      r.link_packets.push_back(l.sampled_packets);
      r.link_probes.push_back(l.sampled_probes);
      l.sampled_packets = l.sampled_probes = 0;
    }
    sink->sample(r);
    if (now + sc.sample_every < sc.duration) queue.push(now + sc.sample_every, EventKind::kSample, 0);
  }

  // A timer deadline as the queue needs it: one at or after the end of the
  // run would never fire (kEndOfRun, pushed first, runs before anything at
  // that instant), so it is not queued at all. A fleet's firewall entries
  // (conntrack: 5 days) and its last keepalive timers then cost no event.
  Time before_end(Time deadline) const { return deadline < sc.duration ? deadline : Time::never(); }

  void sync_timer(size_t ci, int side) {
    conns[ci].timer[side].ensure(queue, before_end(conns[ci].ep[side].next_wakeup()), EventKind::kEndpointTimer,
                                 static_cast<uint32_t>(ci * 2 + static_cast<size_t>(side)));
  }

  // -------------------------------------------------------------- packets

  uint32_t alloc_packet() {
    if (!free_slots.empty()) {
      uint32_t s = free_slots.back();
      free_slots.pop_back();
      return s;
    }
    pool.emplace_back();
    return static_cast<uint32_t>(pool.size() - 1);
  }

  void emit_record(size_t node, CaptureDir dir, const Packet& p, NoteKind fate = NoteKind::kNone, int64_t fate_a = 0) {
    if (!records || !captured[node]) return;
    TraceRecord r;
    r.t = now;
    r.node = static_cast<uint32_t>(node);
    r.origin = p.origin;
    r.conn = conns[p.conn].spec;
    r.instance = conns[p.conn].instance;
    r.dir = dir;
    r.seg = p.seg;
    r.why = p.why;
    r.why_a = p.a;
    r.why_b = p.b;
    r.fate = fate;
    r.fate_a = fate_a;
    sink->record(r);
  }

  // Reports the entries box `mb` expired since the last call (its log is on
  // only when the sink wants records and the box is a capture point).
  void report_expiries(size_t mb) {
    Firewall& fw = firewalls[mb];
    if (fw.expired().empty()) return;
    size_t node = sc.hosts.size() + mb;
    for (const ExpiredEntry& x : fw.expired()) {
      ExpiryRecord r;
      r.t = x.at;
      r.node = static_cast<uint32_t>(node);
      r.conn = conns[x.tag].spec;
      r.instance = conns[x.tag].instance;
      r.state = x.state;
      r.timeout = x.timeout;
      r.last_seen = x.last_seen;
      r.cause = x.cause;
      r.rule = x.rule;
      sink->expiry(r);
    }
    fw.clear_expired();
  }

  void note_loss(uint32_t conn, LossNote::Kind kind, size_t index) {
    conns[conn].loss = LossNote{kind, static_cast<uint32_t>(index)};
  }

  // The index of `text` in `texts`, adding it if new.
  uint32_t intern(std::string text) {
    auto it = text_ids.find(text);
    if (it != text_ids.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(texts.size());
    text_ids.emplace(text, id);
    texts.push_back(std::move(text));
    return id;
  }

  std::string describe_loss(const LossNote& l) const {
    switch (l.kind) {
      case LossNote::kNone: return "";
      case LossNote::kLinkDown: return link_name(l.index) + " (down)";
      case LossNote::kLinkLoss: return link_name(l.index) + " (random loss)";
      case LossNote::kMiddlebox: return sc.middleboxes[l.index].name;
      case LossNote::kTableFull: return sc.middleboxes[l.index].name + " (table full)";
      case LossNote::kSequenceCheck: return sc.middleboxes[l.index].name + " (sequence check)";
      case LossNote::kHostDown: return fmt::format("{} (host down)", sc.hosts[l.index].name);
      case LossNote::kInputFilter: return fmt::format("{} (input filter)", sc.hosts[l.index].name);
      case LossNote::kPeerGone: return fmt::format("{} (peer vanished)", sc.hosts[l.index].name);
    }
    return "";
  }

  std::string link_name(size_t link) const {
    return fmt::format("link {}-{}", sc.links[link].a, sc.links[link].b);
  }

  // Puts `p` on the link from route position p.pos - p.step towards p.pos;
  // `dir` is how the sending node's capture point sees it.
  // `fate` annotates the record of a packet that gets onto the link.
  void transmit(Packet p, CaptureDir dir, NoteKind fate = NoteKind::kNone, int64_t fate_a = 0) {
    ++packets;
    const Route& route = route_of(p.conn);
    size_t from = route.nodes[static_cast<size_t>(p.pos - p.step)];
    size_t li = route.links[static_cast<size_t>(p.step > 0 ? p.pos - 1 : p.pos)];
    LinkRt& link = links[li];
    if (!link.up) {
      emit_record(from, dir, p, NoteKind::kDropLinkDown);
      note_loss(p.conn, LossNote::kLinkDown, li);
      return;
    }
    if (link.rng.chance_ppb(link.loss_ppb)) {
      emit_record(from, dir, p, NoteKind::kDropLinkLoss);
      note_loss(p.conn, LossNote::kLinkLoss, li);
      return;
    }
    emit_record(from, dir, p, fate, fate_a);
    ++link.sampled_packets;
    if (p.why == NoteKind::kKeepaliveProbe || p.why == NoteKind::kAckOfProbe) ++link.sampled_probes;
    uint32_t slot = alloc_packet();
    pool[slot] = p;
    queue.push(now + link.delay, EventKind::kPacketArrival, slot);
  }

  void send_from_endpoint(size_t ci, Side side, const EmittedSegment& e) {
    Packet p;
    p.seg = e.seg;
    p.conn = static_cast<uint32_t>(ci);
    p.step = side == Side::kClient ? 1 : -1;
    const Route& route = route_of(ci);
    int32_t start = side == Side::kClient ? 0 : static_cast<int32_t>(route.nodes.size() - 1);
    p.pos = start + p.step;
    p.origin = static_cast<uint32_t>(route.nodes[static_cast<size_t>(start)]);
    p.why = e.note;
    p.a = e.a;
    p.b = e.b;
    transmit(p, CaptureDir::kOut);
  }

  std::pair<std::string, std::string> explain_error(size_t ci, const ErrorContext& ctx) const {
    const ConnRt& rt = conns[ci];
    if (ctx.packet != nullptr) {
      const Packet& p = *ctx.packet;
      std::string origin_name(sc.node_name(p.origin));
      std::string killer = origin_name;
      std::string cause;
      if (p.seg.has(tcp_flag::kRst)) {
        std::string why = describe_note(p.why, p.a, p.b, origin_name);
        // A middlebox's notes already start with its name.
        cause = why.starts_with(origin_name + ":") ? "RST from " + why
                                                    : fmt::format("RST from {}: {}", origin_name, why);
      }
      const ConnCold& cd = cold[ci];
      if (p.why == NoteKind::kRstNoSocket && cd.remapped_by != 0) {
        // The peer never lost its socket: a NAT re-mapped the flow, so the
        // peer saw a 4-tuple it does not know.
        const std::string& nat = sc.middleboxes[cd.remapped_by - 1].name;
        killer = nat;
        cause += fmt::format(" ({} gave the flow a new mapping)", nat);
      }
      return {cause, killer};
    }
    if (ctx.keepalive_gave_up >= 0)
      return {fmt::format("keepalive: {} probe{} unanswered", ctx.keepalive_gave_up, ctx.keepalive_gave_up == 1 ? "" : "s"),
              describe_loss(rt.loss)};
    return {"retransmission timeout", describe_loss(rt.loss)};
  }

  // Applies an endpoint's output: its segments go out, its application
  // events update the outcome. The scratch buffers are handed back so that
  // steady-state runs do not allocate.
  void apply_output(size_t ci, Side side, ErrorContext ctx = {}) {
    int s = static_cast<int>(side);
    ConnRt& rt = conns[ci];
    if (ctx.keepalive_gave_up < 0) ctx.keepalive_gave_up = out.keepalive_gave_up;
    if (out.orphan_gave_up >= 0) {
      // The socket is freed; its application, having closed it, hears nothing.
      cold[ci].side[s].orphan_gave_up = true;
      if (cold[ci].side[s].closed_at.is_never()) cold[ci].side[s].closed_at = now;
    }
    // Handling app events may produce more output: take the buffers first.
    seg_scratch.swap(out.segments);
    app_scratch.swap(out.app);
    out.clear();
    for (const EmittedSegment& e : seg_scratch) send_from_endpoint(ci, side, e);
    bool eof = false;
    for (const AppEvent& a : app_scratch) {
      switch (a.kind) {
        case AppEventKind::kConnected: cold[ci].side[s].connected = true; break;
        case AppEventKind::kEof:
          cold[ci].side[s].eof_at = now;
          eof = true;
          break;
        case AppEventKind::kClosed:
          if (cold[ci].side[s].closed_at.is_never()) cold[ci].side[s].closed_at = now;
          break;
        case AppEventKind::kError:
          if (cold[ci].side[s].error == SocketError::kNone) {
            ConnCold& cd = cold[ci];
            cd.side[s].error = a.error;
            cd.side[s].error_at = now;
            auto [cause, killer] = explain_error(ci, ctx);
            cd.side[s].error_cause = intern(std::move(cause));
            if (cd.killer == 0) cd.killer = intern(std::move(killer));
          }
          break;
      }
    }
    seg_scratch.clear();
    app_scratch.clear();
    seg_scratch.swap(out.segments);
    app_scratch.swap(out.app);
    if (eof && rt.ep[s].state() == TcpState::kCloseWait) {
      // The application reads EOF and closes its end, as most servers do.
      cold[ci].side[s].app_closed = true;
      rt.ep[s].close(now, out);
      apply_output(ci, side, ctx);
      return;
    }
    sync_timer(ci, s);
  }

  void on_packet(uint32_t slot) {
    Packet p = pool[slot];
    free_slots.push_back(slot);
    ConnRt& rt = conns[p.conn];
    const Route& route = routes[rt.route];
    size_t node = route.nodes[static_cast<size_t>(p.pos)];
    bool at_end = p.step > 0 ? static_cast<size_t>(p.pos) == route.nodes.size() - 1 : p.pos == 0;

    if (!is_host(node)) {
      size_t mb = node - sc.hosts.size();
      FlowDir dir = p.step > 0 ? FlowDir::kFromClient : FlowDir::kFromServer;
      Firewall::Verdict v = firewalls[mb].process(now, p.seg, dir, p.conn);
      report_expiries(mb);
      // A state change (RST, FIN, a pickup cap) can move the deadline earlier.
      if (v.entry != UINT32_MAX) arm_firewall_entry(mb, v.entry);
      if (v.picked_up && firewalls[mb].config().nat.enabled) cold[p.conn].remapped_by = static_cast<uint32_t>(mb + 1);
      if (!v.forward) {
        emit_record(node, CaptureDir::kDrop, p, v.note, v.a);
        if (v.note == NoteKind::kDropNoState) note_loss(p.conn, LossNote::kMiddlebox, mb);
        if (v.note == NoteKind::kDropTableFull) note_loss(p.conn, LossNote::kTableFull, mb);
        if (v.note == NoteKind::kDropBelowWindow) note_loss(p.conn, LossNote::kSequenceCheck, mb);
        if (v.reply) {
          Packet r;
          r.seg = v.rst;
          r.conn = p.conn;
          r.origin = static_cast<uint32_t>(node);
          r.step = static_cast<int8_t>(-p.step);
          r.pos = p.pos + r.step;
          r.why = NoteKind::kFirewallRstNoState;
          r.a = v.a;
          transmit(r, CaptureDir::kOut);
        }
        return;
      }
      p.pos += p.step;
      transmit(p, CaptureDir::kForward, v.note, v.a);
      return;
    }
    if (!at_end) {  // a host in the middle of a route forwards like a router
      p.pos += p.step;
      transmit(p, CaptureDir::kForward);
      return;
    }
    Side side = p.step > 0 ? Side::kServer : Side::kClient;
    HostRt& h = hosts[node];
    if (h.down || rt.gone[static_cast<int>(side)]) {
      emit_record(node, CaptureDir::kIn, p, NoteKind::kDropHostDown);
      note_loss(p.conn, h.down ? LossNote::kHostDown : LossNote::kPeerGone, node);
      return;
    }
    size_t src_host = host_node(p.conn, other(side));
    if (std::find(h.blocked.begin(), h.blocked.end(), src_host) != h.blocked.end()) {
      emit_record(node, CaptureDir::kIn, p, NoteKind::kDropHostFilter);
      note_loss(p.conn, LossNote::kInputFilter, node);
      return;
    }
    TcpEndpoint& ep = rt.ep[static_cast<int>(side)];
    if (!owns_tuple(ep, p.seg)) {
      answer_unknown_tuple(p, side, node);
      return;
    }
    out.clear();
    ep.on_segment(now, p.seg, out);
    emit_record(node, CaptureDir::kIn, p, out.discarded);
    apply_output(p.conn, side, ErrorContext{&p, -1});
  }

  // Packets are routed per connection, but a host demultiplexes by 4-tuple
  // like a real stack: a connected socket owns only its own tuple. A packet
  // whose tuple differs (a NAT re-mapped the flow) finds no socket.
  static bool owns_tuple(const TcpEndpoint& ep, const Segment& s) {
    TcpState st = ep.state();
    if (st == TcpState::kListen || st == TcpState::kClosed) return true;  // the endpoint answers itself
    const TcpEndpointConfig& c = ep.config();
    return s.dst == c.local_addr && s.dport == c.local_port && s.src == c.remote_addr && s.sport == c.remote_port;
  }

  // The host's stack has no socket for the packet's 4-tuple: it answers as
  // its OS does for a closed port (Linux: RST per RFC 9293), built by a
  // transient endpoint in CLOSED state, and the connection's socket is not
  // touched.
  void answer_unknown_tuple(const Packet& p, Side side, size_t node) {
    TcpEndpointConfig cfg = conns[p.conn].ep[static_cast<int>(side)].config();
    cfg.local_addr = p.seg.dst;
    cfg.local_port = p.seg.dport;
    cfg.remote_addr = p.seg.src;
    cfg.remote_port = p.seg.sport;
    TcpEndpoint stray(cfg);
    out.clear();
    stray.on_segment(now, p.seg, out);
    emit_record(node, CaptureDir::kIn, p, NoteKind::kUnknownTuple);
    std::vector<EmittedSegment> segs;
    segs.swap(out.segments);
    out.clear();
    for (const EmittedSegment& e : segs) send_from_endpoint(p.conn, side, e);
  }

  // A packet a middlebox originates (idle RST, DCD probe), sent from the
  // box's position on its connection's route.
  void inject_from_middlebox(size_t mb, const Firewall::Injection& inj) {
    size_t node = sc.hosts.size() + mb;
    const Route& route = route_of(inj.tag);
    auto at = std::find(route.nodes.begin(), route.nodes.end(), node);
    assert(at != route.nodes.end() && "an entry belongs to a connection through its box");
    Packet r;
    r.seg = inj.seg;
    r.conn = inj.tag;
    r.origin = static_cast<uint32_t>(node);
    r.step = inj.dir == FlowDir::kFromClient ? 1 : -1;
    r.pos = static_cast<int32_t>(at - route.nodes.begin()) + r.step;
    r.why = inj.why;
    r.a = inj.a;
    r.b = inj.b;
    transmit(r, CaptureDir::kOut);
  }

  void arm_firewall_entry(size_t mb, uint32_t entry) {
    Firewall& fw = firewalls[mb];
    fw.timer(entry).ensure(queue, before_end(fw.expiry_time(entry)), EventKind::kMiddleboxTimer,
                           static_cast<uint32_t>(mb), entry);
  }

  // --------------------------------------------------------------- events

  bool is_stale(const Event& e) const {
    if (e.kind == EventKind::kEndpointTimer) return conns[e.target / 2].timer[e.target % 2].gen != e.gen;
    if (e.kind == EventKind::kMiddleboxTimer) return firewalls[e.target].timer_gen(e.aux) != e.gen;
    return false;
  }

  void on_endpoint_timer(const Event& e) {
    size_t ci = e.target / 2;
    int s = static_cast<int>(e.target % 2);
    ConnRt& rt = conns[ci];
    if (!rt.timer[s].take(e)) return;
    Side side = static_cast<Side>(s);
    out.clear();
    rt.ep[s].on_timer(now, out);
    apply_output(ci, side);
  }

  void on_app_action(const Event& e) {
    StepRef& ref = steps[e.target];
    const TrafficStep& t = spec_of(ref.conn).traffic[ref.step];
    int s = static_cast<int>(t.from);
    ConnRt& rt = conns[ref.conn];
    size_t hnode = host_node(ref.conn, t.from);
    if (!hosts[hnode].down && !rt.gone[s]) {
      out.clear();
      switch (t.action) {
        case AppAction::kSend: rt.ep[s].send(now, t.bytes, out); break;
        case AppAction::kClose:
          cold[ref.conn].side[s].app_closed = true;
          rt.ep[s].close(now, out);
          break;
        case AppAction::kAbort:
          cold[ref.conn].side[s].app_closed = true;
          rt.ep[s].abort(now, out);
          break;
      }
      apply_output(ref.conn, t.from);
    }
    if (t.every == Time()) return;  // a one-off step
    // The next send: `every` later; drawn steps draw the gap, and the last
    // send of a burst is followed by an idle gap and a new burst.
    Time gap = t.every;
    uint32_t burst_left = 0;
    if (t.burst && e.aux <= 1) {
      gap = draw_gap(*t.idle, ref.rng);
      burst_left = static_cast<uint32_t>(t.burst->draw(ref.rng));
    } else if (t.drawn()) {
      gap = draw_gap(t.period, ref.rng);
      burst_left = e.aux > 0 ? e.aux - 1 : 0;
    }
    if (now + gap <= t.until && now + gap < sc.duration) queue.push(now + gap, EventKind::kAppAction, e.target, burst_left);
  }

  void on_keepalive_options(size_t ci, int s) {
    out.clear();
    conns[ci].ep[s].set_keepalive(now, spec_of(ci).keepalive[s].options);
    apply_output(ci, static_cast<Side>(s));
  }

  void on_fault(const FaultSpec& f) {
    switch (f.kind) {
      case FaultSpec::Kind::kLinkDown: links[f.link].up = false; break;
      case FaultSpec::Kind::kLinkUp: links[f.link].up = true; break;
      case FaultSpec::Kind::kHostCrash:
      case FaultSpec::Kind::kHostReboot:
        if (f.kind == FaultSpec::Kind::kHostCrash) hosts[f.node].down = true;
        for (size_t ci = 0; ci < conns.size(); ++ci)
          for (int s = 0; s < 2; ++s)
            if (host_node(ci, static_cast<Side>(s)) == f.node) {
              conns[ci].ep[s].vanish();
              conns[ci].timer[s].cancel();
            }
        break;
      case FaultSpec::Kind::kBlockFrom: hosts[f.node].blocked.push_back(static_cast<uint32_t>(f.peer)); break;
      case FaultSpec::Kind::kUnblockFrom: {
        auto& b = hosts[f.node].blocked;
        b.erase(std::remove(b.begin(), b.end(), f.peer), b.end());
        break;
      }
      case FaultSpec::Kind::kFlush: firewalls[f.node].flush(now); break;
      case FaultSpec::Kind::kLinkLoss: links[f.link].loss_ppb = f.loss_ppb; break;
      case FaultSpec::Kind::kHostKill: {
        // The process dies: the kernel closes each of its sockets as close()
        // would, with an RST instead of a FIN where the OS aborts a socket
        // holding unread data (process_kill.h). Listening sockets close too.
        // Each socket's own OS decides (a fleet's clients may mix OSes).
        for (size_t ci = 0; ci < conns.size(); ++ci)
          for (int s = 0; s < 2; ++s)
            if (host_node(ci, static_cast<Side>(s)) == f.node) {
              TcpEndpoint& ep = conns[ci].ep[s];
              cold[ci].side[s].app_closed = true;
              out.clear();
              if (kill_sends_rst(*ep.config().env->os, ep, f.unread_data)) ep.abort(now, out);
              else ep.close(now, out);
              apply_output(ci, static_cast<Side>(s));
            }
        break;
      }
    }
  }

  // A fleet instance's side vanishes: like a host crash, for that connection only.
  void on_vanish(size_t ci, int s) {
    conns[ci].gone[s] = true;
    conns[ci].ep[s].vanish();
    conns[ci].timer[s].cancel();
  }

  void on_connection_open(size_t ci) {
    if (conns[ci].gone[0]) return;
    out.clear();
    conns[ci].ep[0].connect(now, out);
    apply_output(ci, Side::kClient);
  }

  RunResult run(TraceSink& s) {
    sink = &s;
    records = s.wants_records();
    for (size_t i = 0; i < firewalls.size(); ++i) firewalls[i].set_expiry_log(records && captured[sc.hosts.size() + i]);
    s.begin(sc);
    RunResult result;
    if (refused_bytes > 0) {
      result.stopped_by_limit = true;
      result.error = fmt::format("stopped at {} s: the scenario needs about {} of memory, more than --max-memory {} "
                                 "(raise it if the machine has the memory)",
                                 now, format_size(refused_bytes), format_size(limits.max_memory));
      result.summary = RunSummary{now, 0, 0, 0};
      s.end(result.summary);
      return result;
    }
    schedule_initial();
    uint64_t events = 0;
    uint64_t same_instant = 0;
    while (!queue.empty()) {
      Event e = queue.pop();
      if (is_stale(e)) continue;  // cancelled: neither advances time nor counts
      assert(e.at >= now && "time never goes backwards");
      same_instant = e.at == now ? same_instant + 1 : 0;
      now = e.at;
      if (same_instant > limits.max_events_per_instant) {
        result.stopped_by_limit = true;
        result.error = fmt::format("stopped at {} s: more than {} events at the same instant: time is not advancing "
                                   "(raise --max-events-per-instant if this is intended)",
                                   now, limits.max_events_per_instant);
        break;
      }
      if (queue.size() > limits.max_pending_events) {
        result.stopped_by_limit = true;
        result.error = fmt::format("stopped at {} s: more than {} pending events (raise --max-pending if this is intended)",
                                   now, limits.max_pending_events);
        break;
      }
      if (e.kind == EventKind::kEndOfRun) break;
      ++events;
      if (events > limits.max_events) {
        result.stopped_by_limit = true;
        result.error = fmt::format("stopped at {} s: more than {} events (raise --max-events if this is intended)",
                                   now, limits.max_events);
        break;
      }
      if (!memory_ok(events, &result.error)) {
        result.stopped_by_limit = true;
        break;
      }
      switch (e.kind) {
        case EventKind::kPacketArrival: on_packet(e.target); break;
        case EventKind::kEndpointTimer: on_endpoint_timer(e); break;
        case EventKind::kMiddleboxTimer: {
          Firewall& fw = firewalls[e.target];
          if (!fw.timer(e.aux).take(e)) break;
          injections.clear();
          Time next = fw.check_expiry(now, e.aux, &injections);
          fw.timer(e.aux).ensure(queue, before_end(next), EventKind::kMiddleboxTimer, e.target, e.aux);
          report_expiries(e.target);  // before the RSTs it sent, which follow from it
          for (const Firewall::Injection& inj : injections) inject_from_middlebox(e.target, inj);
          break;
        }
        case EventKind::kAppAction:
          if (e.aux & 0x80000000u) on_keepalive_options(e.target, static_cast<int>(e.aux & 1));
          else if (e.aux & 0x40000000u) on_vanish(e.target, static_cast<int>(e.aux & 1));
          else on_app_action(e);
          break;
        case EventKind::kFault: on_fault(sc.faults[e.target]); break;
        case EventKind::kConnectionOpen: on_connection_open(e.target); break;
        case EventKind::kSample: on_sample(); break;
        case EventKind::kEndOfRun: break;
      }
    }
    if (!result.stopped_by_limit) now = sc.duration;
    report_outcomes(s);
    result.summary = RunSummary{now, events, packets, queue.peak_size()};
    s.end(result.summary);
    return result;
  }

  // Single connections get an outcome each; a fleet gets one summary.
  void report_outcomes(TraceSink& s) {
    size_t ci = 0;
    for (size_t spec = 0; spec < sc.connections.size(); ++spec) {
      const ConnectionSpec& c = sc.connections[spec];
      if (!c.is_fleet()) {
        s.outcome(outcome_of(ci++));
        continue;
      }
      FleetOutcome f;
      f.spec = static_cast<uint32_t>(spec);
      f.name = c.name;
      f.count = c.count;
      std::map<std::string, uint64_t> killers;
      for (const OsShare& m : c.os_mix) f.by_os.push_back(FleetOsCounts{std::string(m.os->name), 0, {}, {}});
      for (uint32_t i = 0; i < c.count; ++i, ++ci) {
        ConnectionOutcome o = outcome_of(ci);
        f.by_fate[static_cast<int>(o.fate)]++;
        if (!f.by_os.empty()) {
          FleetOsCounts& b = f.by_os[conns[ci].os];
          b.count++;
          b.by_fate[static_cast<int>(o.fate)]++;
          for (int side = 0; side < 2; ++side) b.keepalive_probes[side] += static_cast<uint64_t>(o.side[side].keepalive_probes);
        }
        if (!o.at.is_never() && o.fate != Fate::kAlive) {
          f.first_end = std::min(f.first_end, o.at);
          f.last_end = f.last_end.is_never() ? o.at : std::max(f.last_end, o.at);
        }
        if (!o.killer.empty()) killers[o.killer]++;
        if (o.half_open) f.half_open++;
        for (int side = 0; side < 2; ++side) f.keepalive_probes[side] += static_cast<uint64_t>(o.side[side].keepalive_probes);
      }
      f.killers.assign(killers.begin(), killers.end());
      s.fleet(f);
    }
  }

  ConnectionOutcome outcome_of(size_t ci) {
    ConnRt& rt = conns[ci];
    const ConnCold& cd = cold[ci];
    ConnectionOutcome o;
    o.conn = rt.spec;
    o.name = spec_of(ci).name;
    for (int s = 0; s < 2; ++s) {
      const ColdSide& c = cd.side[s];
      o.side[s].connected = c.connected;
      o.side[s].error = c.error;
      o.side[s].error_at = c.error_at;
      o.side[s].error_cause = texts[c.error_cause];
      o.side[s].eof_at = c.eof_at;
      if (c.orphan_gave_up) o.side[s].orphan_gave_up_at = c.closed_at;
      o.side[s].state = rt.ep[s].state();
      o.side[s].keepalive_probes = rt.ep[s].keepalive_probes_sent();
    }
    int first = -1;
    for (int s = 0; s < 2; ++s)
      if (o.side[s].error != SocketError::kNone && (first < 0 || o.side[s].error_at < o.side[first].error_at))
        first = s;
    // A side is open while its socket is and its application has not
    // closed it: a socket in LAST_ACK or FIN_WAIT after close() is only the
    // kernel finishing the close.
    auto open_side = [&](int s) {
      TcpState st = o.side[s].state;
      return st != TcpState::kClosed && st != TcpState::kListen && st != TcpState::kTimeWait && !cd.side[s].app_closed;
    };
    if (first >= 0) {
      const SideOutcome& so = o.side[first];
      o.at = so.error_at;
      switch (so.error) {
        case SocketError::kEtimedout:
        case SocketError::kWsaEnetreset: o.fate = Fate::kTimedOut; break;
        case SocketError::kEconnrefused: o.fate = Fate::kRefused; break;
        default: o.fate = Fate::kReset; break;
      }
      o.killer = texts[cd.killer];
      o.half_open = open_side(1 - first) && o.side[1 - first].error == SocketError::kNone;
    } else if (!o.side[0].connected) {
      o.fate = Fate::kNeverConnected;
    } else if (!open_side(0) && !open_side(1)) {
      o.fate = Fate::kClosed;
      o.at = std::min(cd.side[0].closed_at, cd.side[1].closed_at);
    } else {
      o.fate = Fate::kAlive;
      o.half_open = open_side(0) != open_side(1);
    }
    return o;
  }
};

Simulator::Simulator(const Scenario& scenario, RunLimits limits) : impl_(std::make_unique<Impl>(scenario, limits)) {}
Simulator::~Simulator() = default;
RunResult Simulator::run(TraceSink& sink) { return impl_->run(sink); }
const TcpEndpoint& Simulator::endpoint(size_t connection, Side side) const {
  return impl_->conns[connection].ep[static_cast<int>(side)];
}
const Firewall& Simulator::firewall(size_t middlebox) const { return impl_->firewalls[middlebox]; }

}  // namespace kasim
