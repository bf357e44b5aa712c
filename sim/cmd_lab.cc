// `kasim lab FILE`: re-enact a scenario on this machine's Linux kernel (in
// network namespaces, by tools/lab/lab.py) and compare the real packets with
// kasim's prediction, side by side.
//
// The C++ side owns the scenario and the prediction; the script owns the real
// world (namespaces, nftables, sockets, tcpdump). They talk through two JSON
// files: the plan (the resolved scenario) and the result (raw captures, what
// the applications saw, the kernel's jiffies clock).
//
// The prediction is made *after* the run, with what the run measured:
//  * the jiffies phase: every namespace shares this kernel's jiffies, so all
//    hosts get the same `jiffies_phase`, read from /proc/timer_list and
//    aligned to the run's time 0 (the client's SYN at open_at). Timer-wheel
//    rounding is then predicted for the real grid, not a random one;
//  * HZ: the kernel's, whatever the scenario says (noted if different);
//  * link delays: the scenario's, plus the overhead the run measured on each
//    link (the median transit of the packets that crossed it). This kernel
//    has no netem: a link with a delay is a userspace relay that holds each
//    frame for the delay, a link without one a bridge (tools/lab/lab.py).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kasim/lab.h"
#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/topology.h"
#include "kasim/trace.h"

