#include "kasim/simulator.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "kasim/event_queue.h"
#include "kasim/firewall.h"
#include "kasim/linux_timer.h"
#include "kasim/rng.h"
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
  bool down = false;                 // crashed: neither sends nor receives
  std::vector<uint32_t> blocked;     // hosts whose packets the input filter drops
};

struct LinkRt {
  bool up = true;
  Time delay;
  uint32_t loss_ppb = 0;
  Rng rng;
};

// Where and why the most recent packet of a connection was lost: the
// suspect when a side later times out.
struct LossNote {
  std::string where;
  Time at = Time::never();
};

struct ConnRt {
  Route route;
  TcpEndpoint ep[2];
  TimerSlot timer[2];
  SideOutcome out[2];
  Time closed_at[2] = {Time::never(), Time::never()};
  std::string killer;
  LossNote loss;
};

struct StepRef {
  uint32_t conn;
  uint32_t step;
};

}  // namespace

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
  std::vector<ConnRt> conns;
  std::vector<StepRef> steps;
  std::vector<uint8_t> captured;  // per node
  std::vector<Packet> pool;
  std::vector<uint32_t> free_slots;
  TcpOutput out;  // scratch, reused

  Impl(const Scenario& s, RunLimits l) : sc(s), limits(l) { build(); }

  bool is_host(size_t node) const { return node < sc.hosts.size(); }
  size_t host_node(size_t conn, Side side) const {
    const ConnectionSpec& c = sc.connections[conn];
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
    }
    Topology topo(sc.node_count());
    links.resize(sc.links.size());
    for (size_t i = 0; i < sc.links.size(); ++i) {
      const LinkSpec& l = sc.links[i];
      topo.add_link(sc.node_index(l.a), sc.node_index(l.b), l.delay);
      links[i].delay = l.delay;
      links[i].loss_ppb = l.loss_ppb;
      links[i].rng = Rng::stream(sc.seed, "link-loss", i);
    }
    for (const MiddleboxSpec& m : sc.middleboxes) firewalls.emplace_back(m.firewall);

    captured.assign(sc.node_count(), sc.capture.empty() ? 1 : 0);
    for (const std::string& n : sc.capture) captured[sc.node_index(n)] = 1;

    conns.resize(sc.connections.size());
    for (size_t ci = 0; ci < sc.connections.size(); ++ci) {
      const ConnectionSpec& c = sc.connections[ci];
      ConnRt& rt = conns[ci];
      auto route = topo.shortest_route(c.client, c.server);
      assert(route && "the loader checks reachability");
      rt.route = std::move(*route);
      Rng r = Rng::stream(sc.seed, "connection", ci);
      const HostSpec& ch = sc.hosts[c.client];
      const HostSpec& sh = sc.hosts[c.server];
      uint16_t lo = ch.os->ephemeral_port_lo, hi = ch.os->ephemeral_port_hi;
      uint16_t cport = c.client_port.value_or(static_cast<uint16_t>(lo + r.below(static_cast<uint64_t>(hi - lo + 1))));
      uint32_t isn_c = c.isn[0].value_or(static_cast<uint32_t>(r.next()));
      uint32_t isn_s = c.isn[1].value_or(static_cast<uint32_t>(r.next()));
      rt.ep[0] = TcpEndpoint(TcpEndpointConfig{ch.os, &ch.tunables, &hosts[c.client].clock, ch.address, sh.address,
                                               cport, c.port, isn_c});
      rt.ep[1] = TcpEndpoint(TcpEndpointConfig{sh.os, &sh.tunables, &hosts[c.server].clock, sh.address, ch.address,
                                               c.port, cport, isn_s});
      for (uint32_t si = 0; si < c.traffic.size(); ++si) steps.push_back({static_cast<uint32_t>(ci), si});
    }
  }

  // ------------------------------------------------------------ scheduling

  void schedule_initial() {
    queue.push(sc.duration, EventKind::kEndOfRun, 0);
    for (size_t ci = 0; ci < sc.connections.size(); ++ci) {
      const ConnectionSpec& c = sc.connections[ci];
      conns[ci].ep[1].listen();
      queue.push(c.open_at, EventKind::kConnectionOpen, static_cast<uint32_t>(ci));
      for (int s = 0; s < 2; ++s) {
        const KeepaliveSpec& k = c.keepalive[s];
        if (k.given) {
          if (k.at) queue.push(*k.at, EventKind::kAppAction, static_cast<uint32_t>(ci), 0x80000000u | static_cast<uint32_t>(s));
          else conns[ci].ep[s].set_keepalive(Time(), k.options);
        }
      }
    }
    for (uint32_t i = 0; i < steps.size(); ++i) {
      const TrafficStep& t = sc.connections[steps[i].conn].traffic[steps[i].step];
      queue.push(t.at, EventKind::kAppAction, i);
    }
    for (uint32_t i = 0; i < sc.faults.size(); ++i) queue.push(sc.faults[i].at, EventKind::kFault, i);
  }

  void sync_timer(size_t ci, int side) {
    conns[ci].timer[side].ensure(queue, conns[ci].ep[side].next_wakeup(), EventKind::kEndpointTimer,
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
    r.conn = p.conn;
    r.dir = dir;
    r.seg = p.seg;
    r.why = p.why;
    r.why_a = p.a;
    r.why_b = p.b;
    r.fate = fate;
    r.fate_a = fate_a;
    sink->record(r);
  }

  void note_loss(uint32_t conn, std::string where) {
    conns[conn].loss.where = std::move(where);
    conns[conn].loss.at = now;
  }

  std::string link_name(size_t link) const {
    return fmt::format("link {}-{}", sc.links[link].a, sc.links[link].b);
  }

  // Puts `p` on the link from route position p.pos - p.step towards p.pos;
  // `dir` is how the sending node's capture point sees it.
  void transmit(Packet p, CaptureDir dir) {
    ++packets;
    const Route& route = conns[p.conn].route;
    size_t from = route.nodes[static_cast<size_t>(p.pos - p.step)];
    size_t li = route.links[static_cast<size_t>(p.step > 0 ? p.pos - 1 : p.pos)];
    LinkRt& link = links[li];
    if (!link.up) {
      emit_record(from, dir, p, NoteKind::kDropLinkDown);
      note_loss(p.conn, link_name(li) + " (down)");
      return;
    }
    if (link.rng.chance_ppb(link.loss_ppb)) {
      emit_record(from, dir, p, NoteKind::kDropLinkLoss);
      note_loss(p.conn, link_name(li) + " (random loss)");
      return;
    }
    emit_record(from, dir, p);
    uint32_t slot = alloc_packet();
    pool[slot] = p;
    queue.push(now + link.delay, EventKind::kPacketArrival, slot);
  }

  void send_from_endpoint(size_t ci, Side side, const EmittedSegment& e) {
    Packet p;
    p.seg = e.seg;
    p.conn = static_cast<uint32_t>(ci);
    p.step = side == Side::kClient ? 1 : -1;
    const Route& route = conns[ci].route;
    int32_t start = side == Side::kClient ? 0 : static_cast<int32_t>(route.nodes.size() - 1);
    p.pos = start + p.step;
    p.origin = static_cast<uint32_t>(route.nodes[static_cast<size_t>(start)]);
    p.why = e.note;
    p.a = e.a;
    p.b = e.b;
    conns[ci].out[static_cast<int>(side)].segments_sent++;
    transmit(p, CaptureDir::kOut);
  }

  // Applies an endpoint's output: its segments go out, its application
  // events update the outcome. `cause` explains an error (the packet that
  // triggered it), `killer` names who is responsible.
  void apply_output(size_t ci, Side side, const std::string& cause, const std::string& killer) {
    int s = static_cast<int>(side);
    ConnRt& rt = conns[ci];
    // Copy: handling app events may produce more output.
    std::vector<EmittedSegment> segs;
    segs.swap(out.segments);
    std::vector<AppEvent> app;
    app.swap(out.app);
    out.clear();
    for (const EmittedSegment& e : segs) send_from_endpoint(ci, side, e);
    bool eof = false;
    for (const AppEvent& a : app) {
      switch (a.kind) {
        case AppEventKind::kConnected: rt.out[s].connected = true; break;
        case AppEventKind::kEof:
          rt.out[s].eof_at = now;
          eof = true;
          break;
        case AppEventKind::kClosed:
          if (rt.closed_at[s].is_never()) rt.closed_at[s] = now;
          break;
        case AppEventKind::kError:
          if (rt.out[s].error == SocketError::kNone) {
            rt.out[s].error = a.error;
            rt.out[s].error_at = now;
            rt.out[s].error_cause = cause;
            if (rt.killer.empty()) rt.killer = killer;
          }
          break;
      }
    }
    if (eof && rt.ep[s].state() == TcpState::kCloseWait) {
      // The application reads EOF and closes its end, as most servers do.
      rt.ep[s].close(now, out);
      apply_output(ci, side, cause, killer);
      return;
    }
    sync_timer(ci, s);
  }

  void on_packet(uint32_t slot) {
    Packet p = pool[slot];
    free_slots.push_back(slot);
    ConnRt& rt = conns[p.conn];
    const Route& route = rt.route;
    size_t node = route.nodes[static_cast<size_t>(p.pos)];
    bool at_end = p.step > 0 ? static_cast<size_t>(p.pos) == route.nodes.size() - 1 : p.pos == 0;

    if (!is_host(node)) {
      size_t mb = node - sc.hosts.size();
      Firewall::Verdict v = firewalls[mb].process(now, p.seg);
      if (v.new_entry != UINT32_MAX) arm_firewall_entry(mb, v.new_entry);
      if (!v.forward) {
        emit_record(node, CaptureDir::kDrop, p, v.note, v.a);
        if (v.note == NoteKind::kDropNoState) note_loss(p.conn, sc.middleboxes[mb].name);
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
      transmit(p, CaptureDir::kForward);
      return;
    }
    if (!at_end) {  // a host in the middle of a route forwards like a router
      p.pos += p.step;
      transmit(p, CaptureDir::kForward);
      return;
    }
    Side side = p.step > 0 ? Side::kServer : Side::kClient;
    HostRt& h = hosts[node];
    if (h.down) {
      emit_record(node, CaptureDir::kIn, p, NoteKind::kDropHostDown);
      note_loss(p.conn, fmt::format("{} (host down)", sc.hosts[node].name));
      return;
    }
    size_t src_host = host_node(p.conn, other(side));
    if (std::find(h.blocked.begin(), h.blocked.end(), src_host) != h.blocked.end()) {
      emit_record(node, CaptureDir::kIn, p, NoteKind::kDropHostFilter);
      note_loss(p.conn, fmt::format("{} (input filter)", sc.hosts[node].name));
      return;
    }
    TcpEndpoint& ep = rt.ep[static_cast<int>(side)];
    out.clear();
    ep.on_segment(now, p.seg, out);
    emit_record(node, CaptureDir::kIn, p, out.discarded);
    std::string origin_name(sc.node_name(p.origin));
    std::string cause = p.seg.has(tcp_flag::kRst)
                            ? fmt::format("RST from {}: {}", origin_name,
                                          describe_note(p.why, p.a, p.b, origin_name))
                            : std::string();
    apply_output(p.conn, side, cause, origin_name);
  }

  void arm_firewall_entry(size_t mb, uint32_t entry) {
    Firewall& fw = firewalls[mb];
    fw.timer(entry).ensure(queue, fw.expiry_time(entry), EventKind::kMiddleboxTimer, static_cast<uint32_t>(mb), entry);
  }

  // --------------------------------------------------------------- events

  void on_endpoint_timer(const Event& e) {
    size_t ci = e.target / 2;
    int s = static_cast<int>(e.target % 2);
    ConnRt& rt = conns[ci];
    if (!rt.timer[s].take(e)) return;
    Side side = static_cast<Side>(s);
    out.clear();
    rt.ep[s].on_timer(now, out);
    std::string cause, killer;
    for (const AppEvent& a : out.app) {
      if (a.kind != AppEventKind::kError) continue;
      bool keepalive = !out.segments.empty() && out.segments.back().note == NoteKind::kKeepaliveGiveUpRst;
      cause = keepalive ? fmt::format("keepalive: {} probes unanswered", out.segments.back().a)
                        : std::string("retransmission timeout");
      killer = rt.loss.where;
    }
    apply_output(ci, side, cause, killer);
  }

  void on_app_action(const Event& e) {
    const StepRef& ref = steps[e.target];
    const TrafficStep& t = sc.connections[ref.conn].traffic[ref.step];
    int s = static_cast<int>(t.from);
    ConnRt& rt = conns[ref.conn];
    size_t hnode = host_node(ref.conn, t.from);
    if (!hosts[hnode].down) {
      out.clear();
      switch (t.action) {
        case AppAction::kSend: rt.ep[s].send(now, t.bytes, out); break;
        case AppAction::kClose: rt.ep[s].close(now, out); break;
        case AppAction::kAbort: rt.ep[s].abort(now, out); break;
      }
      apply_output(ref.conn, t.from, "", "");
    }
    if (t.every > Time() && now + t.every <= t.until && now + t.every < sc.duration)
      queue.push(now + t.every, EventKind::kAppAction, e.target);
  }

  void on_keepalive_options(size_t ci, int s) {
    out.clear();
    conns[ci].ep[s].set_keepalive(now, sc.connections[ci].keepalive[s].options);
    apply_output(ci, static_cast<Side>(s), "", "");
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
    }
  }

  void on_connection_open(size_t ci) {
    out.clear();
    conns[ci].ep[0].connect(now, out);
    apply_output(ci, Side::kClient, "", "");
  }

  RunResult run(TraceSink& s) {
    sink = &s;
    records = s.wants_records();
    s.begin(sc);
    schedule_initial();
    RunResult result;
    uint64_t events = 0;
    while (!queue.empty()) {
      Event e = queue.pop();
      assert(e.at >= now && "time never goes backwards");
      now = e.at;
      if (e.kind == EventKind::kEndOfRun) break;
      ++events;
      if (events > limits.max_events) {
        result.stopped_by_limit = true;
        result.error = fmt::format("stopped at {} s: more than {} events (raise --max-events if this is intended)",
                                   now, limits.max_events);
        break;
      }
      switch (e.kind) {
        case EventKind::kPacketArrival: on_packet(e.target); break;
        case EventKind::kEndpointTimer: on_endpoint_timer(e); break;
        case EventKind::kMiddleboxTimer: {
          Firewall& fw = firewalls[e.target];
          if (!fw.timer(e.aux).take(e)) break;
          Time next = fw.check_expiry(now, e.aux);
          if (!next.is_never()) fw.timer(e.aux).ensure(queue, next, EventKind::kMiddleboxTimer, e.target, e.aux);
          break;
        }
        case EventKind::kAppAction:
          if (e.aux & 0x80000000u) on_keepalive_options(e.target, static_cast<int>(e.aux & 1));
          else on_app_action(e);
          break;
        case EventKind::kFault: on_fault(sc.faults[e.target]); break;
        case EventKind::kConnectionOpen: on_connection_open(e.target); break;
        case EventKind::kEndOfRun: break;
      }
    }
    if (!result.stopped_by_limit) now = sc.duration;
    for (size_t ci = 0; ci < conns.size(); ++ci) s.outcome(outcome_of(ci));
    result.summary = RunSummary{now, events, packets};
    s.end(result.summary);
    return result;
  }

  ConnectionOutcome outcome_of(size_t ci) {
    ConnRt& rt = conns[ci];
    ConnectionOutcome o;
    o.conn = static_cast<uint32_t>(ci);
    o.name = sc.connections[ci].name;
    for (int s = 0; s < 2; ++s) {
      o.side[s] = rt.out[s];
      o.side[s].state = rt.ep[s].state();
      o.side[s].keepalive_probes = rt.ep[s].keepalive_probes_sent();
    }
    int first = -1;
    for (int s = 0; s < 2; ++s)
      if (o.side[s].error != SocketError::kNone && (first < 0 || o.side[s].error_at < o.side[first].error_at))
        first = s;
    auto open = [](TcpState st) {
      return st != TcpState::kClosed && st != TcpState::kListen && st != TcpState::kTimeWait;
    };
    if (first >= 0) {
      const SideOutcome& so = o.side[first];
      o.at = so.error_at;
      switch (so.error) {
        case SocketError::kEtimedout: o.fate = Fate::kTimedOut; break;
        case SocketError::kEconnrefused: o.fate = Fate::kRefused; break;
        default: o.fate = Fate::kReset; break;
      }
      o.killer = rt.killer;
      o.half_open = open(o.side[1 - first].state) && o.side[1 - first].error == SocketError::kNone;
    } else if (!o.side[0].connected) {
      o.fate = Fate::kNeverConnected;
    } else if (!open(o.side[0].state) && !open(o.side[1].state)) {
      o.fate = Fate::kClosed;
      o.at = std::min(rt.closed_at[0], rt.closed_at[1]);
    } else {
      o.fate = Fate::kAlive;
      o.half_open = open(o.side[0].state) != open(o.side[1].state);
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
