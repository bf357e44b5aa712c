#include "kasim/tune.h"

#include <algorithm>

#include <fmt/format.h>

#include "kasim/linux_timer.h"
#include "kasim/route.h"
#include "kasim/simulator.h"

namespace kasim {
namespace {

constexpr Time kSecond = Time::s(1);
// IP + TCP headers of a probe or its answer. kasim models no TCP options
// (a real Linux probe carries 12 bytes of timestamps).
constexpr uint64_t kHeaderBytes = 40;

bool allows(Sides s, FlowDir d) {
  return s == Sides::kBoth || (s == Sides::kClient) == (d == FlowDir::kFromClient);
}

Time floor_s(Time t) { return t < Time() ? Time() : Time::s(t.count_s()); }
Time ceil_s(Time t) { return Time::s((t.count_ns() + kSecond.count_ns() - 1) / kSecond.count_ns()); }
int64_t ceil_div(Time a, Time b) { return (a.count_ns() + b.count_ns() - 1) / b.count_ns(); }

// Timer lateness real kernels add beyond what kasim models, per timer; a
// margin, not a simulated rule. Sources: each profile's "timers" rule
// (docs/profiles/<os>.md).
Time unmodelled_slack(std::string_view os) {
  if (os == "linux") return Time();            // the timer wheel is modelled exactly
  if (os == "freebsd") return Time::ms(10);    // callout slack of a few ms (UNVERIFIED)
  if (os == "solaris") return Time::ms(10);    // illumos rounds callouts to 10 ms
  return Time::ms(500);  // AIX (a slow 500 ms slowtimo), XNU and OpenBSD 500 ms timer classes, Windows (unknown)
}

// The allowed range of a field over the OS's sysctl and socket-option specs
// (both must accept the value: the recommendation is given in both forms).
struct Range {
  Time lo = Time(), hi = Time::never();
  bool any = false;
};

struct OsModel {
  const OsProfile* os = nullptr;
  const HostSpec* host = nullptr;
  LinuxClock clock;           // kLinuxWheel hosts
  Time tick_period;           // kSlowtimo hosts
  Range idle, interval;
  int count_lo = 1, count_hi = 127;
  bool count_fixed = false;   // no tunable for the probe count: the default applies
  int count_default = 0;