namespace kasim::cmd {
namespace {

using nlohmann::json;

struct LabArgs {
  std::string file;
  std::vector<std::string> sets;  // --set KEY=VALUE
  std::string tolerance;
  std::string keep;
  std::string script;
};

// Only the Linux kernel can be re-enacted here, and only what nftables and
// conntrack can express. An empty string: supported.
std::string unsupported(const Scenario& s) {
  for (const HostSpec& h : s.hosts)
    if (h.os->name != "linux")
      return fmt::format("host '{}' runs {}; the lab re-enacts Linux hosts only", h.name, h.os->name);
  for (const ConnectionSpec& c : s.connections)
    if (c.is_fleet())
      return fmt::format("connection '{}' is a fleet of {}; the lab re-enacts single connections", c.name, c.count);
  // The lab's applications send on a fixed schedule (every_ns); a drawn
  // period or bursts would be re-enacted as something else than kasim drew.
  for (const ConnectionSpec& c : s.connections)
    for (const TrafficStep& t : c.traffic)
      if (t.drawn())
        return fmt::format("connection '{}': traffic with a drawn period or bursts cannot be re-enacted (the lab's "
                           "applications send on a fixed schedule); give `every` a fixed duration",
                           c.name);
  for (const MiddleboxSpec& m : s.middleboxes)
    if (std::string why = conntrack_refusal(m.firewall); !why.empty())
      return fmt::format("middlebox '{}': {}", m.name, why);
  for (const LinkSpec& l : s.links)
    if (l.loss_ppb != 0)
      return fmt::format("link {}-{}: random loss cannot be re-enacted (the real run would lose other packets "
                         "than kasim's seeded draws)", l.a, l.b);
  for (const FaultSpec& f : s.faults)
    if (f.kind == FaultSpec::Kind::kHostReboot)
      return fmt::format("host '{}': the reboot fault cannot be re-enacted (crash can)", s.hosts[f.node].name);
    else if (f.kind == FaultSpec::Kind::kHostKill)
      return fmt::format("host '{}': the kill fault is not re-enacted by the lab yet", s.hosts[f.node].name);
    else if (f.kind == FaultSpec::Kind::kLinkLoss)
      return fmt::format("link {}-{}: a loss burst cannot be re-enacted (the real run would lose other packets "
                         "than kasim's seeded draws)",
                         s.links[f.link].a, s.links[f.link].b);
  return {};
}

json keepalive_json(const KeepaliveSpec& k) {
  if (!k.given) return nullptr;
  return json{{"enabled", k.options.enabled},
              {"idle_s", k.options.idle_s},
              {"interval_s", k.options.interval_s},
              {"count", k.options.count},
              {"user_timeout_ms", k.options.user_timeout_ms},
              {"at_ns", k.at ? json(k.at->count_ns()) : json(nullptr)}};
}

json plan_json(const Scenario& s, const std::vector<uint16_t>& client_ports) {
  json nodes = json::array();
  for (const HostSpec& h : s.hosts) {
    json sysctl = json::object();
    for (const SysctlSpec& sp : h.os->sysctls) {
      int64_t v = 0;
      const HostTunables& t = h.tunables;
      switch (sp.field) {
        case SysctlField::kKeepaliveIdle: v = t.keepalive_idle.count_ns(); break;
        case SysctlField::kKeepaliveInterval: v = t.keepalive_interval.count_ns(); break;
        case SysctlField::kKeepaliveProbes: v = t.keepalive_probes; break;
        case SysctlField::kRetries2: v = t.retries2; break;
        case SysctlField::kSynRetries: v = t.syn_retries; break;
        case SysctlField::kSynLinearTimeouts: v = t.syn_linear_timeouts; break;
        case SysctlField::kOrphanRetries: v = t.orphan_retries; break;
        case SysctlField::kSynAckRetries: v = t.synack_retries; break;
        case SysctlField::kInvalidRatelimit: v = t.invalid_ratelimit.count_ns(); break;
        default: continue;  // not a Linux tunable (the lab refuses other OSes)
      }
      sysctl[std::string(sp.name)] = sp.unit_ns ? v / sp.unit_ns : v;
    }
    nodes.push_back({{"name", h.name}, {"kind", "host"}, {"address", format_ipv4(h.address)}, {"sysctl", sysctl}});
  }
  for (const MiddleboxSpec& m : s.middleboxes) {
    const FirewallConfig& f = m.firewall;
    json sysctl = json::object();
    for (const LabSysctl& c : conntrack_sysctls(f)) sysctl["net.netfilter." + c.name] = c.value;
    nodes.push_back({{"name", m.name},
                     {"kind", "firewall"},
                     {"firewall",
                      {{"pickup", f.pickup == Pickup::kLoose ? "loose" : "strict"},
                       {"on_expiry", f.on_no_state == NoStateAction::kResetSender ? "reset-sender" : "drop"},
                       {"sysctl", sysctl}}}});
  }
  Topology topo(s.node_count());
  json links = json::array();
  for (const LinkSpec& l : s.links) {
    topo.add_link(s.node_index(l.a), s.node_index(l.b), l.delay);
    links.push_back({{"a", s.node_index(l.a)}, {"b", s.node_index(l.b)}, {"delay_ns", l.delay.count_ns()}});
  }
  json conns = json::array();
  for (size_t ci = 0; ci < s.connections.size(); ++ci) {
    const ConnectionSpec& c = s.connections[ci];
    Route r = *topo.shortest_route(c.client, c.server);
    json traffic = json::array();
    for (const TrafficStep& t : c.traffic) {
      const char* action = t.action == AppAction::kSend ? "send" : t.action == AppAction::kClose ? "close" : "abort";
      traffic.push_back({{"at_ns", t.at.count_ns()},
                         {"from", side_name(t.from)},
                         {"action", action},
                         {"bytes", t.bytes},
                         {"every_ns", t.every.count_ns()},
                         {"until_ns", t.until.is_never() ? json(nullptr) : json(t.until.count_ns())}});
    }
    conns.push_back({{"name", c.name},
                     {"client", c.client},
                     {"server", c.server},
                     {"port", c.port},
                     {"client_port", client_ports[ci]},
                     {"open_at_ns", c.open_at.count_ns()},
                     {"route", {{"nodes", r.nodes}, {"links", r.links}}},
                     {"keepalive", {{"client", keepalive_json(c.keepalive[0])}, {"server", keepalive_json(c.keepalive[1])}}},
                     {"traffic", traffic}});
  }
  json faults = json::array();
  for (const FaultSpec& f : s.faults) {
    const char* kind = "";
    switch (f.kind) {
      case FaultSpec::Kind::kLinkDown: kind = "link-down"; break;
      case FaultSpec::Kind::kLinkUp: kind = "link-up"; break;
      case FaultSpec::Kind::kHostCrash: kind = "crash"; break;
      case FaultSpec::Kind::kHostReboot: kind = "reboot"; break;
      case FaultSpec::Kind::kBlockFrom: kind = "block-from"; break;
      case FaultSpec::Kind::kUnblockFrom: kind = "unblock-from"; break;
      case FaultSpec::Kind::kFlush: kind = "flush"; break;
      case FaultSpec::Kind::kLinkLoss:
      case FaultSpec::Kind::kHostKill: break;  // refused by unsupported()
    }
    size_t node = f.kind == FaultSpec::Kind::kFlush ? s.hosts.size() + f.node : f.node;
    faults.push_back({{"at_ns", f.at.count_ns()}, {"kind", kind}, {"link", f.link}, {"node", node}, {"peer", f.peer}});
  }
  return json{{"name", s.name}, {"duration_ns", s.duration.count_ns()}, {"nodes", nodes}, {"links", links},
              {"connections", conns}, {"faults", faults}};
}

// Client ports as the simulator picks them (from the seed), so the real
// sockets bind to the same ports and the two traces read alike.
std::vector<uint16_t> predicted_client_ports(const Scenario& s) {
  Scenario quick = s;
  quick.duration = std::min(s.duration, Time::ns(1));
  for (ConnectionSpec& c : quick.connections) c.open_at = Time();
  MemorySink sink;
  Simulator(quick).run(sink);
  std::vector<uint16_t> ports(s.connections.size(), 0);
  for (const TraceRecord& r : sink.records)
    if (r.seg.has(tcp_flag::kSyn) && !r.seg.has(tcp_flag::kAck) && ports[r.conn] == 0) ports[r.conn] = r.seg.sport;
  return ports;
}

// ------------------------------------------------------------ the child

pid_t g_child = 0;
extern "C" void forward_signal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

// Runs the script and waits; signals to kasim go to the script, which
// cleans up and exits. What the script writes to stderr (progress, why it
// cannot run) is copied to `err` as it comes. Returns its exit code (128+N
// if killed by signal N, 127 if it could not be started).
int run_script(const std::vector<std::string>& argv, std::FILE* err) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return 127;
  std::fflush(err);
  struct sigaction fwd {}, old_int {}, old_term {}, old_hup {};
  fwd.sa_handler = forward_signal;
  sigemptyset(&fwd.sa_mask);
  sigaction(SIGINT, &fwd, &old_int);
  sigaction(SIGTERM, &fwd, &old_term);
  sigaction(SIGHUP, &fwd, &old_hup);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "kasim lab: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  g_child = pid;
  close(pipe_fds[1]);
  char buf[4096];
  for (;;) {
    ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::fwrite(buf, 1, static_cast<size_t>(n), err);
    std::fflush(err);
  }
  close(pipe_fds[0]);
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  if (pid < 0) return 127;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::string default_script() {
  if (const char* e = std::getenv("KASIM_LAB_SCRIPT")) return e;
  return KASIM_LAB_SCRIPT;
}

Segment segment_of(const json& p) {
  Segment g;
  parse_ipv4(p.at("src").get<std::string>(), &g.src);
  parse_ipv4(p.at("dst").get<std::string>(), &g.dst);
  g.sport = p.at("sport").get<uint16_t>();
  g.dport = p.at("dport").get<uint16_t>();
  g.seq = p.at("seq").get<uint32_t>();
  g.ack = p.at("ack").get<uint32_t>();
  g.len = p.at("len").get<uint32_t>();
  g.window = p.at("win").get<uint16_t>();
  g.flags = p.at("flags").get<uint8_t>();
  return g;
}

int lab(const LabArgs& a, std::FILE* out, std::FILE* err) {
  std::vector<Override> overrides;
  for (const std::string& text : a.sets) {
    std::string why;
    std::optional<Override> o = parse_override(text, &why);
    if (!o) {
      fmt::print(err, "kasim lab: {}\n", why);
      return 2;
    }
    overrides.push_back(*o);
  }
  LoadResult lr = load_scenario_file(a.file, overrides);
  if (!lr.scenario) {
    fmt::print(err, "{}\n", lr.error.to_string());
    return 2;
  }
  const Scenario& sc = *lr.scenario;
  if (std::string why = unsupported(sc); !why.empty()) {
    fmt::print(err, "kasim lab: {}: {}\n", a.file, why);
    return 2;
  }
  std::optional<Time> tolerance;
  if (!a.tolerance.empty()) {
    std::string why;
    tolerance = parse_duration(a.tolerance, &why);
    if (!tolerance) {
      fmt::print(err, "kasim lab: --tolerance: {}\n", why);
      return 2;
    }
  }

  std::vector<uint16_t> ports = predicted_client_ports(sc);
  char dir_template[] = "/tmp/kasim-lab-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    fmt::print(err, "kasim lab: cannot create a temporary directory: {}\n", std::strerror(errno));
    return 1;
  }
  std::filesystem::path dir(dir_template);
  struct RemoveDir {
    std::filesystem::path p;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } remove_dir{dir};
  std::string plan_path = (dir / "plan.json").string(), result_path = (dir / "result.json").string();
  std::ofstream(plan_path) << plan_json(sc, ports).dump(1);

