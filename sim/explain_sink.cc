#include "kasim/explain_sink.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/args.h>
#include <fmt/format.h>

#include "kasim/explain_wording.h"
#include "kasim/firewall.h"
#include "kasim/process_kill.h"
#include "kasim/scenario.h"
#include "kasim/topology.h"

namespace kasim {

Time timer_wheel_granule(Time delay, int hz) {
  if (hz <= 0) return Time();
  uint64_t d = static_cast<uint64_t>(delay.count_ns() / (1'000'000'000 / hz));
  int level = 0;
  while (level < 8 && d >= (uint64_t{63} << (3 * level))) ++level;
  return Time::ns(1'000'000'000 / hz) * (int64_t{1} << (3 * level));
}

namespace {

constexpr size_t kWrap = 100;  // columns, counted in characters (UTF-8 aware)
constexpr size_t kTimeWidth = 14;

// "7200 s (2h)", "6.876747 s", "55 s": exact to the microsecond.
std::string secs(Time t) {
  std::string s = format_seconds_us(t);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  s += " s";
  if (t.count_ns() % 1'000'000'000 == 0 && t >= Time::s(60)) s += " (" + format_duration(t) + ")";
  return s;
}

// The same to the nanosecond, for values with sub-microsecond parts that matter (a tick of 500.00581 ms).
std::string secs_exact(Time t) {
  std::string s = fmt::format("{}.{:09}", t.count_ns() / 1'000'000'000, t.count_ns() % 1'000'000'000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Word-wraps `text` to kWrap columns; continuation lines are indented to `indent`.
std::string wrap(const std::string& first, const std::string& text, size_t indent) {
  std::string out = first;
  size_t col = display_width(first);
  size_t i = 0;
  bool line_start = true;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    size_t w = display_width(word);
    if (!line_start && col + 1 + w > kWrap) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      line_start = true;
    }
    if (!line_start) {
      out += ' ';
      ++col;
    }
    out += word;
    col += w;
    line_start = false;
    i = j + 1;
  }
  return out;
}

struct Setting {
  Time value;
  int count = 0;
  std::string name;  // e.g. "net.ipv4.tcp_keepalive_time (the default)"
};

struct SideInfo {
  size_t host = 0;
  const OsProfile* prof = nullptr;
  std::string name, peer;
  bool keepalive = false;
  std::string keepalive_why;      // "" (SO_KEEPALIVE) or why it runs without it
  Setting idle, intvl, count;
  Setting abort;                  // time-limited give-up (KeepaliveGiveUp::kAbortInterval)
  Setting retries, r2;            // data retransmission limits (count, illumos R2)
  bool rto_spacing = false;       // probes spaced by the RTO (ProbeSpacing::kRtoBackoff, no fixed interval)
  int probes = 0;                 // probes sent before giving up (0: a time limit decides)
  Time total;                     // give-up bound after the last segment received, by the OS's rule
  Time cap;                       // the longest gap between two probes
  Time user_timeout;
  int hz = 0;                     // Linux timer wheel HZ; 0 ideal (only for kLinuxWheel)
  TimerModel timer = TimerModel::kExact;
  Time tick;                      // kSlowtimo: the nominal tick (500 ms)
  Time tick_period;               // kSlowtimo: this host's tick (tick_period, default the nominal)
  std::string os;                 // profile title's first word: "Linux"
  std::string idle_option, idle_sysctl;  // TCP_KEEPIDLE, net.ipv4.tcp_keepalive_time
  Time last_rx = Time::never();   // last segment received that restarts the idle time
  std::vector<Time> rx;           // all of those, in time order (for "before it died")
  uint32_t last_in_seq = 0;       // seq of the last segment that arrived
  uint32_t last_in_len = 0;       // and its payload length
  uint32_t rcv_nxt = 0;           // next seq expected: from segments received and ACKs sent
  bool rcv_nxt_known = false;
  Time last_probe = Time::never();
  int64_t retransmissions = 0;    // data retransmissions sent (the latest number)
  bool gave_up_told = false;      // a give-up RST line was written (keepalive)
  bool retransmit_gave_up_told = false;  // the same for retransmission
};

struct FwView {  // what one middlebox did to each connection, from its records and expiries
  size_t node = 0;
  const FirewallConfig* cfg = nullptr;
  std::vector<uint8_t> live;      // per connection: it holds an entry (created, not yet expired or flushed)
  std::vector<Time> last_pass;    // per connection: last packet it passed
  std::vector<Time> longest_gap;  // per connection: longest time between passed packets
  std::vector<Time> gap_from;
};

struct Expiry {
  size_t fw_node;
  Time at, timeout, last;
  FlowState state;
  ExpiryCause cause;
  TimeoutRule rule;
};

struct NoState {
  Time t;
  size_t fw_node;
  size_t sender;  // host node that sent the packet
  NoteKind why;
  bool reset;
};

struct ConnInfo {
  std::vector<size_t> route;
  Time rtt;
  SideInfo side[2];
  std::vector<Expiry> expiries;
  std::vector<NoState> no_state;  // the first packet without state after each expiry, per box
};

struct Line {
  Time t;
  std::string node;
  std::string text;
  std::string signature;  // equal signatures = the same kind of event (for shortening); empty: unique
  // An ESTABLISHED entry forgotten silently: who still thinks the connection
  // open is known only from the outcomes, so that sentence is added at end().
  int open_tail_conn = -1;
};

}  // namespace

struct ExplainSink::Impl {
  std::FILE* out;
  const Scenario* sc = nullptr;
  std::vector<ConnInfo> conns;
  std::vector<FwView> fws;
  std::vector<const FaultSpec*> faults;  // sorted by time
  size_t next_fault = 0;
  std::vector<Line> lines;
  std::vector<ConnectionOutcome> outcomes;
  std::vector<FleetOutcome> fleets;

  explicit Impl(std::FILE* o) : out(o) {}

  const ExplainWording& wording(size_t host) const {
    return explain_wording(host < sc->hosts.size() ? sc->hosts[host].os->name : std::string_view("linux"));
  }
  std::string node_name(size_t n) const { return std::string(sc->node_name(n)); }
  bool is_host(size_t n) const { return n < sc->hosts.size(); }
  // "server (10.0.1.1:23)", or the bare address if no host has it.
  std::string endpoint_name(Ipv4 a, uint16_t port) const {
    for (const HostSpec& h : sc->hosts)
      if (h.address == a) return fmt::format("{} ({}:{})", h.name, format_ipv4(a), port);
    return fmt::format("{}:{}", format_ipv4(a), port);
  }
  // Which side of connection c the host node n is, or -1.
  int side_of(uint32_t c, size_t n) const {
    const ConnectionSpec& cs = sc->connections[c];
    if (n == cs.client) return 0;
    if (n == cs.server) return 1;
    return -1;
  }

  void add(Time t, size_t node, std::string text, std::string signature = "") {
    lines.push_back(Line{t, node_name(node), std::move(text), std::move(signature)});
  }

  // ------------------------------------------------------------ setup

  Setting sysctl_setting(const HostSpec& h, SysctlField field, Time value, int count) const {
    Setting s{value, count, ""};
    for (const SysctlSpec& spec : h.os->sysctls) {
      if (spec.field != field) continue;
      s.name = std::string(spec.name);
      if (spec.unit_ns > 0 && spec.unit != "s")
        s.name += fmt::format(" ({} {})", value.count_ns() / spec.unit_ns, spec.unit);
      const HostTunables& d = h.os->defaults;
      const HostTunables& t = h.tunables;
      bool is_default = true;
      switch (field) {
        case SysctlField::kKeepaliveIdle: is_default = d.keepalive_idle == t.keepalive_idle; break;
        case SysctlField::kKeepaliveInterval: is_default = d.keepalive_interval == t.keepalive_interval; break;
        case SysctlField::kKeepaliveProbes: is_default = d.keepalive_probes == t.keepalive_probes; break;
        case SysctlField::kRetries2: is_default = d.retries2 == t.retries2; break;
        case SysctlField::kKeepaliveAbort: is_default = d.keepalive_abort == t.keepalive_abort; break;
        case SysctlField::kRetransmitAbort: is_default = d.retransmit_abort == t.retransmit_abort; break;
        case SysctlField::kAlwaysKeepalive: is_default = d.always_keepalive == t.always_keepalive; break;
        case SysctlField::kOrphanRetries: is_default = d.orphan_retries == t.orphan_retries; break;
        default: break;
      }
      s.name += is_default ? ", the default" : fmt::format(", set on {}", h.name);
      return s;
    }
    s.name = "the OS default";
    return s;
  }

  // The probe count (or retransmission limit) where the OS has no tunable: the wording says where it comes from.
  Setting fixed_setting(const HostSpec& h, SysctlField field, int count, std::string_view fixed) const {
    Setting s = sysctl_setting(h, field, Time(), count);
    if (s.name == "the OS default" && !fixed.empty()) s.name = std::string(fixed);
    return s;
  }

  // A duration set by `spec` (nullptr: the OS's primary option for `opt`).
  Setting option_setting(const HostSpec& h, SocketOption opt, const SocketOptionSpec* spec, Time value) const {
    if (spec == nullptr) spec = primary_socket_option(*h.os, opt);
    Setting s{value, 0, "a socket option"};
    if (spec == nullptr) return s;
    s.name = std::string(spec->os_name);
    if (spec->unit_ns > 0 && spec->unit != "s") s.name += fmt::format(" ({} {})", value.count_ns() / spec->unit_ns, spec->unit);
    s.name += ", set by the application";
    return s;
  }
  Setting count_setting(const HostSpec& h, int count) const {
    const SocketOptionSpec* spec = primary_socket_option(*h.os, SocketOption::kCount);
    return Setting{Time(), count, spec ? fmt::format("{}, set by the application", spec->os_name) : "a socket option"};
  }

  // What one end's profile, tunables and keepalive block make of its keepalive, by its OS's rules.
  void setup_side(SideInfo& si, const ConnectionSpec& cs, int i) const {
    si.host = i == 0 ? cs.client : cs.server;
    const HostSpec& h = sc->hosts[si.host];
    const OsProfile& os = *h.os;
    const ExplainWording& w = explain_wording(os.name);
    si.prof = &os;
    si.name = h.name;
    si.peer = sc->hosts[i == 0 ? cs.server : cs.client].name;
    si.hz = h.hz >= 0 ? h.hz : os.default_hz;
    si.timer = os.timer;
    si.tick = os.tick;
    si.tick_period = h.tick_period.value_or(os.tick);
    si.os = std::string(os.title.substr(0, os.title.find_first_of(" (")));  // "Linux", "AIX"
    if (const SocketOptionSpec* o = primary_socket_option(os, SocketOption::kIdle)) si.idle_option = std::string(o->os_name);
    for (const SysctlSpec& o : os.sysctls)
      if (o.field == SysctlField::kKeepaliveIdle) si.idle_sysctl = std::string(o.name);
    const KeepaliveSpec& k = cs.keepalive[i];
    si.keepalive = k.given && k.options.enabled;
    // BSD always_keepalive: the keep timer probes every connection, SO_KEEPALIVE or not.
    if (!si.keepalive && os.keepalive.timer_always_runs && h.tunables.always_keepalive) {
      si.keepalive = true;
      Setting a = sysctl_setting(h, SysctlField::kAlwaysKeepalive, Time(), 1);
      std::string name = a.name.substr(0, a.name.find(','));
      si.keepalive_why = fmt::format(" without SO_KEEPALIVE ({} = 1{}: every connection probes)", name,
                                     a.name.substr(name.size()));
    }
    si.idle = k.options.idle > Time() ? option_setting(h, SocketOption::kIdle, k.idle_option, k.options.idle)
                                      : sysctl_setting(h, SysctlField::kKeepaliveIdle, h.tunables.keepalive_idle, 0);
    si.intvl = k.options.interval > Time()
                   ? option_setting(h, SocketOption::kInterval, nullptr, k.options.interval)
                   : sysctl_setting(h, SysctlField::kKeepaliveInterval, h.tunables.keepalive_interval, 0);
    si.count = k.options.count ? count_setting(h, k.options.count)
                               : fixed_setting(h, SysctlField::kKeepaliveProbes, h.tunables.keepalive_probes,
                                               w.fixed_count);
    si.user_timeout = Time::ms(k.options.user_timeout_ms);
    si.retries = fixed_setting(h, SysctlField::kRetries2, h.tunables.retries2, w.fixed_retries);
    si.r2 = sysctl_setting(h, SysctlField::kRetransmitAbort, h.tunables.retransmit_abort, 0);
    si.cap = si.intvl.value;
    switch (os.keepalive.give_up) {
      case KeepaliveGiveUp::kProbeCount:
      case KeepaliveGiveUp::kIdlePlusCount:
        si.probes = si.count.count;
        si.total = si.idle.value + si.intvl.value * si.count.count;
        break;
      case KeepaliveGiveUp::kSlowtimoCountPlusOne:
        si.probes = si.count.count + 1;
        si.total = si.idle.value + si.intvl.value * si.probes;
        break;
      case KeepaliveGiveUp::kAbortInterval: {
        // illumos tcp_opt_data.c: TCP_KEEPCNT with TCP_KEEPINTVL sets the abort interval to cnt * intvl;
        // TCP_KEEPCNT alone spaces the probes abort / cnt apart (within the RTO bounds).
        si.probes = 0;
        bool opt_count = k.options.count > 0, opt_intvl = k.options.interval > Time();
        if (opt_count && opt_intvl) {
          si.abort = Setting{si.intvl.value * si.count.count, 0, "TCP_KEEPCNT × TCP_KEEPINTVL, set by the application"};
        } else if (k.options.abort) {
          si.abort = option_setting(h, SocketOption::kAbort, nullptr, *k.options.abort);
        } else {
          si.abort = sysctl_setting(h, SysctlField::kKeepaliveAbort, h.tunables.keepalive_abort, 0);
        }
        if (!opt_intvl && opt_count) {
          si.intvl = Setting{std::clamp(si.abort.value / k.options.count, os.rto_min, os.rto_max), 0,
                             "the abort interval / TCP_KEEPCNT"};
        }
        si.rto_spacing = os.keepalive.spacing == ProbeSpacing::kRtoBackoff && !opt_intvl && !opt_count;
        si.cap = si.rto_spacing ? std::min(si.idle.value - Time::ms(1), os.rto_max) : si.intvl.value;
        si.total = si.idle.value + si.abort.value;
        break;
      }
    }
  }

  // Every value a wording template may use for one end (explain_wording.h lists them).
  using Args = fmt::dynamic_format_arg_store<fmt::format_context>;
  Args args(const SideInfo& si) const {
    Args a;
    const ExplainWording& w = explain_wording(si.prof->name);
    a.push_back(fmt::arg("node", si.name));
    a.push_back(fmt::arg("peer", si.peer));
    a.push_back(fmt::arg("os", si.os));
    a.push_back(fmt::arg("idle", secs(si.idle.value)));
    a.push_back(fmt::arg("idle_setting", si.idle.name));
    a.push_back(fmt::arg("intvl", secs(si.intvl.value)));
    a.push_back(fmt::arg("intvl_setting", si.intvl.name));
    a.push_back(fmt::arg("keepcnt", si.count.count));
    a.push_back(fmt::arg("count_setting", si.count.name));
    a.push_back(fmt::arg("probes", si.probes));
    a.push_back(fmt::arg("cap", secs(si.cap)));
    a.push_back(fmt::arg("spacing", si.rto_spacing ? fmt::format(fmt::runtime(w.backoff_spacing),
                                                                 fmt::arg("cap", secs(si.cap)))
                                                   : fmt::format("keepintvl {} ({})", secs(si.intvl.value),
                                                                 si.intvl.name)));
    a.push_back(fmt::arg("abort", secs(si.abort.value)));
    a.push_back(fmt::arg("abort_setting", si.abort.name));
    a.push_back(fmt::arg("total", secs(si.total)));
    a.push_back(fmt::arg("user_timeout", secs(si.user_timeout)));
    a.push_back(fmt::arg("retries", si.retries.count));
    a.push_back(fmt::arg("retries_setting", si.retries.name));
    a.push_back(fmt::arg("r2", secs(si.r2.value)));
    a.push_back(fmt::arg("r2_setting", si.r2.name));
    a.push_back(fmt::arg("rcv_nxt", si.rcv_nxt));
    return a;
  }
  static std::string say(std::string_view tmpl, const Args& a) { return fmt::vformat(tmpl, a); }
  static std::string plural(int64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  }

  void begin(const Scenario& s) {
    sc = &s;
    Topology topo(s.node_count());
    for (const LinkSpec& l : s.links) topo.add_link(s.node_index(l.a), s.node_index(l.b), l.delay);
    conns.clear();
    conns.resize(s.connections.size());
    for (size_t c = 0; c < s.connections.size(); ++c) {
      const ConnectionSpec& cs = s.connections[c];
      ConnInfo& ci = conns[c];
      if (auto r = topo.shortest_route(cs.client, cs.server)) {
        ci.route = r->nodes;
        ci.rtt = r->delay * 2;
      }
      for (int i = 0; i < 2; ++i) setup_side(ci.side[i], cs, i);
    }
    fws.clear();
    for (size_t m = 0; m < s.middleboxes.size(); ++m) {
      FwView v;
      v.node = s.hosts.size() + m;
      v.cfg = &s.middleboxes[m].firewall;
      v.live.assign(s.connections.size(), 0);
      v.last_pass.assign(s.connections.size(), Time::never());
      v.longest_gap.assign(s.connections.size(), Time());
      v.gap_from.assign(s.connections.size(), Time());
      fws.push_back(std::move(v));
    }
    faults.clear();
    for (const FaultSpec& f : s.faults) faults.push_back(&f);
    std::stable_sort(faults.begin(), faults.end(), [](const FaultSpec* a, const FaultSpec* b) { return a->at < b->at; });
    next_fault = 0;
    lines.clear();
    outcomes.clear();
    header();
  }

  void header() {
    const Scenario& s = *sc;
    fmt::print(out, "# kasim explain: scenario {} ({} simulated, seed {})\n", s.name, format_duration(s.duration),
               s.seed);
    for (size_t c = 0; c < conns.size(); ++c) {
      const ConnInfo& ci = conns[c];
      const ConnectionSpec& cs = s.connections[c];
      std::string path;
      for (size_t i = 0; i < ci.route.size(); ++i) {
        size_t n = ci.route[i];
        if (i) path += " - ";
        path += node_name(n);
        if (is_host(n)) {
          path += fmt::format(" ({} {})", s.hosts[n].os->name, format_ipv4(s.hosts[n].address));
        } else {
          const FirewallConfig& f = s.middleboxes[n - s.hosts.size()].firewall;
          path += fmt::format(" (firewall: forgets a connection idle for {}, then {})", secs(f.established),
                              f.on_no_state == NoStateAction::kDrop ? "drops its packets silently"
                                                                    : "answers its packets with an RST");
        }
      }
      std::string text = fmt::format("Connection {}: {} connects to {} port {}. Path: {}.", cs.name,
                                     s.hosts[cs.client].name, s.hosts[cs.server].name, cs.port, path);
      fmt::print(out, "{}\n", wrap("", text, 2));
      for (int i = 0; i < 2; ++i) {
        const SideInfo& si = ci.side[i];
        std::string ka;
        if (!si.keepalive) {
          ka = fmt::format("{} ({}): keepalive off (SO_KEEPALIVE not set): it sends nothing while idle.",
                           side_name(static_cast<Side>(i)), si.name);
        } else {
          ka = fmt::format("{} ({}): keepalive on{}: keepidle {} ({}); ", side_name(static_cast<Side>(i)), si.name,
                           si.keepalive_why, secs(si.idle.value), si.idle.name);
          ka += say(wording(si.host).settings, args(si));
          if (si.user_timeout > Time()) ka += fmt::format("; TCP_USER_TIMEOUT {}", secs(si.user_timeout));
          ka += "; " + timer_phrase(si) + ".";
        }
        fmt::print(out, "{}\n", wrap("  ", ka, 4));
      }
    }
    fmt::print(out, "\n");
  }

  static std::string timer_phrase(const SideInfo& si) {
    switch (si.timer) {
      case TimerModel::kLinuxWheel:
        return si.hz > 0 ? fmt::format("timers on the kernel's timer wheel at HZ={}", si.hz)
                         : std::string("ideal timers (hz: 0)");
      case TimerModel::kSlowtimo:
        return si.tick_period == si.tick
                   ? fmt::format("timers counted in {} slow-timeout ticks", secs(si.tick))
                   : fmt::format("timers counted in {} slow-timeout ticks, which on this host come every {}",
                                 secs(si.tick), secs_exact(si.tick_period));
      case TimerModel::kExact: return "timers modelled as exact";
    }
    return "";
  }

  // Slow-timeout timers (slowtimo.h): `delay` is counted in n = ceil(delay / tick) nominal ticks and
  // fires on the n-th tick of this host after the arm, i.e. (n-1) to n tick periods later.
  static void slowtimo_window(const SideInfo& si, Time delay, int64_t* n, Time* lo, Time* hi) {
    *n = std::max<int64_t>((delay.count_ns() + si.tick.count_ns() - 1) / si.tick.count_ns(), 1);
    *lo = si.tick_period * (*n - 1);
    *hi = si.tick_period * *n;
  }

  // The most a timer of `delay` can fire off its nominal time on this host.
  static Time timer_slack(const SideInfo& si, Time delay) {
    switch (si.timer) {
      case TimerModel::kLinuxWheel: return timer_wheel_granule(delay, si.hz);
      case TimerModel::kSlowtimo: {
        int64_t n = 0;
        Time lo, hi;
        slowtimo_window(si, delay, &n, &lo, &hi);
        return std::max(hi > delay ? hi - delay : delay - hi, lo > delay ? lo - delay : delay - lo);
      }
      case TimerModel::kExact: return Time();
    }
    return Time();
  }

  // ------------------------------------------------------ time passing

  std::string fault_text(const FaultSpec& f) const {
    const Scenario& s = *sc;
    switch (f.kind) {
      case FaultSpec::Kind::kLinkDown:
        return fmt::format("fault: the link {} - {} goes down; packets sent over it are lost", s.links[f.link].a,
                           s.links[f.link].b);
      case FaultSpec::Kind::kLinkUp:
        return fmt::format("fault repaired: the link {} - {} is up again", s.links[f.link].a, s.links[f.link].b);
      case FaultSpec::Kind::kHostCrash:
        return fmt::format("fault: {} crashes: it stops answering and its connections vanish without a packet",
                           s.hosts[f.node].name);
      case FaultSpec::Kind::kHostReboot:
        return fmt::format("fault: {} reboots: its connections are gone, and it answers their packets with RST",
                           s.hosts[f.node].name);
      case FaultSpec::Kind::kBlockFrom:
        return fmt::format(
            "fault: {}'s input filter starts dropping every packet from {} (like iptables -A INPUT -s {} -j "
            "DROP); a capture on {} still sees them arrive, TCP never does",
            s.hosts[f.node].name, s.hosts[f.peer].name, format_ipv4(s.hosts[f.peer].address), s.hosts[f.node].name);
      case FaultSpec::Kind::kUnblockFrom:
        return fmt::format("fault repaired: {}'s input filter lets packets from {} in again", s.hosts[f.node].name,
                           s.hosts[f.peer].name);
      case FaultSpec::Kind::kFlush:
        return fmt::format("fault: {} loses its whole connection table (failover, reboot, rule reload)",
                           s.middleboxes[f.node].name);
      case FaultSpec::Kind::kLinkLoss:
        return fmt::format("fault: the link {} - {} now loses {:.4g}% of its packets", s.links[f.link].a,
                           s.links[f.link].b, static_cast<double>(f.loss_ppb) / 1e7);
      case FaultSpec::Kind::kHostKill: {
        KillRule rule = kill_rule(*s.hosts[f.node].os);
        std::string os(s.hosts[f.node].os->name);
        std::string how =
            rule.rst_if_unread
                ? fmt::format("{} sends an RST for a socket that still holds unread received data and a FIN "
                              "otherwise",
                              os)
                : fmt::format("{} discards unread received data and sends a FIN either way", os);
        return fmt::format("fault: {}'s processes are killed: the kernel closes each of their sockets as close() "
                           "would; {}{}. {}",
                           s.hosts[f.node].name, how, rule.verified ? "" : " (UNVERIFIED)",
                           f.unread_data ? "The processes had stopped reading, so a socket that received data still "
                                           "holds it"
                                         : "The applications had read everything that arrived");
      }
    }
    return "fault";
  }

  size_t fault_node(const FaultSpec& f) const {
    switch (f.kind) {
      case FaultSpec::Kind::kLinkDown:
      case FaultSpec::Kind::kLinkUp:
      case FaultSpec::Kind::kLinkLoss: return sc->node_index(sc->links[f.link].a);
      case FaultSpec::Kind::kFlush: return sc->hosts.size() + f.node;
      default: return f.node;
    }
  }

  // Narrates the faults that happen before `t` (at `t` too if `inclusive`).
  void advance_to(Time t, bool inclusive_faults) {
    while (next_fault < faults.size() &&
           (faults[next_fault]->at < t || (inclusive_faults && faults[next_fault]->at == t))) {
      const FaultSpec& f = *faults[next_fault++];
      add(f.at, fault_node(f), fault_text(f));
      if (f.kind == FaultSpec::Kind::kFlush) fws[f.node].live.assign(fws[f.node].live.size(), 0);
    }
  }

  // What refreshes box `v`'s timer, when not every packet does ("" if every packet does).
  static std::string refresh_rule(const FirewallConfig& f) {
    std::string what = f.refresh_on == RefreshOn::kAny    ? "every packet"
                       : f.refresh_on == RefreshOn::kData ? "only packets with data (refresh_on: data)"
                                                          : "only new application data (refresh_on: new-data)";
    if (f.refresh_from != Sides::kBoth) what += fmt::format(" from the {} side", sides_name(f.refresh_from));
    return f.refresh_on == RefreshOn::kAny && f.refresh_from == Sides::kBoth ? "" : what;
  }

  static std::string state_words(FlowState st) {
    switch (st) {
      case FlowState::kSyn: return "SYN (embryonic: handshake not complete)";
      case FlowState::kEstablished: return "ESTABLISHED";
      case FlowState::kClosing: return "CLOSING (one FIN seen: half-closed)";
      case FlowState::kTimeWait: return "TIME_WAIT (FINs from both sides)";
      case FlowState::kClosed: return "CLOSED (an RST seen)";
      default: return flow_state_name(st);
    }
  }

  // "ESTABLISHED idle timeout", and why it was shorter than configured.
  static std::string timeout_words(FlowState st, TimeoutRule rule, Time timeout, const FirewallConfig& f) {
    switch (rule) {
      case TimeoutRule::kRetrans:
        return fmt::format("{} idle timeout, cut to {} by the RETRANS rule: {} identical packets went unanswered",
                           state_words(st), secs(timeout), f.max_retrans);
      case TimeoutRule::kPickupCap:
        return fmt::format("{} idle timeout, capped at {}: picked up mid-stream, no reply seen yet",
                           state_words(st), secs(timeout));
      case TimeoutRule::kAdaptive:
        return fmt::format("{} idle timeout, scaled down to {} as its table filled (adaptive timeouts)",
                           state_words(st), secs(timeout));
      case TimeoutRule::kState: break;
    }
    return fmt::format("{} idle timeout", state_words(st));
  }

  // A middlebox forgot an entry: told from the box's own entry (the simulator's ExpiryRecord).
  void expiry(const ExpiryRecord& x) {
    advance_to(x.t, false);
    FwView& v = fws[x.node - sc->hosts.size()];
    uint32_t c = x.conn;
    v.live[c] = 0;
    Time gap = x.t - x.last_seen;
    if (gap > v.longest_gap[c]) {
      v.longest_gap[c] = gap;
      v.gap_from[c] = x.last_seen;
    }
    conns[c].expiries.push_back(Expiry{x.node, x.t, x.timeout, x.last_seen, x.state, x.cause, x.rule});
    const FirewallConfig& f = *v.cfg;
    std::string fw = node_name(x.node);
    std::string name = sc->connections[c].name;
    std::string text;
    if (x.cause == ExpiryCause::kEvicted) {
      text = fmt::format("its table is full ({} entr{}): a new connection takes the place of the entry for {} "
                         "(the least recently active{}, last refreshed at {}) → {} forgets the connection. Nobody "
                         "is told.",
                         f.max_entries, f.max_entries == 1 ? "y" : "ies", name,
                         f.when_full == WhenFull::kEarlyDrop ? " of those whose handshake never completed" : "",
                         format_seconds_us(x.last_seen), fw);
    } else if (x.cause == ExpiryCause::kUnanswered) {
      text = fmt::format("its probes for {} went unanswered ({} probes, {} apart) → {} frees the entry. Nobody is "
                         "told.",
                         name, f.probe_count, secs(f.probe_interval), fw);
    } else {
      std::string rule = refresh_rule(f);
      std::string which = timeout_words(x.state, x.rule, x.timeout, f);
      text = fmt::format("its entry for {} has {} for {} (its {}; last {} at {}) → ", name,
                         rule.empty() ? "seen no packet" : "had no refreshing packet", secs(x.timeout), which,
                         rule.empty() ? "packet" : "refresh", format_seconds_us(x.last_seen));
      bool resets = x.state == FlowState::kEstablished && f.on_idle == IdleAction::kResetBoth;
      if (resets) {
        text += fmt::format("{} sends each end an RST and forgets the connection.", fw);
      } else {
        text += fmt::format("{} forgets the connection. ", fw);
        switch (x.state) {
          case FlowState::kEstablished: text += "Nobody is told"; break;  // + who still thinks it open, at end()
          case FlowState::kSyn: text += "Nobody is told."; break;
          case FlowState::kClosing:
            text += "Nobody is told: one end has closed its half; the other may still send.";
            break;
          case FlowState::kTimeWait:
            text += "Nobody is told: both ends had sent their FIN, so only a late retransmission can still need it.";
            break;
          default: text += "Nobody is told; the connection had already been reset."; break;
        }
      }
    }
    add(x.t, x.node, text);
    if (x.cause == ExpiryCause::kIdle && x.state == FlowState::kEstablished &&
        !(f.on_idle == IdleAction::kResetBoth))
      lines.back().open_tail_conn = static_cast<int>(c);
  }

  // ": both ends still think it is open." or who had already given up at `t`.
  std::string open_tail(uint32_t conn, Time t) const {
    const ConnectionOutcome* o = nullptr;
    for (const ConnectionOutcome& x : outcomes)
      if (x.conn == conn) o = &x;
    bool gone[2] = {false, false};
    if (o != nullptr)
      for (int i = 0; i < 2; ++i) gone[i] = !o->side[i].error_at.is_never() && o->side[i].error_at <= t;
    const ConnInfo& ci = conns[conn];
    if (gone[0] && gone[1]) return ", and both ends had already given up.";
    if (gone[0] || gone[1]) {
      int alive = gone[0] ? 1 : 0;
      return fmt::format(": {} had already given up; {} still thinks it is open.", ci.side[1 - alive].name,
                         ci.side[alive].name);
    }
    return ": both ends still think it is open.";
  }

  // ------------------------------------------------------------ records

  // `limit` is the probe limit the endpoint reported (0 or less: a time limit decides).
  std::string probe_limit(const SideInfo& si, const ExplainWording& w, int64_t limit) const {
    Args a = args(si);
    a.push_back(fmt::arg("count", limit));
    return say(limit <= 0 ? w.time_limit : w.count_limit, a);
  }

  // How the host's timers moved its first probe away from keepidle after the last segment.
  std::string first_probe_rounding(const SideInfo& si, Time elapsed) const {
    if (si.timer == TimerModel::kSlowtimo) {
      int64_t n = 0;
      Time lo, hi;
      slowtimo_window(si, si.idle.value, &n, &lo, &hi);
      return fmt::format(" (counted in {} slow-timeout ticks of {}, and the first tick comes less than one tick "
                         "after the last segment: the timer fires {} to {} after it)",
                         n, secs_exact(si.tick_period), secs(lo), secs(hi));
    }
    if (elapsed <= si.idle.value) return "";
    if (si.timer == TimerModel::kLinuxWheel && si.hz > 0)
      return fmt::format(" (the timer wheel at HZ={} added {})", si.hz, secs(elapsed - si.idle.value));
    return fmt::format(" (+{})", secs(elapsed - si.idle.value));
  }

  std::string explain_origin(const TraceRecord& r) {
    const Segment& g = r.seg;
    int s = side_of(r.conn, r.origin);
    std::string peer = s < 0 ? format_ipv4(g.dst) : conns[r.conn].side[1 - s].name;
    switch (r.why) {
      case NoteKind::kSyn:
        return r.why_a == 0 ? fmt::format("connect() → SYN seq {} from port {} to {}:{}", g.seq, g.sport,
                                          format_ipv4(g.dst), g.dport)
                            : fmt::format("no SYN-ACK yet → SYN retransmission {} (the timeout doubles each time)",
                                          r.why_a);
      case NoteKind::kSynAck:
        return r.why_a == 0 ? fmt::format("a SYN for listening port {} → SYN-ACK seq {}, ack {}", g.sport, g.seq, g.ack)
                            : fmt::format("no ACK for its SYN-ACK yet → SYN-ACK retransmission {}", r.why_a);
      case NoteKind::kHandshakeAck:
        return fmt::format("the SYN-ACK completes the handshake → ACK {}; the connection is ESTABLISHED", g.ack);
      case NoteKind::kData:
        return fmt::format("the application writes {} bytes → data seq {}:{}", r.why_a, g.seq, g.seq + g.len);
      case NoteKind::kDataRetransmit:
        if (s >= 0) conns[r.conn].side[s].retransmissions = r.why_a;
        if (g.len == 0 && g.has(tcp_flag::kFin))
          return fmt::format("no ACK within the retransmission timeout ({}) → retransmission {} of its FIN (seq {})",
                             secs(Time::us(r.why_b)), r.why_a, g.seq);
        return fmt::format("no ACK within the retransmission timeout ({}) → retransmission {} of seq {}:{}",
                           secs(Time::us(r.why_b)), r.why_a, g.seq, g.seq + g.len);
      case NoteKind::kTailLossProbe:
        // why_b: the time since that segment was sent (the probe timeout, as the timer rounded it).
        return fmt::format("the probe timeout ran out with no ACK, {} after the last segment was sent → tail "
                           "loss probe: the last segment again",
                           secs(Time::us(r.why_b)));
      case NoteKind::kAck: return fmt::format("acknowledges everything up to {} → ACK", g.ack);
      case NoteKind::kAckOfProbe: {
        const SideInfo& si = conns[r.conn].side[s < 0 ? 0 : s];
        Args a = args(si);
        a.push_back(fmt::arg("probe_seq", si.last_in_seq));
        // A zero-byte probe (seq rcv_nxt-1) fails RFC 9293's acceptability test; a one-byte probe of old data
        // is a duplicate (Linux: tcp_data_queue's "retransmit" case; BSD: tcp_input trims it to nothing). Both
        // are answered at once with an ACK of rcv_nxt.
        a.push_back(fmt::arg("probe_verdict",
                             si.last_in_len == 0
                                 ? fmt::format("seq {} is below rcv_nxt {}: not acceptable", si.last_in_seq, g.ack)
                                 : fmt::format("seq {}:{} is {} it already has (rcv_nxt {}): a duplicate",
                                               si.last_in_seq, si.last_in_seq + si.last_in_len,
                                               si.last_in_len == 1 ? "one byte" : "data", g.ack)));
        a.push_back(fmt::arg("expect", g.ack));
        a.push_back(fmt::arg("seq", g.seq));
        a.push_back(fmt::arg("ack", g.ack));
        return say(wording(r.origin).answer, a);
      }
      case NoteKind::kKeepaliveProbe: {
        SideInfo& si = conns[r.conn].side[s < 0 ? 0 : s];
        const ExplainWording& w = wording(r.origin);
        Args a = args(si);
        a.push_back(fmt::arg("limit", probe_limit(si, w, r.why_b)));
        a.push_back(fmt::arg("n", r.why_a));
        a.push_back(fmt::arg("prev", r.why_a - 1));
        a.push_back(fmt::arg("gap", secs(si.last_probe.is_never() ? Time() : r.t - si.last_probe)));
        Time elapsed = si.last_rx.is_never() ? Time() : r.t - si.last_rx;
        a.push_back(fmt::arg("elapsed", secs(elapsed)));
        a.push_back(fmt::arg("rounding", first_probe_rounding(si, elapsed)));
        std::string payload = g.len == 0 ? "no data" : g.len == 1 ? fmt::format("one byte (0x{:02x})", g.fill)
                                                                  : fmt::format("{} bytes", g.len);
        a.push_back(fmt::arg("payload", payload));
        a.push_back(fmt::arg("seq", g.seq));
        a.push_back(fmt::arg("seq_end", g.seq + g.len));
        a.push_back(fmt::arg("ack", g.ack));
        a.push_back(fmt::arg("len", g.len));
        a.push_back(fmt::arg("expect", g.seq + 1));
        a.push_back(fmt::arg("snd_una", g.seq + 1));
        si.last_probe = r.t;
        return say(r.why_a <= 1 ? w.first_probe : w.next_probe, a) + "; " + say(w.probe_shape, a);
      }
      case NoteKind::kKeepaliveGiveUpRst: {
        SideInfo& si = conns[r.conn].side[s < 0 ? 0 : s];
        si.gave_up_told = true;
        Args a = args(si);
        a.push_back(fmt::arg("n_probes", plural(r.why_a, "probe")));
        return say(wording(r.origin).give_up, a);
      }
      case NoteKind::kRetransmitGiveUpRst: {
        SideInfo& si = conns[r.conn].side[s < 0 ? 0 : s];
        si.retransmit_gave_up_told = true;
        Args a = args(si);
        a.push_back(fmt::arg("n_retransmissions", plural(r.why_a, "retransmission")));
        return say(wording(r.origin).retransmit_give_up, a);
      }
      case NoteKind::kFin: return fmt::format("the application closes → FIN seq {}", g.seq);
      case NoteKind::kAbortRst: return "the application aborts (SO_LINGER 0, or the process is killed) → RST";
      case NoteKind::kRstNoSocket:
        return "has no connection for this segment (it forgot it, e.g. after a reboot) → RST";
      case NoteKind::kRstDataAfterClose:
        return fmt::format("new data arrives, but its application has closed the socket and nobody can read it "
                           "→ RST seq {} (the data's ack; RFC 1122 4.2.2.13), and the socket is gone",
                           g.seq);
      case NoteKind::kFirewallRstNoState:
        if (!is_host(r.origin) && fws[r.origin - sc->hosts.size()].cfg->reset_style == ResetStyle::kMirror)
          return fmt::format(
              "sends {} an RST|ACK in the name of {} that mirrors the dropped packet: seq {} = its ack, ack {} = "
              "its seq, and its length, {} (reset_style: mirror, as the firewall in field report 003 did)",
              endpoint_name(g.dst, g.dport), endpoint_name(g.src, g.sport), g.seq, g.ack,
              g.len == 0 ? std::string("no data") : plural(g.len, "byte"));
        return fmt::format(
            "sends {} an RST in the name of {}, seq {} taken from the dropped packet's ack field (RFC 9293 "
            "3.10.7.1), so the receiver will find it acceptable",
            endpoint_name(g.dst, g.dport), endpoint_name(g.src, g.sport), g.seq);
      case NoteKind::kFirewallRstIdle: return "idle timeout → RST to both ends";
      case NoteKind::kDcdProbe:
        return fmt::format("idle timeout → dead connection probe {} of {} to {}, keepalive-shaped, in the other "
                           "end's name",
                           r.why_a, r.why_b, endpoint_name(g.dst, g.dport));
      default: return describe_note(r.why, r.why_a, r.why_b, node_name(r.origin));
    }
  }

  std::string explain_fate(const TraceRecord& r) const {
    const Segment& g = r.seg;
    std::string what = r.why == NoteKind::kKeepaliveProbe ? "the probe"
                       : r.why == NoteKind::kAckOfProbe   ? "the probe's answer"
                       : g.has(tcp_flag::kRst)            ? "the RST"
                                                          : "the packet";
    std::string expired = r.fate_a < 0 ? "it never saw this flow's SYN"
                                       : fmt::format("its entry expired at {}", format_seconds_us(Time::ns(r.fate_a)));
    switch (r.fate) {
      case NoteKind::kDropNoState:
        return fmt::format("has no state for {} ({}) → drops {} silently; {} never gets it",
                           sc->connections[r.conn].name, expired, what, format_ipv4(g.dst));
      case NoteKind::kFirewallRstNoState:
        return fmt::format("has no state for {} ({}) → {} does not get through; on_expiry: reset-sender, so "
                           "it answers the sender with an RST",
                           sc->connections[r.conn].name, expired, what);
      case NoteKind::kDropHostFilter:
        return fmt::format("{} arrives (a capture here sees it), but the input filter drops it before TCP sees it",
                           what);
      case NoteKind::kDropLinkDown: return fmt::format("{} is lost: the link is down", what);
      case NoteKind::kDropLinkLoss: return fmt::format("{} is lost on the link (random loss)", what);
      case NoteKind::kDropHostDown: return fmt::format("{} is lost: the host is down", what);
      case NoteKind::kDropOutOfWindow: return fmt::format("discards {}: not acceptable (outside the window)", what);
      case NoteKind::kDupAckRateLimited: return std::string(wording(r.node).rate_limited);
      case NoteKind::kDropNoConnection: return fmt::format("discards {} silently: no connection", what);
      case NoteKind::kNoRefresh: {
        const FirewallConfig& f = *fws[r.node - sc->hosts.size()].cfg;
        std::string rule = refresh_rule(f);
        return fmt::format("passes {} on without refreshing its idle timer: {}", what,
                           !rule.empty() ? "it counts " + rule
                                         : std::string("the segment lies below the tracked window (window_check: "
                                                       "ignore)"));
      }
      default: return describe_fate(r.fate, r.fate_a);
    }
  }

  void firewall_pass(FwView& v, const TraceRecord& r) {
    uint32_t c = r.conn;
    bool had = v.live[c] != 0;
    Time idle = v.last_pass[c].is_never() ? Time() : r.t - v.last_pass[c];
    if (r.dir != CaptureDir::kForward) return;
    if (!had) {  // the box passed a packet it held no entry for: it created one
      v.live[c] = 1;
      if (r.seg.has(tcp_flag::kSyn) && !r.seg.has(tcp_flag::kAck))
        add(r.t, v.node,
            fmt::format("a SYN creates an entry for {}{}; it must see a packet at least every {} until the "
                        "handshake completes, then every {}",
                        sc->connections[c].name, v.cfg->pickup == Pickup::kStrict ? " (strict pickup: only a SYN may)" : "",
                        secs(v.cfg->syn), secs(v.cfg->established)));
    }
    if (!v.last_pass[c].is_never() && idle > v.longest_gap[c]) {
      v.longest_gap[c] = idle;
      v.gap_from[c] = v.last_pass[c];
    }
    v.last_pass[c] = r.t;
    if (had && r.fate != NoteKind::kNoRefresh &&
        (r.why == NoteKind::kKeepaliveProbe || r.why == NoteKind::kAckOfProbe)) {
      add(r.t, v.node,
          fmt::format("passes {} on; the entry had been idle {} of its {} → refreshed, it would now expire at {}",
                      r.why == NoteKind::kKeepaliveProbe ? "the probe" : "the answer", secs(idle),
                      secs(v.cfg->established), format_seconds_us(r.t + v.cfg->established)),
          fmt::format("fwd:{}:{}", v.node, packet_kind(r.why)));
    }
  }

  void record(const TraceRecord& r) {
    advance_to(r.t, true);
    const Segment& g = r.seg;
    ConnInfo& ci = conns[r.conn];
    int s = side_of(r.conn, r.node);
    bool host = is_host(r.node);

    if (!host) {
      size_t m = r.node - sc->hosts.size();
      if (r.dir == CaptureDir::kForward || r.dir == CaptureDir::kDrop) firewall_pass(fws[m], r);
      if (r.fate == NoteKind::kDropNoState || r.fate == NoteKind::kFirewallRstNoState) {
        // Keep the first one after each of this box's expiries.
        Time since = Time();
        for (const Expiry& e : ci.expiries)
          if (e.fw_node == r.node) since = e.at;
        bool seen = false;
        for (const NoState& n : ci.no_state) seen = seen || (n.fw_node == r.node && n.t >= since);
        if (!seen) ci.no_state.push_back(NoState{r.t, r.node, r.origin, r.why, r.fate == NoteKind::kFirewallRstNoState});
      }
    }
    if (r.dir == CaptureDir::kOut && r.node == r.origin) {
      std::string sig;
      if (r.why == NoteKind::kKeepaliveProbe) sig = fmt::format("probe:{}:{}", r.node, r.why_a);
      if (r.why == NoteKind::kAckOfProbe) sig = fmt::format("answer:{}", r.node);
      add(r.t, r.node, explain_origin(r), sig);
    }
    if (r.fate != NoteKind::kNone) add(r.t, r.node, explain_fate(r));

    if (host && s >= 0) {
      SideInfo& si = ci.side[s];
      // rcv_nxt, as the endpoint has it: the ACK field of what it sends (except AIX-style probes, which
      // acknowledge rcv_nxt-1) and the sequence space of what it accepts.
      if (r.dir == CaptureDir::kOut && g.has(tcp_flag::kAck) && r.why != NoteKind::kKeepaliveProbe) {
        si.rcv_nxt = g.ack;
        si.rcv_nxt_known = true;
      }
      if (r.dir == CaptureDir::kIn) {
        if (g.has(tcp_flag::kRst) && r.fate == NoteKind::kNone) add(r.t, r.node, rst_arrives(si, g));
        si.last_in_seq = g.seq;
        si.last_in_len = g.len;
        if (r.fate == NoteKind::kNone) accept_seq(si, g);
        // What restarts the idle time differs (os_profile.h IdleReference).
        bool restarts = si.prof->keepalive.idle_reference == IdleReference::kAnySegment
                            ? r.fate == NoteKind::kNone || r.fate == NoteKind::kDropOutOfWindow ||
                                  r.fate == NoteKind::kDupAckRateLimited
                            : r.fate == NoteKind::kNone && r.why != NoteKind::kKeepaliveProbe;
        if (restarts) {
          si.last_rx = r.t;
          si.rx.push_back(r.t);
        }
      }
    }
  }

  static void accept_seq(SideInfo& si, const Segment& g) {
    uint32_t end = g.seq + g.len + (g.has(tcp_flag::kSyn) ? 1u : 0u) + (g.has(tcp_flag::kFin) ? 1u : 0u);
    if (g.has(tcp_flag::kSyn)) {
      si.rcv_nxt = end;
      si.rcv_nxt_known = true;
    } else if (si.rcv_nxt_known && static_cast<int32_t>(g.seq - si.rcv_nxt) <= 0 &&
               static_cast<int32_t>(end - si.rcv_nxt) > 0) {
      si.rcv_nxt = end;
    }
  }

  // Whether the host's TCP takes the RST that reached it, and by which rule.
  std::string rst_arrives(const SideInfo& si, const Segment& g) const {
    if (si.rcv_nxt_known && g.seq == si.rcv_nxt)
      return fmt::format("the RST's seq {} is exactly rcv_nxt: accepted → the connection is reset; the application's "
                         "next call fails with ECONNRESET",
                         g.seq);
    const ExplainWording& w = wording(si.host);
    if (si.rcv_nxt_known && si.prof->receive.accept_rst_rcv_nxt_minus_1 && g.seq == si.rcv_nxt - 1 &&
        !w.rst_below_rcv_nxt.empty()) {
      Args a = args(si);
      a.push_back(fmt::arg("seq", g.seq));
      return say(w.rst_below_rcv_nxt, a);
    }
    return fmt::format("an RST with seq {} arrives (rcv_nxt {})", g.seq, si.rcv_nxt);
  }

  // The last segment `si` received that restarted its idle time, before `t` (never if none).
  static Time last_rx_before(const SideInfo& si, Time t) {
    auto it = std::upper_bound(si.rx.begin(), si.rx.end(), t);
    return it == si.rx.begin() ? Time::never() : *(it - 1);
  }

  // ------------------------------------------------------------ summary

  std::string side_result(const ConnectionOutcome& o, int i) const {
    const SideOutcome& so = o.side[i];
    const SideInfo& si = conns[o.conn].side[i];
    std::string who = fmt::format("{} ({})", side_name(static_cast<Side>(i)), si.name);
    if (so.error != SocketError::kNone)
      return fmt::format("{}: {} at {} ({})", who, socket_error_name(so.error), format_seconds_us(so.error_at),
                         so.error_cause);
    if (!so.connected) return who + ": never connected";
    if (o.half_open)
      return fmt::format("{}: still {}, no error: half-open. It learns that the connection is dead only when "
                         "it next sends (or when its own keepalive probes)",
                         who, tcp_state_name(so.state));
    return fmt::format("{}: {}, no error", who, tcp_state_name(so.state));
  }

  std::string keepalive_plan(const SideInfo& si) const {
    if (!si.keepalive) return fmt::format("{} had keepalive off", si.name);
    return fmt::format("{} probes after keepidle {} = {}", si.name, secs(si.idle.value), si.idle.name);
  }

  // The side that timed out (ETIMEDOUT, or WSAENETRESET for Windows keepalive), the earlier if both did.
  static int timed_out_side(const ConnectionOutcome& o) {
    int best = -1;
    for (int i = 0; i < 2; ++i) {
      const SideOutcome& so = o.side[i];
      if (so.error != SocketError::kEtimedout && so.error != SocketError::kWsaEnetreset) continue;
      if (best < 0 || so.error_at < o.side[best].error_at) best = i;
    }
    return best < 0 ? 1 : best;
  }

  // Retransmission gave up on a socket its application had closed: no
  // packet, and no error in the outcome, only the time it happened.
  void tell_orphan_give_up(const ConnectionOutcome& o, int i) {
    const SideOutcome& so = o.side[i];
    SideInfo& si = conns[o.conn].side[i];
    const ExplainWording& w = wording(si.host);
    if (si.retransmissions == 0 || w.orphan_give_up.empty()) return;
    const HostSpec& h = sc->hosts[si.host];
    Args a = args(si);
    a.push_back(fmt::arg("n_retransmissions", plural(si.retransmissions, "retransmission")));
    int retries = h.tunables.orphan_retries;
    a.push_back(fmt::arg("orphan_retries", retries == 0 ? 8 : retries));
    a.push_back(fmt::arg("orphan_setting", sysctl_setting(h, SysctlField::kOrphanRetries, Time(), retries).name));
    std::string text = say(w.orphan_give_up, a);
    auto at = std::upper_bound(lines.begin(), lines.end(), so.orphan_gave_up_at,
                               [](Time t, const Line& l) { return t < l.t; });
    lines.insert(at, Line{so.orphan_gave_up_at, node_name(si.host), std::move(text), ""});
  }

  // An end that gives up without sending anything leaves no packet to narrate (illumos keepalive and
  // retransmission, Linux retransmission): tell it at the moment the outcome says it happened.
  void tell_silent_give_ups() {
    for (const ConnectionOutcome& o : outcomes) {
      for (int i = 0; i < 2; ++i) {
        const SideOutcome& so = o.side[i];
        if (!so.orphan_gave_up_at.is_never()) {
          tell_orphan_give_up(o, i);
          continue;
        }
        if ((so.error != SocketError::kEtimedout && so.error != SocketError::kWsaEnetreset) || so.error_at.is_never())
          continue;
        SideInfo& si = conns[o.conn].side[i];
        const ExplainWording& w = wording(si.host);
        Args a = args(si);
        std::string text;
        if (so.error_cause.find("keepalive") != std::string::npos) {
          if (si.gave_up_told || w.give_up_silent.empty()) continue;
          Time last = last_rx_before(si, so.error_at);
          a.push_back(fmt::arg("elapsed", secs(last.is_never() ? Time() : so.error_at - last)));
          text = say(w.give_up_silent, a);
        } else {
          if (si.retransmit_gave_up_told || si.retransmissions == 0 || w.retransmit_give_up_silent.empty()) continue;
          a.push_back(fmt::arg("n_retransmissions", plural(si.retransmissions, "retransmission")));
          text = say(w.retransmit_give_up_silent, a);
        }
        auto at = std::upper_bound(lines.begin(), lines.end(), so.error_at,
                                   [](Time t, const Line& l) { return t < l.t; });
        lines.insert(at, Line{so.error_at, node_name(si.host), std::move(text), ""});
      }
    }
  }

  // The expiry that killed the connection: on the box the outcome blames
  // (its last expiry by then); without a killer, the first expiry by then.
  // None when something else (a host, a link) is blamed.
  const Expiry* killing_expiry(const ConnectionOutcome& o) const {
    const ConnInfo& ci = conns[o.conn];
    if (o.killer.empty()) {
      for (const Expiry& e : ci.expiries)
        if (o.at.is_never() || e.at <= o.at) return &e;
      return nullptr;
    }
    std::string box = o.killer.substr(0, o.killer.find(" ("));  // "nlb (table full)" -> "nlb"
    const Expiry* found = nullptr;
    for (const Expiry& e : ci.expiries)
      if (node_name(e.fw_node) == box && (o.at.is_never() || e.at <= o.at)) found = &e;
    return found;
  }

  // Why keepalive probes from `si` cannot refresh box `f` ("" if they can).
  std::string probe_blocker(const FirewallConfig& f, const std::string& fw, const SideInfo& si) const {
    const OsProfile& os = *sc->hosts[si.host].os;
    bool empty = os.keepalive.probe_payload == 0;
    if (f.refresh_on == RefreshOn::kNewData)
      return fmt::format("{} counts only new application data (refresh_on: new-data), and a keepalive probe "
                         "carries none (at most one old byte)",
                         fw);
    if (f.refresh_on == RefreshOn::kData && empty)
      return fmt::format("{} counts only packets with data (refresh_on: data), and {}'s {} keepalive probes carry "
                         "none",
                         fw, si.name, si.os);
    if (f.window_check != WindowCheck::kOff && empty)
      return fmt::format("{}'s sequence check (window_check: {}) takes {}'s zero-byte probes (seq snd_una−1) "
                         "for old segments below the window",
                         fw, window_check_name(f.window_check), si.name);
    return "";
  }

  // What would have saved a connection whose entry idled out: traffic more
  // often than the shortest timeout on the path (of the boxes keepalive can
  // refresh) minus what can delay it, by keepalive if the box counts
  // probes, else by the application.
  std::string fix_text(const Expiry& exp, const FirewallConfig& f, const ConnInfo& ci) const {
    std::string fw = node_name(exp.fw_node);
    if (exp.state != FlowState::kEstablished)
      return fmt::format(
          "What would have saved it: {} keeps a {} entry only {}; a packet through it more often than that (a "
          "keepalive probe counts) would have kept the entry, or a longer timeout for that state.",
          fw, flow_state_name(exp.state), secs(exp.timeout));
    const SideInfo* prober = nullptr;
    for (const SideInfo& si : ci.side)
      if (si.keepalive) {
        prober = &si;
        break;
      }
    // A box that counts one side's packets only is refreshed by that side's
    // probes (or its answers to the other side's).
    const SideInfo& target = f.refresh_from == Sides::kClient   ? ci.side[0]
                             : f.refresh_from == Sides::kServer ? ci.side[1]
                             : prober != nullptr                ? *prober
                                                                : ci.side[1];
    std::string blocker = probe_blocker(f, fw, target);
    if (!blocker.empty())
      return fmt::format(
          "What would have saved it: not keepalive: {}. The application must send data more often than every "
          "{} (a heartbeat in its own protocol), or {}'s idle timeout must be longer than its longest silence.",
          blocker, secs(exp.timeout), fw);
    // The path's binding timeout: a box that forgets sooner would kill the
    // connection next if this one were kept alive.
    Time limit = exp.timeout;
    size_t limit_node = exp.fw_node;
    for (size_t n : ci.route) {
      if (is_host(n)) continue;
      const FirewallConfig& g = *fws[n - sc->hosts.size()].cfg;
      if (g.established < limit && probe_blocker(g, node_name(n), target).empty()) {
        limit = g.established;
        limit_node = n;
      }
    }
    Time granule = timer_slack(target, limit);
    Time margin = granule + ci.rtt;
    Time safe = Time::s((limit - margin).count_s());
    std::string fix =
        limit_node == exp.fw_node
            ? fmt::format("What would have saved it: keepalive probes more often than {} forgets: keepidle below "
                          "its {} minus a margin. ",
                          fw, secs(limit))
            : fmt::format("What would have saved it: keepalive probes more often than the shortest idle timeout on "
                          "the path, {}'s {} ({} forgot first to matter, after {}, but {} forgets sooner): keepidle "
                          "below {} minus a margin. ",
                          node_name(limit_node), secs(limit), fw, secs(exp.timeout), node_name(limit_node),
                          secs(limit));
    if (granule > Time())
      fix += fmt::format(fmt::runtime(wording(target.host).timer_note), fmt::arg("idle", secs(limit)),
                         fmt::arg("granule", secs(granule)), fmt::arg("hz", target.hz), fmt::arg("os", target.os));
    else
      fix += fmt::format("{}'s timers are exact here", target.name);
    fix += fmt::format(", and the path adds up to {} (a round trip), so keepidle ≤ {} on {} ({}, or {}){}.",
                       secs(ci.rtt), secs(safe), target.name,
                       target.idle_option.empty() ? "the socket option" : target.idle_option,
                       target.idle_sysctl.empty() ? "the host's keepalive time" : target.idle_sysctl,
                       target.keepalive ? "" : ", with SO_KEEPALIVE turned on");
    if (prober != nullptr && prober != &target) {
      fix += fmt::format(" ({} counts only packets from the {} side: {}'s probes refresh it only through {}'s "
                         "answers.)",
                         fw, sides_name(f.refresh_from), prober->name, target.name);
    } else if (limit_node != exp.fw_node) {
      fix += " Or raise the idle timeouts on the path above the longest silence the application allows.";
    } else if (prober != nullptr) {
      Time gap = prober->idle.value + timer_slack(*prober, prober->idle.value) + ci.rtt;
      fix += fmt::format(" Or raise {}'s idle timeout above {}'s keepidle plus that margin: more than {}.", fw,
                         prober->name, secs(gap));
    } else {
      fix += fmt::format(" Or raise {}'s idle timeout above the longest silence the application allows.", fw);
    }
    return fix;
  }

  void summary(const ConnectionOutcome& o, Time run_end) {
    const ConnInfo& ci = conns[o.conn];
    std::string head = fmt::format("== {}: {}", o.name, fate_name(o.fate));
    if (!o.at.is_never()) head += fmt::format(" at {}", format_seconds_us(o.at));
    if (!o.killer.empty()) head += fmt::format(", caused by {}", o.killer);
    if (o.half_open) head += ", half-open";
    fmt::print(out, "{}\n", head);
    for (int i = 0; i < 2; ++i) fmt::print(out, "{}\n", wrap("  ", side_result(o, i), 4));

    std::vector<std::string> para;
    const Expiry* exp = killing_expiry(o);
    if (exp != nullptr && o.fate != Fate::kAlive && o.fate != Fate::kClosed) {
      std::string fw = node_name(exp->fw_node);
      const FirewallConfig& f = *fws[exp->fw_node - sc->hosts.size()].cfg;
      std::string rule = refresh_rule(f);
      std::string text =
          exp->cause == ExpiryCause::kEvicted
              ? fmt::format("What killed it: {} evicted the connection's entry at {} to make room in its full "
                            "table; the entry had last been refreshed at {}.",
                            fw, format_seconds_us(exp->at), format_seconds_us(exp->last))
          : exp->cause == ExpiryCause::kUnanswered
              ? fmt::format("What killed it: {} freed the connection's entry at {}: an end did not answer its "
                            "dead-connection probes.",
                            fw, format_seconds_us(exp->at))
              : fmt::format("What killed it: {} forgot the connection at {}, {} after the last {} (its {}).",
                            fw, format_seconds_us(exp->at), secs(exp->timeout),
                            rule.empty() ? "packet it passed" : "packet that refreshed it",
                            timeout_words(exp->state, exp->rule, exp->timeout, f));
      if (exp->cause == ExpiryCause::kIdle) {
        std::vector<std::string> plans;
        for (const SideInfo& si : ci.side) plans.push_back(keepalive_plan(si));
        bool filtered = !rule.empty() || f.window_check != WindowCheck::kOff;
        text += fmt::format(" Nothing {} {} in time: {} and {}.", filtered ? "refreshed" : "crossed", fw, plans[0],
                            plans[1]);
      }
      for (const NoState& n : ci.no_state)
        if (n.fw_node == exp->fw_node && n.t >= exp->at) {
          text += fmt::format(" The next packet ({}, from {} at {}) found no state, and {} {}.", packet_kind(n.why),
                              node_name(n.sender), format_seconds_us(n.t), fw,
                              n.reset ? "answered it with an RST" : "dropped it silently");
          break;
        }
      para.push_back(text);
      if (exp->cause == ExpiryCause::kIdle) para.push_back(fix_text(*exp, f, ci));
    } else if (o.fate == Fate::kTimedOut) {
      int s = timed_out_side(o);
      const SideInfo& si = ci.side[s];
      const SideInfo& peer = ci.side[1 - s];
      bool keepalive = o.side[s].error_cause.find("keepalive") != std::string::npos;
      std::string text = fmt::format("What killed it: {} stopped getting answers from {}", si.name, peer.name);
      if (!o.killer.empty()) text += fmt::format(" (the cause: {})", o.killer);
      text += ".";
      for (const FaultSpec* f : faults)
        if (f->at <= o.at) text += fmt::format(" At {}, {}.", format_seconds_us(f->at), fault_text(*f));
      if (keepalive && si.keepalive) {
        Time last = last_rx_before(si, o.at);
        bool any = si.prof->keepalive.idle_reference == IdleReference::kAnySegment;
        text += fmt::format(" {}'s keepalive noticed: {} arrived at {}, and it gave up {} later; ", si.name,
                            any ? "the last segment it received" : "its last acceptable segment",
                            format_seconds_us(last), secs(o.at - last));
        text += say(wording(si.host).detect_bound, args(si));
        text += ".";
        para.push_back(text);
        para.push_back("This is keepalive doing its job: finding a peer that can no longer answer. No keepalive "
                       "setting keeps such a connection alive; " +
                       say(wording(si.host).sooner, args(si)) + ".");
      } else {
        para.push_back(text + " Its retransmissions went unanswered until it gave up.");
      }
    } else if (o.fate == Fate::kAlive) {
      std::string text = "It survived:";
      bool any = false;
      for (size_t n : ci.route) {
        if (is_host(n)) continue;
        const FwView& v = fws[n - sc->hosts.size()];
        Time gap = v.longest_gap[o.conn];
        Time since = v.last_pass[o.conn].is_never() ? Time() : run_end - v.last_pass[o.conn];
        if (since > gap) gap = since;
        const Expiry* forgot = nullptr;
        const Expiry* last = nullptr;
        int times = 0;
        for (const Expiry& e : ci.expiries)
          if (e.fw_node == n) {
            if (forgot == nullptr) forgot = &e;
            last = &e;
            ++times;
          }
        bool passed_after = forgot != nullptr && !v.last_pass[o.conn].is_never() && v.last_pass[o.conn] > forgot->at;
        if (forgot != nullptr && !passed_after) {
          text += fmt::format(" {} forgot it at {} ({} idle timeout) and nothing of it passed afterwards.",
                              node_name(n), format_seconds_us(last->at), flow_state_name(last->state));
        } else if (forgot != nullptr) {
          text += fmt::format(" {} forgot it at {} ({} idle timeout), but a later packet was picked up as a new "
                              "entry (pickup: {}{}) and the connection carried on",
                              node_name(n), format_seconds_us(forgot->at), flow_state_name(forgot->state),
                              pickup_name(v.cfg->pickup), v.cfg->nat.enabled ? ", with a new NAT mapping" : "");
          text += times > 1 ? fmt::format(" ({} forgot it {} times in all, last at {}).", node_name(n), times,
                                          format_seconds_us(last->at))
                            : ".";
        }
        else if (v.cfg->on_idle == IdleAction::kProbe && gap >= v.cfg->established)
          text += fmt::format(" {}'s idle timeout of {} ran out (nothing passed it for {}), but both ends answered "
                              "its dead-connection probes, so it kept the entry.",
                              node_name(n), secs(v.cfg->established), secs(gap));
        else
          text += fmt::format(" the longest time {} went without a packet of this connection was {}, below its "
                              "idle timeout of {} by {}.",
                              node_name(n), secs(gap), secs(v.cfg->established), secs(v.cfg->established - gap));
        any = true;
      }
      if (!any) text += " nothing on its path forgets idle connections.";
      for (const SideInfo& si : ci.side)
        if (si.keepalive && si.last_probe != Time::never())
          text += fmt::format(" {}'s keepalive probes (keepidle {}) kept it from going idle.", si.name,
                              secs(si.idle.value));
      para.push_back(text);
    } else if (!o.killer.empty()) {
      para.push_back(fmt::format("What ended it: {} ({}).", o.killer, fate_name(o.fate)));
    }
    for (const std::string& p : para) fmt::print(out, "{}\n", wrap("  ", p, 2));
  }

  // --------------------------------------------------------------- print

  void print_line(const Line& l) {
    std::string first = fmt::format("{:>{}} {}: ", format_seconds_us(l.t), kTimeWidth, l.node);
    fmt::print(out, "{}\n", wrap(first, l.text, kTimeWidth + 3));
  }

  void print_lines() {
    // Expiries found late (at the next packet) were added after later lines.
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.t < b.t; });
    size_t i = 0;
    while (i < lines.size()) {
      size_t best_p = 0, best_k = 0;
      for (size_t p = 1; p <= 6 && i + p <= lines.size(); ++p) {
        bool ok = true;
        for (size_t j = 0; j < p; ++j) ok = ok && !lines[i + j].signature.empty();
        if (!ok) continue;
        size_t k = 1;
        for (;;) {
          size_t base = i + k * p;
          if (base + p > lines.size()) break;
          bool same = true;
          for (size_t j = 0; j < p && same; ++j) same = lines[base + j].signature == lines[i + j].signature;
          if (!same) break;
          ++k;
        }
        if (k >= 5 && k * p > best_k * best_p) {
          best_p = p;
          best_k = k;
        }
      }
      if (best_k == 0) {
        print_line(lines[i++]);
        continue;
      }
      for (size_t j = 0; j < 2 * best_p; ++j) print_line(lines[i + j]);
      size_t first = i + 2 * best_p, last = i + (best_k - 1) * best_p;  // cycles 3 .. k-1
      Time lo = Time::never(), hi = Time();
      for (size_t c = 2; c < best_k; ++c) {
        Time d = lines[i + c * best_p].t - lines[i + (c - 1) * best_p].t;
        lo = std::min(lo, d);
        hi = std::max(hi, d);
      }
      std::string every = lo == hi ? secs(lo) : fmt::format("{} to {}", secs(lo), secs(hi));
      std::string text = fmt::format("... the same {} repeat{} {} more times, from {} to {}, every {} ...",
                                     best_p == 1 ? "line" : fmt::format("{} lines", best_p),
                                     best_p == 1 ? "s" : "", best_k - 3, format_seconds_us(lines[first].t),
                                     format_seconds_us(lines[last - 1].t), every);
      fmt::print(out, "{}\n", wrap(std::string(kTimeWidth + 1, ' '), text, kTimeWidth + 1));
      for (size_t j = 0; j < best_p; ++j) print_line(lines[last + j]);
      i += best_k * best_p;
    }
  }

  void end(const RunSummary& s) {
    advance_to(s.end, false);
    tell_silent_give_ups();
    for (Line& l : lines)
      if (l.open_tail_conn >= 0) l.text += open_tail(static_cast<uint32_t>(l.open_tail_conn), l.t);
    print_lines();
    fmt::print(out, "\n");
    for (const ConnectionOutcome& o : outcomes) summary(o, s.end);
    for (const FleetOutcome& f : fleets)
      fmt::print(out, "== {}\n  A fleet is told as a summary: run one of its connections alone to see its story.\n",
                 format_fleet_text(f));
    fmt::print(out, "# end of run at {}\n", format_seconds_us(s.end));
  }
};

ExplainSink::ExplainSink(std::FILE* out) : impl_(std::make_unique<Impl>(out)) {}
ExplainSink::~ExplainSink() = default;
void ExplainSink::begin(const Scenario& s) { impl_->begin(s); }
void ExplainSink::record(const TraceRecord& r) { impl_->record(r); }
void ExplainSink::expiry(const ExpiryRecord& e) { impl_->expiry(e); }
void ExplainSink::outcome(const ConnectionOutcome& o) { impl_->outcomes.push_back(o); }
void ExplainSink::fleet(const FleetOutcome& f) { impl_->fleets.push_back(f); }
void ExplainSink::end(const RunSummary& s) { impl_->end(s); }

}  // namespace kasim