  int probes(int cnt) const {
    switch (os->keepalive.give_up) {
      case KeepaliveGiveUp::kProbeCount:
      case KeepaliveGiveUp::kIdlePlusCount: return cnt;
      // AIX: t_idle lags one tick, so the drop test holds one interval late.
      case KeepaliveGiveUp::kSlowtimoCountPlusOne: return cnt + 1;
      // illumos: abort = cnt*intvl, strict >: the fire at idle + cnt*intvl still probes.
      case KeepaliveGiveUp::kAbortInterval: return cnt + 1;
    }
    return cnt;
  }
  // How late a timer of `d` fires at most (modelled rounding plus unmodelled slack).
  Time lateness(Time d, bool from_receive) const {
    Time slack = unmodelled_slack(os->name);
    switch (os->timer) {
      case TimerModel::kLinuxWheel: {
        if (clock.ideal()) return slack;
        uint64_t j = static_cast<uint64_t>(d / clock.tick());
        // A timer measured from a receive also loses the jiffy the receive fell in.
        return clock.granule(j) + (from_receive ? clock.tick() : Time()) + slack;
      }
      case TimerModel::kSlowtimo: return tick_period * ceil_div(d, os->tick) - d + slack;
      case TimerModel::kExact: return slack;
    }
    return slack;
  }
  Time detection(const KeepaliveSetting& k) const {
    int p = probes(k.count);
    return k.idle + lateness(k.idle, true) + (k.interval + lateness(k.interval, false)) * p;
  }
};

OsModel model_of(const HostSpec& h) {
  OsModel m;
  m.os = h.os;
  m.host = &h;
  int hz = h.hz >= 0 ? h.hz : h.os->default_hz;
  if (h.os->timer == TimerModel::kLinuxWheel) m.clock = LinuxClock(hz, 0, Time());
  m.tick_period = h.tick_period.value_or(h.os->tick);
  auto widen = [](Range& r, int64_t min, int64_t max, int64_t unit) {
    Time lo = Time::ns(min * unit), hi = Time::ns(max > INT64_MAX / unit ? INT64_MAX : max * unit);
    r.lo = r.any ? std::max(r.lo, lo) : lo;
    r.hi = r.any ? std::min(r.hi, hi) : hi;
    r.any = true;
  };
  bool count_sysctl = false;
  m.count_hi = INT32_MAX;
  for (const SysctlSpec& sp : h.os->sysctls) {
    if (sp.field == SysctlField::kKeepaliveIdle) widen(m.idle, sp.min, sp.max, sp.unit_ns);
    if (sp.field == SysctlField::kKeepaliveInterval) widen(m.interval, sp.min, sp.max, sp.unit_ns);
    if (sp.field == SysctlField::kKeepaliveProbes) {
      count_sysctl = true;
      m.count_lo = std::max<int>(m.count_lo, static_cast<int>(sp.min));
      m.count_hi = std::min<int64_t>(m.count_hi, sp.max) > INT32_MAX ? INT32_MAX : static_cast<int>(std::min<int64_t>(m.count_hi, sp.max));
    }
  }
  for (const SocketOptionSpec& o : h.os->socket_options) {
    if (&o != primary_socket_option(*h.os, o.option)) continue;  // another spelling
    // 0 means "use the sysctl" for some options: never recommended.
    int64_t lo = std::max<int64_t>(o.min, 1);
    if (o.option == SocketOption::kIdle) widen(m.idle, lo, o.max, o.unit_ns);
    if (o.option == SocketOption::kInterval) widen(m.interval, lo, o.max, o.unit_ns);
    if (o.option == SocketOption::kCount) {
      m.count_lo = std::max<int>(m.count_lo, static_cast<int>(lo));
      m.count_hi = static_cast<int>(std::min<int64_t>(m.count_hi, o.max));
    }
  }
  // Without a count tunable (OpenBSD: TCPTV_KEEPCNT; Windows: 10 on the
  // registry and SIO_KEEPALIVE_VALS paths) the default applies; illumos has
  // none either but derives its abort interval from TCP_KEEPCNT.
  m.count_fixed = !count_sysctl && h.os->keepalive.give_up != KeepaliveGiveUp::kAbortInterval;
  m.count_default = h.os->defaults.keepalive_probes > 0 ? h.os->defaults.keepalive_probes : 8;
  if (m.count_fixed) m.count_lo = m.count_hi = m.count_default;
  // Whole seconds, at least 1 s: every OS accepts them in both forms.
  m.idle.lo = std::max(ceil_s(m.idle.lo), kSecond);
  m.interval.lo = std::max(ceil_s(m.interval.lo), kSecond);
  m.idle.hi = floor_s(std::min(m.idle.hi, Time::s(10 * 86400)));
  m.interval.hi = floor_s(std::min(m.interval.hi, Time::s(86400)));
  return m;
}

// What a box does with the tuned side's keepalive (firewall.h rules).
BoxOnPath analyse_box(const Scenario& s, size_t mb, const OsProfile& os, Side side) {
  const FirewallConfig& c = s.middleboxes[mb].firewall;
  BoxOnPath b;
  b.middlebox = mb;
  b.name = s.middleboxes[mb].name;
  b.timeout = c.established;
  b.dcd = c.on_idle == IdleAction::kProbe && c.probe_count > 0;
  FlowDir probe_dir = side == Side::kClient ? FlowDir::kFromClient : FlowDir::kFromServer;
  FlowDir answer_dir = side == Side::kClient ? FlowDir::kFromServer : FlowDir::kFromClient;
  bool empty_probe = os.keepalive.probe_payload == 0;
  // A zero-byte probe at snd_una-1 ends below what the peer acknowledged.
  bool below = empty_probe && c.window_check != WindowCheck::kOff;
  b.probe_dropped = below && c.window_check == WindowCheck::kDrop;
  bool probe_counts = !below && allows(c.refresh_from, probe_dir);
  bool answer_counts = !b.probe_dropped && allows(c.refresh_from, answer_dir);
  switch (c.refresh_on) {
    case RefreshOn::kAny: break;
    case RefreshOn::kData:
      probe_counts = probe_counts && !empty_probe;
      answer_counts = false;  // the answer is a bare ACK
      break;
    case RefreshOn::kNewData: probe_counts = answer_counts = false; break;
  }
  b.probe_refreshes = probe_counts;
  b.answer_refreshes = answer_counts;
  std::string probe = empty_probe ? "0-byte" : "1-byte";
  if (b.timeout.is_never()) b.why = "no idle timeout";
  else if (b.dcd) b.why = "dead-connection detection: at expiry it probes both ends and keeps flows that answer";
  else if (b.probe_dropped) b.why = fmt::format("its sequence check drops {}'s {} probes (below the window): keepalive would kill the flow", os.name, probe);
  else if (c.refresh_on == RefreshOn::kNewData) b.why = "only new payload refreshes its timer: no keepalive probe counts";
  else if (c.refresh_on == RefreshOn::kData && empty_probe) b.why = fmt::format("only packets with payload refresh its timer: {}'s 0-byte probes and the bare-ACK answers do not", os.name);
  else if (probe_counts) b.why = fmt::format("{}'s {} probe refreshes its timer", os.name, probe);
  else if (answer_counts) b.why = fmt::format("the probe does not refresh its timer but the peer's answer does (refresh from {})", sides_name(c.refresh_from));
  else b.why = fmt::format("neither the probe nor its answer refresh its timer (refresh from {})", sides_name(c.refresh_from));
  return b;
}

std::string secs(Time t) { return format_duration(t); }
// "1 probe", "9 probes".
std::string n_probes(int64_t n, std::string_view word = "probe") { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string rate_x100(uint64_t v) { return fmt::format("{}.{:02}", v / 100, v % 100); }

}  // namespace

// ------------------------------------------------------------ simulation

namespace {

bool is_box_expiry(const Scenario& s, const TraceRecord& r) {
  if (r.why == NoteKind::kFirewallRstIdle || r.why == NoteKind::kFirewallRstNoState) return true;
  if (r.node < s.hosts.size()) return false;
  return r.fate == NoteKind::kDropNoState || r.fate == NoteKind::kPickedUp || r.fate == NoteKind::kPickedUpNat;
}

std::string describe_expiry(const Scenario& s, const TraceRecord& r) {
  std::string box(s.node_name(r.why == NoteKind::kFirewallRstIdle || r.why == NoteKind::kFirewallRstNoState ? r.origin : r.node));
  const char* kind = packet_kind(r.why);
  if (r.why == NoteKind::kFirewallRstIdle) return fmt::format("{} reset the idle flow at {}", box, format_seconds_us(r.t));
  if (r.why == NoteKind::kFirewallRstNoState)
    return fmt::format("{} had forgotten the flow; it answered a packet with an RST at {}", box, format_seconds_us(r.t));
  std::string expired = r.fate_a >= 0 && r.fate == NoteKind::kDropNoState
                            ? fmt::format(" (expired at {})", format_seconds_us(Time::ns(r.fate_a)))
                            : std::string();
  if (r.fate == NoteKind::kDropNoState)
    return fmt::format("{} had forgotten the flow{}; it dropped a {} at {}", box, expired, kind, format_seconds_us(r.t));
  return fmt::format("{} had forgotten the flow; a {} at {} created a new entry{}", box, kind, format_seconds_us(r.t),
                     r.fate == NoteKind::kPickedUpNat ? " with a new NAT mapping" : "");
}

struct Built {
  Scenario sc;
  size_t host = 0, peer = 0;
  size_t edge_link = 0;  // the link next to the tuned host
};

Built build_run(const Scenario& s, size_t conn, Side side, const KeepaliveSetting& k, Time duration, Time heartbeat) {
  Built b{s, 0, 0, 0};
  Scenario& sc = b.sc;
  ConnectionSpec c = s.connections[conn];
  c.count = 1;
  c.open_within = {};
  c.os_mix.clear();
  c.vanish = {};
  c.traffic.clear();
  TrafficStep req;
  req.at = c.open_at + kSecond;
  req.from = Side::kClient;
  req.bytes = 100;
  c.traffic.push_back(req);
  if (heartbeat > Time()) {
    TrafficStep hb;
    hb.at = req.at + heartbeat;
    hb.from = side;
    hb.bytes = 1;
    hb.every = heartbeat;
    c.traffic.push_back(hb);
  }
  int si = static_cast<int>(side);
  b.host = side == Side::kClient ? c.client : c.server;
  b.peer = side == Side::kClient ? c.server : c.client;
  HostSpec& h = sc.hosts[b.host];
  c.keepalive[1 - si] = KeepaliveSpec{};
  c.keepalive[si] = KeepaliveSpec{};
  if (heartbeat == Time()) {  // with a heartbeat, keepalive stays off on both sides
    KeepaliveSpec& ks = c.keepalive[si];
    ks.given = true;
    ks.options.enabled = true;
    if (h.os->socket_options.empty()) {
      // OpenBSD: system-wide tunables only.
      h.tunables.keepalive_idle = k.idle;
      h.tunables.keepalive_interval = k.interval;
    }
    for (const SocketOptionSpec& o : h.os->socket_options) {
      if (&o != primary_socket_option(*h.os, o.option)) continue;  // another spelling
      bool whole_s = o.unit_ns == kSecond.count_ns();
      switch (o.option) {
        case SocketOption::kIdle:
          ks.options.idle = k.idle;
          ks.options.idle_s = whole_s ? k.idle.count_s() : 0;
          break;
        case SocketOption::kInterval:
          ks.options.interval = k.interval;
          ks.options.interval_s = whole_s ? k.interval.count_s() : 0;
          break;
        case SocketOption::kCount:
          if (!model_of(h).count_fixed) ks.options.count = k.count;
          break;
        case SocketOption::kUserTimeout:
        case SocketOption::kAbort: break;
      }
    }
  }
  sc.connections = {c};
  sc.faults.clear();
  sc.capture.clear();
  sc.expect = Expectations{};
  sc.duration = duration;
  std::optional<Route> route = connection_route(sc, sc.connections[0]);
  b.edge_link = side == Side::kClient ? route->links.front() : route->links.back();
  return b;
}

TuneRun evaluate(const Built& b, Side side, const MemorySink& sink) {
  TuneRun r;
  const ConnectionOutcome& o = sink.outcomes.at(0);
  r.fate = o.fate;
  r.at = o.at;
  r.killer = o.killer;
  r.probes = o.side[static_cast<int>(side)].keepalive_probes;
  r.duration = b.sc.duration;
  const TraceRecord* expiry = nullptr;
  for (const TraceRecord& rec : sink.records)
    if (is_box_expiry(b.sc, rec)) {
      expiry = &rec;
      break;
    }
  r.survived = o.fate == Fate::kAlive && expiry == nullptr;
  if (expiry != nullptr) r.what = describe_expiry(b.sc, *expiry);
  std::string fate = o.fate == Fate::kAlive
                         ? std::string("alive at the end")
                         : fmt::format("{} at {}{}", fate_name(o.fate), format_seconds_us(o.at),
                                       o.killer.empty() ? std::string() : " (killer: " + o.killer + ")");
  r.what = r.what.empty() ? fate : r.what + "; " + fate;
  return r;
}

MemorySink run_built(const Built& b) {
  MemorySink sink;
  Simulator sim(b.sc);
  sim.run(sink);
  return sink;
}

}  // namespace

TuneRun simulate_setting(const Scenario& s, size_t conn, Side side, const KeepaliveSetting& setting, Time duration,
                         bool lose_probe, Time heartbeat) {
  Built b = build_run(s, conn, side, setting, duration, heartbeat);
  MemorySink clean = run_built(b);
  TuneRun r = evaluate(b, side, clean);
  if (lose_probe && r.survived) {
    std::vector<Time> probes;
    for (const TraceRecord& rec : clean.records)
      if (rec.node == b.host && rec.dir == CaptureDir::kOut && rec.why == NoteKind::kKeepaliveProbe) probes.push_back(rec.t);
    if (!probes.empty()) {
      Time t = probes.size() >= 2 ? probes[1] : probes[0];
      FaultSpec down, up;
      down.kind = FaultSpec::Kind::kLinkDown;
      down.link = b.edge_link;
      down.at = t - Time::ns(1);
      up = down;
      up.kind = FaultSpec::Kind::kLinkUp;
      up.at = t + Time::ns(1);
      b.sc.faults = {down, up};
      MemorySink lossy = run_built(b);
      r = evaluate(b, side, lossy);
      r.lost_probe_at = t;
    }
  }
  r.setting = setting;
  r.heartbeat = heartbeat;
  return r;
}

namespace {

// The peer crashes in the middle of the second idle period; how long after
// its last segment does the tuned side give up?
TuneRun simulate_dead_peer(const Scenario& s, size_t conn, Side side, const KeepaliveSetting& k, Time detection_bound) {
  Time crash_at = s.connections[conn].open_at + kSecond + k.idle + k.idle / 2;
  Built b = build_run(s, conn, side, k, crash_at + detection_bound * 2 + Time::s(60), Time());
  FaultSpec crash;
  crash.kind = FaultSpec::Kind::kHostCrash;
  crash.node = b.peer;
  crash.at = crash_at;
  b.sc.faults = {crash};
  MemorySink sink = run_built(b);
  TuneRun r = evaluate(b, side, sink);
  r.setting = k;
  r.dead_peer = true;
  Time last_in = Time::never();
  for (const TraceRecord& rec : sink.records)
    if (rec.node == b.host && rec.dir == CaptureDir::kIn && rec.t <= crash_at) last_in = rec.t;
  const SideOutcome& so = sink.outcomes.at(0).side[static_cast<int>(side)];
  if (so.error != SocketError::kNone && !last_in.is_never()) r.detected_after = so.error_at - last_in;
  r.what = fmt::format("peer crashed at {}; last segment from it at {}; ", format_seconds_us(crash_at),
                       last_in.is_never() ? std::string("?") : format_seconds_us(last_in)) + r.what;
  return r;
}

}  // namespace

// -------------------------------------------------------------- analysis

TuneResult tune(const Scenario& s, const TuneRequest& req, std::string* error) {
  TuneResult r;
  size_t conn = SIZE_MAX;
  for (size_t i = 0; i < s.connections.size(); ++i)
    if (s.connections[i].name == req.connection) conn = i;
  if (conn == SIZE_MAX) {
    std::vector<std::string> names;
    for (const ConnectionSpec& c : s.connections) names.push_back(c.name);
    *error = fmt::format("no connection named '{}' (the scenario has: {})", req.connection, fmt::join(names, ", "));
    return r;
  }
  const ConnectionSpec& c = s.connections[conn];
  if (req.side == Side::kClient && c.is_fleet() && c.os_mix.size() == 1) {
    // One OS for every client: tune it as the client host's own.
    Scenario one = s;
    HostSpec& h = one.hosts[c.client];
    const OsShare& m = c.os_mix.front();
    if (h.os != m.os) {
      h.hz = -1;
      h.jiffies_phase.reset();
      h.tick_phase.reset();
      h.tick_period.reset();
    }
    h.os = m.os;
    h.tunables = m.tunables;
    one.connections[conn].os_mix.clear();
    return tune(one, req, error);
  }
  if (req.side == Side::kClient && c.is_fleet() && !c.os_mix.empty()) {
    std::vector<std::string_view> names;
    for (const OsShare& o : c.os_mix) names.push_back(o.os->name);
    *error = fmt::format("the clients of fleet '{}' run several OSes (os_mix: {}); tune one at a time, e.g. with "
                         "--set connections.{}.os_mix={{{}: 100%}}, or tune the server side",
                         c.name, fmt::join(names, ", "), c.name, names.front());
    return r;
  }
  const HostSpec& host = s.hosts[req.side == Side::kClient ? c.client : c.server];
  OsModel m = model_of(host);
  const OsProfile& os = *host.os;
  r.os = std::string(os.name);
  auto say = [&](std::string line) { r.reasoning.push_back(std::move(line)); };

  // The route, walked from the tuned side.
  std::optional<Route> route = connection_route(s, c);
  std::vector<size_t> nodes = route->nodes;
  if (req.side == Side::kServer) std::reverse(nodes.begin(), nodes.end());
  r.rtt = route->delay * 2;
  std::vector<std::string> hops;
  for (size_t n : nodes) hops.emplace_back(s.node_name(n));
  say(fmt::format("path from {} ({}, {}): {}; one-way delay {}, round trip {}", host.name, req.side == Side::kClient ? "client" : "server",
                  os.name, fmt::join(hops, " -> "), secs(route->delay), secs(r.rtt)));
  for (size_t n : nodes)
    if (n >= s.hosts.size()) r.boxes.push_back(analyse_box(s, n - s.hosts.size(), os, req.side));
  if (r.boxes.empty()) say("no middlebox on the path");
  for (const BoxOnPath& b : r.boxes)
    say(fmt::format("  {}: idle timeout {}; {}", b.name, b.timeout.is_never() ? "none" : secs(b.timeout), b.why));

  int min_probes_count = m.count_lo;
  while (m.probes(min_probes_count) < 2 && min_probes_count < m.count_hi) ++min_probes_count;
  KeepaliveSetting k;
  k.interval = std::clamp(ceil_s(r.rtt + Time::ns(1)), m.interval.lo, m.interval.hi);
  k.count = m.count_fixed ? m.count_default : std::clamp(m.count_default, min_probes_count, m.count_hi);
  r.late_interval = m.lateness(k.interval, false);
  auto late_total = [&](Time idle) { return m.lateness(idle, true) + r.late_interval; };
  say(fmt::format("interval {}: the shortest whole second above the round trip that {} accepts (after a lost probe the next one comes "
                  "one interval later, so a short interval leaves idle the most room)", secs(k.interval), os.name));

  // (a) survival: the binding box is the shortest timeout among the boxes keepalive refreshes.
  Time useless_timeout = Time::never();
  const BoxOnPath* useless = nullptr;
  Time shortest_any = Time::never();
  for (size_t i = 0; i < r.boxes.size(); ++i) {
    const BoxOnPath& b = r.boxes[i];
    if (!b.binds()) continue;
    shortest_any = std::min(shortest_any, b.timeout);
    if (!b.keepalive_helps()) {
      if (b.timeout < useless_timeout) {
        useless_timeout = b.timeout;
        useless = &b;
      }
    } else if (!r.binding || b.timeout < r.boxes[*r.binding].timeout) {
      r.binding = i;
    }
  }
  auto survives = [&](Time idle, Time timeout) {
    return idle + k.interval + late_total(idle) + r.rtt + req.margin < timeout;
  };
  auto largest_idle = [&](Time timeout) -> std::optional<Time> {
    Time hi = std::min(m.idle.hi, floor_s(timeout));
    for (Time idle = hi; idle >= m.idle.lo; idle -= kSecond)
      if (survives(idle, timeout)) return idle;
    return std::nullopt;
  };

  if (useless != nullptr || (r.binding && !largest_idle(r.boxes[*r.binding].timeout))) {
    r.verdict = TuneResult::Verdict::kKeepaliveUseless;
    const BoxOnPath& b = useless != nullptr ? *useless : r.boxes[*r.binding];
    if (useless != nullptr)
      say(fmt::format("{} binds and keepalive cannot help: {}. Only application data keeps the flow.", b.name, b.why));
    else
      say(fmt::format("{} binds: its {} timeout is shorter than {}'s shortest keepalive cycle (idle {} + one lost probe {} + lateness + round trip + margin)",
                      b.name, secs(b.timeout), os.name, secs(m.idle.lo), secs(k.interval)));
    // Data refreshes every box: the heartbeat must beat the shortest timeout of all.
    r.heartbeat = floor_s(shortest_any - r.rtt - req.margin - Time::ns(1));
    say(fmt::format("recommendation: an application heartbeat from {} carrying data at least every {} (shortest timeout {} - round trip {} - margin {}); "
                    "a heartbeat that expects an answer also detects a dead peer",
                    host.name, secs(r.heartbeat), secs(shortest_any), secs(r.rtt), secs(req.margin)));
    if (r.heartbeat < kSecond) r.heartbeat = kSecond;
    // The keepalive one would try anyway, to show it fails.
    k.idle = std::clamp(floor_s(b.timeout / 2), m.idle.lo, m.idle.hi);
    r.setting = k;
    r.late_idle = m.lateness(k.idle, true);
    if (req.confirm) {
      Time dur = c.open_at + kSecond + (b.timeout + k.idle + k.interval * (m.probes(k.count) + 2)) * 2 + Time::s(60);
      r.runs.push_back(simulate_setting(s, conn, req.side, k, dur, false));
      r.runs.push_back(simulate_setting(s, conn, req.side, k, dur, false, r.heartbeat));
    }
    return r;
  }

  std::optional<Time> limit;
  if (r.binding) {
    const BoxOnPath& b = r.boxes[*r.binding];
    limit = largest_idle(b.timeout);
    k.idle = *limit;
    r.idle_limit = *limit;
    say(fmt::format("binding constraint: {} ({} timeout, the shortest among the boxes keepalive refreshes)", b.name, secs(b.timeout)));
    say(fmt::format("survival rule: idle + interval (one probe lost: the next comes one interval later) + timer lateness + round trip + margin < {}",
                    secs(b.timeout)));
    say(fmt::format("  {} + {} + {} (idle timer {}, interval timer {}) + {} + {} = {} < {}", secs(k.idle), secs(k.interval),
                    secs(late_total(k.idle)), secs(m.lateness(k.idle, true)), secs(r.late_interval), secs(r.rtt),
                    secs(req.margin), secs(k.idle + k.interval + late_total(k.idle) + r.rtt + req.margin), secs(b.timeout)));
    if (survives(k.idle + kSecond, b.timeout) == false && k.idle + kSecond <= m.idle.hi)
      say(fmt::format("  idle {} would break it ({} >= {})", secs(k.idle + kSecond),
                      secs(k.idle + kSecond + k.interval + late_total(k.idle + kSecond) + r.rtt + req.margin), secs(b.timeout)));
  } else {
    k.idle = std::clamp(os.defaults.keepalive_idle, m.idle.lo, m.idle.hi);
    say(fmt::format("no box on the path expires idle flows that keepalive refreshes: {}'s default idle {} keeps the flow; keepalive only detects dead peers",
                    os.name, secs(k.idle)));
  }

  // (b) dead-peer detection.
  if (req.detect_within) {
    Time d = *req.detect_within;
    say(fmt::format("detection rule ({}): {} probes after idle, so detection = idle + {} x interval (+ lateness) <= {}", os.name,
                    m.probes(k.count) == k.count ? "count" : "count+1", m.probes(k.count) == k.count ? "count" : "(count+1)",
                    secs(d)));
    if (m.detection(k) > d && !m.count_fixed) {
      // Fewer probes first (keeps idle, hence traffic, as it is).
      int best = -1;
      for (int cnt = k.count; cnt >= min_probes_count; --cnt)
        if (m.detection(KeepaliveSetting{k.idle, k.interval, cnt}) <= d) {
          best = cnt;
          break;
        }
      k.count = best > 0 ? best : min_probes_count;
    }
    if (m.detection(k) > d) {
      Time idle = k.idle;
      while (idle > m.idle.lo && m.detection(KeepaliveSetting{idle, k.interval, k.count}) > d) idle -= kSecond;
      k.idle = idle;
    }
    if (m.detection(k) > d) {
      r.verdict = TuneResult::Verdict::kDetectTooTight;
      say(fmt::format("{} cannot detect a dead peer within {}: the least it can do (idle {}, interval {}, {}{}) takes {}; "
                      "that setting is shown as the best achievable",
                      os.name, secs(d), secs(k.idle), secs(k.interval), n_probes(m.probes(k.count)),
                      m.count_fixed ? fmt::format(", a count fixed at {}", k.count) : std::string(), secs(m.detection(k))));
    } else if (limit && k.idle < *limit) {
      say(fmt::format("  detection binds before survival: idle lowered to {}", secs(k.idle)));
    }
  }
  r.setting = k;
  r.late_idle = m.lateness(k.idle, true);
  r.detection = m.detection(k);
  r.probes_before_give_up = m.probes(k.count);
  say(fmt::format("dead peer noticed at most {} after its last segment ({}; count {}{})", secs(r.detection),
                  n_probes(r.probes_before_give_up), k.count, m.count_fixed ? ", fixed by the OS" : ""));

  // (c) traffic: one probe and one answer per cycle while the peer is alive.
  r.cycle = k.idle + r.rtt;
  uint64_t cyc = static_cast<uint64_t>(r.cycle.count_ns());
  r.probes_per_hour_x100 = static_cast<uint64_t>(u128{360000} * 1'000'000'000u / cyc);
  uint64_t bytes = 2 * kHeaderBytes + os.keepalive.probe_payload;
  r.bytes_per_day = static_cast<uint64_t>(u128{86400} * 1'000'000'000u * bytes / cyc);
  say(fmt::format("traffic: idle as large as allowed; one probe ({} bytes) and its answer ({} bytes) every {} (idle + round trip): "
                  "{} probes per hour, {} bytes per day per connection (IP level, no TCP options)",
                  kHeaderBytes + os.keepalive.probe_payload, kHeaderBytes, secs(r.cycle), rate_x100(r.probes_per_hour_x100),
                  r.bytes_per_day));

  // The recommendation in the OS's own words.
  for (const SysctlSpec& sp : os.sysctls) {
    int64_t v = 0;
    auto in_unit = [&](Time t) { return t.count_ns() / sp.unit_ns; };
    switch (sp.field) {
      case SysctlField::kKeepaliveIdle: v = in_unit(k.idle); break;
      case SysctlField::kKeepaliveInterval: v = in_unit(k.interval); break;
      case SysctlField::kKeepaliveProbes: v = k.count; break;
      case SysctlField::kKeepaliveAbort: v = in_unit(k.interval * k.count); break;
      default: continue;
    }
    std::string cmd;
    if (os.name == "linux") cmd = fmt::format("sysctl -w {}={}", sp.name, v);
    else if (os.name == "aix") cmd = fmt::format("no -p -o {}={}", sp.name, v);
    else if (os.name == "windows")
      cmd = fmt::format("reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v {} /t REG_DWORD /d {}", sp.name, v);
    else if (os.name == "solaris")
      cmd = sp.name.starts_with("_") ? fmt::format("ipadm set-prop -p {}={} tcp", sp.name, v)
                                     : fmt::format("ndd -set /dev/tcp {} {}", sp.name, v);
    else cmd = fmt::format("sysctl {}={}", sp.name, v);
    std::string what = fmt::format("{} {}", v, sp.unit);
    if (sp.unit == "count")
      what = m.probes(static_cast<int>(v)) == v ? n_probes(v)
                                                : fmt::format("{} ({} sends {})", v, os.name, n_probes(m.probes(static_cast<int>(v))));
    r.sysctl_lines.push_back(fmt::format("{:<64} # {}", cmd, what));
  }
  if (m.count_fixed) r.sysctl_lines.push_back(fmt::format("# the probe count is fixed at {} on {}", k.count, os.name));
  if (os.keepalive.give_up == KeepaliveGiveUp::kAbortInterval)
    r.sysctl_lines.push_back("# system-wide, illumos spaces probes by the RTO (doubling, up to 60 s), not by a fixed interval: prefer the socket options");
  if (os.name == "windows") r.sysctl_lines.push_back("# registry values take effect after a reboot");

  if (os.socket_options.empty()) {
    r.setsockopt_lines.push_back(fmt::format("/* none: {} */", os.no_option_hint));
  } else if (os.socket_options.front().os_name.starts_with("SIO_KEEPALIVE_VALS")) {
    r.setsockopt_lines.push_back(fmt::format("struct tcp_keepalive ka = {{ .onoff = 1, .keepalivetime = {}, .keepaliveinterval = {} }};  /* ms */",
                                             k.idle.count_ms(), k.interval.count_ms()));
    r.setsockopt_lines.push_back("DWORD returned; WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof ka, NULL, 0, &returned, NULL, NULL);");
  } else {
    r.setsockopt_lines.push_back("int on = 1; setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);");
    for (const SocketOptionSpec& o : os.socket_options) {
      if (&o != primary_socket_option(os, o.option)) continue;  // another spelling
      int64_t v = 0;
      std::string var;
      switch (o.option) {
        case SocketOption::kIdle: v = k.idle.count_ns() / o.unit_ns; var = "idle"; break;
        case SocketOption::kInterval: v = k.interval.count_ns() / o.unit_ns; var = "intvl"; break;
        case SocketOption::kCount:
          if (m.count_fixed) continue;
          v = k.count; var = "cnt"; break;
        case SocketOption::kUserTimeout:
        case SocketOption::kAbort: continue;
      }
      bool unverified = o.source.find("UNVERIFIED") != std::string_view::npos;
      r.setsockopt_lines.push_back(fmt::format("int {} = {}; setsockopt(fd, IPPROTO_TCP, {}, &{}, sizeof {});  /* {}{} */", var, v,
                                               o.os_name, var, var, o.unit, unverified ? ", UNVERIFIED" : ""));
    }
  }

  // Confirmation with the real simulator.
  if (req.confirm) {
    Time cyc_len = k.idle + r.late_idle + r.rtt;
    Time dur = c.open_at + kSecond + cyc_len * 3 + (k.interval + r.late_interval) * (r.probes_before_give_up + 2) +
               (r.binding ? r.boxes[*r.binding].timeout : Time()) + Time::s(60);
    TuneRun rec = simulate_setting(s, conn, req.side, k, dur, true);
    r.runs.push_back(rec);
    if (r.binding && rec.survived) {
      // The nearest failing neighbour: bisect idle between the recommendation
      // (survives) and the box timeout (the box must expire before a probe).
      Time timeout = r.boxes[*r.binding].timeout;
      Time lo = k.idle, hi = std::max(ceil_s(timeout), k.idle + kSecond);
      auto at_idle = [&](Time idle) {
        KeepaliveSetting n = k;
        n.idle = idle;
        return simulate_setting(s, conn, req.side, n, dur + (idle - k.idle), true);
      };
      TuneRun fail_run = at_idle(hi);
      std::optional<TuneRun> survive_run;
      if (!fail_run.survived) {
        while (hi - lo > kSecond) {
          Time mid = lo + floor_s((hi - lo) / 2);
          TuneRun t = at_idle(mid);
          if (t.survived) {
            lo = mid;
            survive_run = t;
          } else {
            hi = mid;
            fail_run = t;
          }
        }
        if (survive_run) r.runs.push_back(*survive_run);
      }
      r.runs.push_back(fail_run);
    }
    r.runs.push_back(simulate_dead_peer(s, conn, req.side, k, r.detection));
  }
  return r;
}

// ------------------------------------------------------------- the report

std::string format_tune(const Scenario& s, const TuneRequest& req, const TuneResult& r) {
  std::string o;
  auto line = [&](const std::string& t) { o += t + "\n"; };
  line(fmt::format("# kasim tune: {} connection '{}', tuning the {} side ({})", s.name, req.connection,
                   req.side == Side::kClient ? "client" : "server", r.os));
  line("## reasoning");
  for (const std::string& l : r.reasoning) line(l);
  const KeepaliveSetting& k = r.setting;
  if (r.verdict == TuneResult::Verdict::kKeepaliveUseless) {
    line("## result: keepalive cannot keep this connection");
    line(fmt::format("send application data (a heartbeat of at least 1 byte) from the {} at least every {}", req.side == Side::kClient ? "client" : "server",
                     format_duration(r.heartbeat)));
  } else {
    line(fmt::format("## result{}: idle {}, interval {}, count {}", r.verdict == TuneResult::Verdict::kDetectTooTight ? " (best achievable; the detection bound cannot be met)" : "",
                     format_duration(k.idle), format_duration(k.interval), k.count));
    line(fmt::format("probes per hour per connection: {}; bytes per day per connection: {}; dead peer noticed within {}",
                     rate_x100(r.probes_per_hour_x100), r.bytes_per_day, format_duration(r.detection)));
    line("### system-wide");
    for (const std::string& l : r.sysctl_lines) line(l);
    line("### per socket");
    for (const std::string& l : r.setsockopt_lines) line(l);
  }
  if (!r.runs.empty()) {
    line("## confirmation (the simulator; the connection alone on its path, 100 bytes at open + 1 s, then idle; "
         "the other side's keepalive off; one steady-state probe dropped on the first link)");
    for (const TuneRun& run : r.runs) {
      std::string what;
      if (run.heartbeat > Time()) what = fmt::format("heartbeat every {}", format_duration(run.heartbeat));
      else if (run.dead_peer)
        what = fmt::format("dead peer, idle {} interval {} count {}", format_duration(run.setting.idle),
                           format_duration(run.setting.interval), run.setting.count);
      else
        what = fmt::format("idle {} interval {} count {}", format_duration(run.setting.idle), format_duration(run.setting.interval),
                           run.setting.count);
      std::string verdict = run.dead_peer
                                ? (run.detected_after.is_never() ? "NOT DETECTED"
                                                                  : fmt::format("detected after {}", format_duration(run.detected_after)))
                                : (run.survived ? "SURVIVES" : "FAILS");
      line(fmt::format("{:<44} {:<16} {}{}; {}", what, verdict, n_probes(run.probes, "keepalive probe"),
                       run.lost_probe_at.is_never() ? std::string() : fmt::format(" (the one at {} lost)", format_seconds_us(run.lost_probe_at)),
                       run.what));
    }
  }
  return o;
}

}  // namespace kasim