  std::vector<std::string> argv{"python3", a.script.empty() ? default_script() : a.script, plan_path, result_path};
  if (!a.keep.empty()) argv.insert(argv.end(), {"--keep", a.keep});
  std::fflush(out);
  int rc = run_script(argv, err);
  if (rc == 2) return 2;  // cannot run here; the script said why
  if (rc != 0) {
    if (rc == 127) fmt::print(err, "kasim lab: python3 is needed to run {}\n", argv[1]);
    else if (rc != 130) fmt::print(err, "kasim lab: the lab failed (exit {})\n", rc);
    return rc == 130 ? 130 : 1;
  }

  json res;
  try {
    std::ifstream in(result_path);
    res = json::parse(in);
  } catch (const std::exception& e) {
    fmt::print(err, "kasim lab: cannot read the lab's result: {}\n", e.what());
    return 1;
  }
  const json& k = res.at("kernel");
  int hz = k.at("hz").get<int>();
  Time tick = Time::ns(k.at("tick_ns").get<int64_t>());

  // Anchor: the SYN of the first connection to open, as it left its client.
  size_t first = 0;
  for (size_t c = 1; c < sc.connections.size(); ++c)
    if (sc.connections[c].open_at < sc.connections[first].open_at) first = c;
  const ConnectionSpec& fc = sc.connections[first];
  std::optional<int64_t> syn_ns;
  std::vector<std::pair<int64_t, const json*>> raw;
  for (const json& p : res.at("packets")) raw.emplace_back(p.at("t_ns").get<int64_t>(), &p);
  for (const auto& [t, p] : raw) {
    Segment g = segment_of(*p);
    if (p->at("node").get<size_t>() == fc.client && p->at("out").get<bool>() && g.has(tcp_flag::kSyn) &&
        !g.has(tcp_flag::kAck) && g.sport == ports[first] && (!syn_ns || t < *syn_ns))
      syn_ns = t;
  }
  if (!syn_ns) {
    fmt::print(err, "kasim lab: the client's SYN of '{}' was not captured; nothing to compare\n", fc.name);
    return 1;
  }
  int64_t m0 = *syn_ns - fc.open_at.count_ns();
  std::vector<CapturedPacket> captured;
  for (const auto& [t, p] : raw)
    captured.push_back({Time::ns(t - m0), p->at("node").get<uint32_t>(), p->at("out").get<bool>(), segment_of(*p)});

  // The prediction, with what the run measured.
  Scenario model = sc;
  const int64_t wheel_span = tick.count_ns() << 24;  // all wheel granules divide 2^24 jiffies
  int64_t offset = m0 - k.at("boundary_ns").get<int64_t>() +
                   static_cast<int64_t>(k.at("jiffies_at_boundary").get<uint64_t>() % (uint64_t{1} << 24)) *
                       tick.count_ns();
  offset = ((offset % wheel_span) + wheel_span) % wheel_span;
  std::vector<std::string> notes;
  for (HostSpec& h : model.hosts) {
    int said = h.hz >= 0 ? h.hz : h.os->default_hz;
    if (said != hz) notes.push_back(fmt::format("host {}: the scenario says hz {}, this kernel has {}; predicted with {}",
                                                h.name, said, hz, hz));
    h.hz = hz;
    h.jiffies_phase = Time::ns(offset);
  }
  // Application actions and faults at the times they really ran: a write
  // half a millisecond late can fall in the next jiffy, and every timer it
  // arms moves with it.
  for (ConnectionSpec& c : model.connections) c.traffic.clear();
  for (const json& act : res.at("actions")) {
    Time t = std::max(Time(), Time::ns(act.at("t_ns").get<int64_t>() - m0));
    std::string kind = act.at("kind").get<std::string>();
    if (kind == "step") {
      size_t ci = act.at("conn").get<size_t>();
      TrafficStep st = sc.connections[ci].traffic.at(act.at("step").get<size_t>());
      st.at = t;
      st.every = Time();
      st.until = Time::never();
      model.connections[ci].traffic.push_back(st);
    } else if (kind == "fault") {
      model.faults.at(act.at("index").get<size_t>()).at = t;
    } else if (kind == "options") {
      size_t ci = act.at("conn").get<size_t>();
      model.connections.at(ci).keepalive[act.at("side").get<std::string>() == "client" ? 0 : 1].at = t;
    }
  }
  // Link delays: the scenario's (a relay holds the frames that long; a link
  // without delay is a bridge) plus the overhead measured on this run, the
  // median over every packet that crossed the link.
  std::vector<std::string> delay_notes;
  {
    std::vector<std::vector<Time>> transits = link_transits(sc, classify_captures(sc, ports, captured));
    for (size_t li = 0; li < model.links.size(); ++li) {
      const LinkSpec& l = sc.links[li];
      std::vector<Time>& v = transits[li];
      std::string how = l.delay > Time() ? "relay" : "bridge";
      if (v.empty()) {
        delay_notes.push_back(fmt::format("{}-{} {} ({}; no packet crossed it)", l.a, l.b, format_duration(l.delay), how));
        continue;
      }
      Time med = median_time(v);
      Time worst = *std::max_element(v.begin(), v.end());
      // Whole microseconds: the model's delays read better, and 1 us is far below the tolerance.
      Time predicted = std::max(Time::us(1), Time::us((med.count_ns() + 500) / 1000));
      model.links[li].delay = predicted;
      auto ms = [](Time t) { return fmt::format("{}.{:03d} ms", t.count_ns() / 1'000'000, t.count_ns() / 1000 % 1000); };
      delay_notes.push_back(fmt::format("{}-{} {} + {} measured ({}: median transit {}, max {}, {} packets)", l.a, l.b,
                                        format_duration(l.delay), format_duration(predicted - l.delay), how, ms(med),
                                        ms(worst), v.size()));
    }
  }

  MemorySink sink;
  RunResult rr = Simulator(model).run(sink);
  if (rr.stopped_by_limit) {
    fmt::print(err, "kasim lab: the prediction stopped: {}\n", rr.error);
    return 1;
  }
  std::vector<LabRecord> predicted = predicted_records(model, sink.records);
  // Compared at the scenario's capture points only, as the prediction records.
  std::vector<bool> captured_at(sc.node_count(), sc.capture.empty() && !sc.capture_none);
  for (const std::string& n : sc.capture) captured_at[sc.node_index(n)] = true;
  std::vector<LabRecord> real;
  for (LabRecord& r : classify_captures(model, ports, captured))
    if (r.t >= Time() && r.t < sc.duration && captured_at[r.node]) real.push_back(std::move(r));

  std::vector<LabAppEvent> real_app;
  for (const json& e : res.at("app")) {
    Time t = Time::ns(e.at("t_ns").get<int64_t>() - m0);
    if (t >= sc.duration) continue;
    real_app.push_back({e.at("conn").get<uint32_t>(), e.at("side").get<std::string>() == "client" ? Side::kClient : Side::kServer,
                        e.at("what").get<std::string>(), t});
  }
  // Hosts that crash keep a live kernel behind the drop rules; their
  // applications' view is not comparable with the model's vanished endpoint.
  std::vector<LabAppEvent> pred_app = predicted_app_events(sink.outcomes);
  for (const FaultSpec& f : sc.faults)
    if (f.kind == FaultSpec::Kind::kHostCrash)
      for (auto* evs : {&pred_app, &real_app})
        std::erase_if(*evs, [&](const LabAppEvent& e) {
          const ConnectionSpec& c = sc.connections[e.conn];
          return (e.side == Side::kClient ? c.client : c.server) == f.node;
        });

  // Default tolerance: one jiffy (a timer expiry that runs one tick late, seen
  // on this kernel) plus 1 ms for wakeups of the capture and application
  // processes. Measurements: README, "Checking a prediction on the real kernel".
  Time tol = tolerance.value_or(tick + Time::ms(1));
  LabComparison cmp = compare_traces(model, predicted, real, tol);
  std::vector<LabAppRow> app = compare_app_events(model, pred_app, real_app, tol);

  fmt::print(out, "# kasim lab: scenario {} re-enacted on Linux {} (HZ={}) in namespaces {}-*\n", sc.name,
             res.at("kernel").at("release").get<std::string>(), hz, res.at("namespaces").get<std::string>());
  fmt::print(out, "# time 0 = connection '{}' opened (its SYN left {} at {}); jiffies_phase {}\n", fc.name,
             sc.hosts[fc.client].name, fc.open_at, format_duration(Time::ns(offset)));
  for (const std::string& n : delay_notes) fmt::print(out, "# link {}\n", n);
  if (sc.capture_none)
    fmt::print(out, "# capture: [] records no packets; only the applications are compared\n");
  else if (!sc.capture.empty())
    fmt::print(out, "# packets compared at the scenario's capture points only: {}\n", fmt::join(sc.capture, ", "));
  fmt::print(out, "# application actions and faults predicted at the times they really ran\n");
  for (const std::string& n : notes) fmt::print(out, "# {}\n", n);
  for (const json& n : res.at("notes")) fmt::print(out, "# lab: {}\n", n.get<std::string>());
  fmt::print(out, "{}", format_lab_report(model, predicted, real, cmp, app, tol));
  bool app_ok = std::all_of(app.begin(), app.end(), [](const LabAppRow& r) { return r.ok; });
  return cmp.ok() && app_ok ? 0 : 1;
}

}  // namespace

Registration add_lab(CLI::App& app) {
  auto args = std::make_shared<LabArgs>();
  CLI::App* c = app.add_subcommand(
      "lab", "Re-enact a scenario on this machine's Linux kernel (root, network namespaces) and compare with the prediction");
  c->add_option("file", args->file, "Scenario YAML file (Linux hosts, firewall middleboxes)")->required();
  c->add_option("--tolerance", args->tolerance, "Largest accepted time difference per packet (default: one jiffy + 1ms)");
  c->add_option("--keep", args->keep, "Keep the raw captures (pcap per node) in this directory");
  c->add_option("--set", args->sets,
                "Override a scenario key, KEY=VALUE (repeatable), as for `kasim run`: e.g. shorter times "
                "than the scenario's, to re-enact it in less real time")
      ->allow_extra_args(false);
  c->add_option("--script", args->script, "The lab script (default: tools/lab/lab.py of the source tree, or $KASIM_LAB_SCRIPT)");
  return {c, [args](std::FILE* out, std::FILE* err) { return lab(*args, out, err); }};
}

}  // namespace kasim::cmd
