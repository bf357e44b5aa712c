// The scenario loader: the only code that includes yaml-cpp. It checks each
// mapping's keys before converting values, so an unknown or misspelt key is
// reported with the nearest valid one, and every message carries the
// position of the offending text.
#include "kasim/scenario.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "kasim/input_guard.h"
#include "kasim/middlebox_profiles.h"
#include "kasim/simulator.h"
#include "kasim/topology.h"
#include "loader_support.h"

namespace kasim {

size_t Scenario::node_index(std::string_view n) const {
  for (size_t i = 0; i < hosts.size(); ++i)
    if (hosts[i].name == n) return i;
  for (size_t i = 0; i < middleboxes.size(); ++i)
    if (middleboxes[i].name == n) return hosts.size() + i;
  return SIZE_MAX;
}

std::string_view Scenario::node_name(size_t node) const {
  if (node < hosts.size()) return hosts[node].name;
  return middleboxes[node - hosts.size()].name;
}

// The conversion helpers are shared with the other loader files
// (expect_loader.cc, scenario_overrides.cc) through loader_support.h.
namespace loader {

__extension__ using i128 = __int128;

// The most sends one burst may hold: the simulator keeps the count left in
// an event's spare bits (below 2^30).
constexpr int64_t kMaxBurst = 1'000'000;

size_t node_ref(const Scenario& s, const YAML::Node& n, std::string_view what, bool hosts_only) {
  std::string name = scalar(n, what);
  size_t idx = s.node_index(name);
  std::vector<std::string_view> names;
  for (const auto& h : s.hosts) names.push_back(h.name);
  if (!hosts_only)
    for (const auto& m : s.middleboxes) names.push_back(m.name);
  if (idx == SIZE_MAX)
    fail(n, fmt::format("{} names '{}', which is not a {}{}", what, name, hosts_only ? "host" : "host or middlebox",
                        did_you_mean(name, names)));
  if (hosts_only && idx >= s.hosts.size()) fail(n, fmt::format("{} must be a host, but '{}' is a middlebox", what, name));
  return idx;
}

[[noreturn]] void fail_at(const YAML::Mark& m, std::string message) { throw LoadFailure{m, std::move(message)}; }
[[noreturn]] void fail(const YAML::Node& n, std::string message) { fail_at(n.Mark(), std::move(message)); }

SourceMark mark_of(const YAML::Node& n) { return SourceMark{n.Mark().line + 1, n.Mark().column + 1}; }

const char* type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "nothing";
    default: return "an undefined value";
  }
}

void expect_map(const YAML::Node& n, std::string_view what) {
  if (!n.IsMap()) fail(n, fmt::format("{} must be a mapping (key: value), got {}", what, type_name(n)));
}
void expect_seq(const YAML::Node& n, std::string_view what) {
  if (!n.IsSequence()) fail(n, fmt::format("{} must be a list, got {}", what, type_name(n)));
}

std::string scalar(const YAML::Node& n, std::string_view what) {
  if (!n.IsScalar()) fail(n, fmt::format("{} must be a single value, got {}", what, type_name(n)));
  return n.Scalar();
}

// Rejects keys not in `allowed`, suggesting the nearest allowed one.
void check_keys(const YAML::Node& map, std::string_view what, std::span<const std::string_view> allowed) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: `it->` yields a temporary
    std::string key = scalar(k, fmt::format("a key in {}", what));
    if (!seen.insert(key).second) fail(k, fmt::format("duplicate key '{}' in {}", key, what));
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok)
      fail(k, fmt::format("unknown key '{}' in {}{} (expected one of: {})", key, what, did_you_mean(key, allowed),
                          join_alternatives(allowed)));
  }
}

void require(const YAML::Node& map, std::string_view key, std::string_view what) {
  if (!map[std::string(key)]) fail(map, fmt::format("{} is missing the required key '{}'", what, key));
}

Time duration(const YAML::Node& n, std::string_view what) {
  std::string text = scalar(n, what);
  std::string err;
  auto t = parse_duration(text, &err);
  if (!t) fail(n, fmt::format("{}: {}", what, err));
  return *t;
}

int64_t integer(const YAML::Node& n, std::string_view what, int64_t lo, int64_t hi) {
  std::string text = scalar(n, what);
  size_t i = 0;
  bool neg = !text.empty() && text[0] == '-';
  if (neg) i = 1;
  if (i >= text.size()) fail(n, fmt::format("{} must be a whole number, got '{}'", what, text));
  i128 v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') fail(n, fmt::format("{} must be a whole number, got '{}'", what, text));
    v = v * 10 + (text[i] - '0');
    if (v > (i128)INT64_MAX) fail(n, fmt::format("{} is out of range: '{}' (expected {}..{})", what, text, lo, hi));
  }
  if (neg) v = -v;
  if (v < lo || v > hi) fail(n, fmt::format("{} is out of range: {} (expected {}..{})", what, text, lo, hi));
  return static_cast<int64_t>(v);
}

bool boolean(const YAML::Node& n, std::string_view what) {
  std::string t = scalar(n, what);
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  fail(n, fmt::format("{} must be true or false, got '{}'", what, t));
}

// "0.5%", "0.005" or "1e-3" is not accepted (exact decimals only).
uint32_t probability_ppb(const YAML::Node& n, std::string_view what) {
  std::string t = scalar(n, what);
  bool percent = !t.empty() && t.back() == '%';
  std::string digits = percent ? t.substr(0, t.size() - 1) : t;
  // Reuse the exact decimal parser: a bare number of "seconds" is an exact
  // fixed-point value in nanoseconds, i.e. parts per billion of one.
  std::string err;
  auto v = parse_duration(digits, &err);
  if (digits.empty() || !v || digits.find_first_not_of("0123456789.") != std::string::npos)
    fail(n, fmt::format("{} must be a probability like 0.01 or 1%, got '{}'", what, t));
  int64_t ppb = v->count_ns();
  if (percent) {
    if (ppb % 100 != 0) fail(n, fmt::format("{} '{}' is finer than one part per billion", what, t));
    ppb /= 100;
  }
  if (ppb > 1'000'000'000) fail(n, fmt::format("{} must be at most 1 (100%), got '{}'", what, t));
  return static_cast<uint32_t>(ppb);
}

std::string one_of(const YAML::Node& n, std::string_view what, std::span<const std::string_view> options) {
  std::string v = scalar(n, what);
  for (std::string_view o : options)
    if (o == v) return v;
  fail(n, fmt::format("{} must be {}, got '{}'{}", what, join_alternatives(options), v, did_you_mean(v, options)));
}

// A share as a percentage, exactly: 700000000 ppb -> "70%", 1/3 -> "33.3333333%".
std::string percent_of_ppb(uint64_t ppb) {
  std::string frac = fmt::format("{:07}", ppb % 10'000'000);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return fmt::format("{}{}{}%", ppb / 10'000'000, frac.empty() ? "" : ".", frac);
}

// `kinds` is the accepted spellings ("uniform", "exponential"); `value`
// converts one bound or the mean.
template <typename Value>
Distribution distribution(const YAML::Node& n, std::string_view what, std::span<const std::string_view> kinds,
                          Value value, std::string_view example) {
  if (n.IsScalar()) return Distribution::fixed(value(n));
  if (!n.IsMap() || n.size() != 1)
    fail(n, fmt::format("{} must be {} or a distribution with one key ({}), got {}", what, example,
                        join_alternatives(kinds), type_name(n)));
  check_keys(n, what, kinds);
  if (const YAML::Node u = n["uniform"]) {
    if (!u.IsSequence() || u.size() != 2)
      fail(u, fmt::format("{}: uniform must list its two bounds, e.g. [{}]", what, example));
    int64_t lo = value(u[0]), hi = value(u[1]);
    if (hi < lo) fail(u[1], fmt::format("{}: uniform's upper bound '{}' is below its lower bound '{}'", what,
                                        u[1].Scalar(), u[0].Scalar()));
    return lo == hi ? Distribution::fixed(lo) : Distribution::uniform(lo, hi);
  }
  const YAML::Node e = n["exponential"];
  int64_t mean = value(e);
  if (mean <= 0) fail(e, fmt::format("{}: the exponential's mean must be above 0", what));
  return Distribution::exponential(mean);
}

// A duration, `{ uniform: [lo, hi] }` or `{ exponential: mean }`, in ns.
Distribution duration_distribution(const YAML::Node& n, std::string_view what) {
  static constexpr std::array<std::string_view, 2> kKinds{"uniform", "exponential"};
  return distribution(n, what, kKinds, [&](const YAML::Node& v) { return duration(v, what).count_ns(); }, "1m, 2m");
}

// A whole number in [lo, hi] or `{ uniform: [a, b] }`.
Distribution count_distribution(const YAML::Node& n, std::string_view what, int64_t lo, int64_t hi) {
  static constexpr std::array<std::string_view, 1> kKinds{"uniform"};
  return distribution(n, what, kKinds, [&](const YAML::Node& v) { return integer(v, what, lo, hi); }, "3, 10");
}

}  // namespace loader

namespace {
using namespace loader;

class Loader {
 public:
  Loader(Scenario& s, uint64_t max_memory) : s_(s), max_memory_(max_memory) {}

  void load(const YAML::Node& root) {
    if (!root.IsMap()) fail(root, fmt::format("a scenario must be a mapping of keys (name, duration, hosts, ...), got {}", type_name(root)));
    static constexpr std::array<std::string_view, 12> kTop{"name",  "description", "duration",    "seed",   "hosts",
                                                          "middleboxes", "links", "connections", "faults", "capture",
                                                          "sample_every", "expect"};
    check_keys(root, "the scenario", kTop);
    require(root, "duration", "the scenario");
    require(root, "hosts", "the scenario");
    require(root, "connections", "the scenario");
    s_.name = root["name"] ? scalar(root["name"], "name") : std::string("unnamed");
    if (root["description"]) s_.description = scalar(root["description"], "description");
    s_.duration = duration(root["duration"], "duration");
    if (s_.duration <= Time()) fail(root["duration"], "duration must be longer than 0s");
    if (root["seed"]) s_.seed = static_cast<uint64_t>(integer(root["seed"], "seed", 0, INT64_MAX));
    load_hosts(root["hosts"]);
    if (root["middleboxes"]) load_middleboxes(root["middleboxes"]);
    if (root["links"]) load_links(root["links"]);
    load_connections(root["connections"]);
    if (root["faults"]) load_faults(root["faults"]);
    if (root["capture"]) load_capture(root["capture"]);
    if (root["sample_every"]) {
      s_.sample_every = duration(root["sample_every"], "sample_every");
      if (s_.sample_every <= Time()) fail(root["sample_every"], "sample_every must be longer than 0s");
    }
    if (root["expect"]) {
      s_.expect = parse_expectations(root["expect"], s_);
      for (auto it = root.begin(); it != root.end(); ++it)
        if (it->first.Scalar() == "expect") s_.expect.mark = mark_of(it->first);
    }
  }

 private:
  size_t node_ref(const YAML::Node& n, std::string_view what, bool hosts_only) {
    return loader::node_ref(s_, n, what, hosts_only);
  }

  void check_new_name(const YAML::Node& key, const std::string& name) {
    if (name.empty()) fail(key, "node names cannot be empty");
    if (s_.node_index(name) != SIZE_MAX) fail(key, fmt::format("duplicate node name '{}'", name));
  }

  void load_hosts(const YAML::Node& hosts) {
    expect_map(hosts, "hosts");
    if (hosts.size() == 0) fail(hosts, "hosts must name at least one host");
    static constexpr std::array<std::string_view, 7> kKeys{"os",         "address",   "hz",         "jiffies_phase",
                                                           "sysctl",     "tick_phase", "tick_period"};
    for (auto it = hosts.begin(); it != hosts.end(); ++it) {
      HostSpec h;
      h.name = scalar(it->first, "a host name");
      check_new_name(it->first, h.name);
      h.mark = mark_of(it->first);
      const YAML::Node body = it->second;  // a copy: `it->` yields a temporary
      if (!body.IsNull()) {
        expect_map(body, fmt::format("host '{}'", h.name));
        check_keys(body, fmt::format("host '{}'", h.name), kKeys);
      }
      std::string os = body["os"] ? scalar(body["os"], "os") : std::string("linux");
      h.os = find_os_profile(os);
      if (h.os == nullptr)
        fail(body["os"], fmt::format("unknown os '{}'{} (known: {})", os, did_you_mean(os, os_profile_names()),
                                     join_alternatives(os_profile_names())));
      h.tunables = h.os->defaults;
      if (body["address"]) {
        std::string a = scalar(body["address"], "address");
        if (!parse_ipv4(a, &h.address))
          fail(body["address"], fmt::format("address must be an IPv4 address like 10.0.0.1, got '{}'", a));
      } else {
        h.address = (10u << 24) | (static_cast<uint32_t>(s_.hosts.size() & 255) << 8) | 1u;
      }
      for (const HostSpec& o : s_.hosts)
        if (o.address == h.address)
          fail(body["address"] ? body["address"] : it->first,
               fmt::format("address {} is already used by host '{}'", format_ipv4(h.address), o.name));
      if (body["hz"]) {
        if (h.os->default_hz == 0) fail(body["hz"], fmt::format("hz applies to Linux hosts only, not {}", os));
        h.hz = static_cast<int>(integer(body["hz"], "hz", 0, 10000));
        if (h.hz != 0 && 1'000'000'000 % h.hz != 0)
          fail(body["hz"], fmt::format("hz must divide one second in whole nanoseconds (e.g. 100, 250, 300, 1000), got {}", h.hz));
      }
      load_tick_grid(body, h);
      if (body["jiffies_phase"]) {
        if (h.os->default_hz == 0 || h.hz == 0)
          fail(body["jiffies_phase"], "jiffies_phase needs a host with a jiffies clock (hz > 0)");
        h.jiffies_phase = duration(body["jiffies_phase"], "jiffies_phase");
      }
      if (body["sysctl"]) load_sysctls(body["sysctl"], *h.os, fmt::format("host '{}'", h.name), h.tunables);
      s_.hosts.push_back(std::move(h));
    }
  }

  // tick_phase / tick_period: the 500 ms protocol-timer grid of slowtimo
  // profiles (slowtimo.h).
  void load_tick_grid(const YAML::Node& body, HostSpec& h) {
    for (std::string_view key : {std::string_view("tick_period"), std::string_view("tick_phase")}) {
      const YAML::Node& v = body[std::string(key)];
      if (!v) continue;
      if (h.os->timer != TimerModel::kSlowtimo)
        fail(v, fmt::format("{} applies to hosts with a 500 ms slowtimo timer (aix), not {}", key, h.os->name));
      Time t = duration(v, key);
      if (key == "tick_period") {
        if (t <= Time() || t > Time::s(10)) fail(v, fmt::format("tick_period must be more than 0s and at most 10s, got {}", v.Scalar()));
        h.tick_period = t;
      } else {
        Time period = h.tick_period.value_or(h.os->tick);
        if (t >= period)
          fail(v, fmt::format("tick_phase must be less than the tick period ({}), got {}", format_duration(period), v.Scalar()));
        h.tick_phase = t;
      }
    }
  }

  // A `sysctl:` block in `os`'s own names and units, applied to `t`.
  // `owner` names the block's place for messages ("host 'server'").
  void load_sysctls(const YAML::Node& n, const OsProfile& os, const std::string& owner, HostTunables& t) {
    expect_map(n, fmt::format("sysctl of {}", owner));
    std::vector<std::string_view> names;
    for (const SysctlSpec& sp : os.sysctls) names.push_back(sp.name);
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(it->first, "a sysctl name");
      const SysctlSpec* spec = nullptr;
      for (const SysctlSpec& sp : os.sysctls)
        if (sp.name == key) spec = &sp;
      if (spec == nullptr)
        fail(it->first, fmt::format("unknown {} tunable '{}'{} (kasim knows: {})", os.name, key,
                                    did_you_mean(key, names), join_alternatives(names)));
      int64_t v = integer(it->second, key, spec->min, spec->max);
      Time d = Time::ns(v * spec->unit_ns);
      switch (spec->field) {
        case SysctlField::kKeepaliveIdle: t.keepalive_idle = d; break;
        case SysctlField::kKeepaliveInterval: t.keepalive_interval = d; break;
        case SysctlField::kKeepaliveProbes: t.keepalive_probes = static_cast<int>(v); break;
        case SysctlField::kRetries2: t.retries2 = static_cast<int>(v); break;
        case SysctlField::kSynRetries: t.syn_retries = static_cast<int>(v); break;
        case SysctlField::kSynLinearTimeouts: t.syn_linear_timeouts = static_cast<int>(v); break;
        case SysctlField::kOrphanRetries: t.orphan_retries = static_cast<int>(v); break;
        case SysctlField::kSynAckRetries: t.synack_retries = static_cast<int>(v); break;
        case SysctlField::kInvalidRatelimit: t.invalid_ratelimit = d; break;
        case SysctlField::kAlwaysKeepalive: t.always_keepalive = v != 0; break;
        case SysctlField::kKeepaliveAbort: t.keepalive_abort = d; break;
        case SysctlField::kRetransmitAbort: t.retransmit_abort = d; break;
      }
    }
  }

  void load_middleboxes(const YAML::Node& mbs) {
    expect_map(mbs, "middleboxes");
    static constexpr std::array<std::string_view, 24> kKeys{
        "type",          "profile",      "idle_timeout",  "syn_timeout",    "fin_timeout",  "time_wait_timeout",
        "close_timeout", "on_expiry",    "reset_senders", "on_idle",        "probe_interval", "probe_count",
        "refresh_on",    "refresh_from", "pickup",        "pickup_timeout", "window_check", "max_retrans",
        "retrans_timeout", "max_entries", "when_full",    "adaptive",       "nat",            "reset_style"};
    static constexpr std::array<std::string_view, 2> kResetStyles{"rfc9293", "mirror"};
    static constexpr std::array<std::string_view, 1> kTypes{"firewall"};
    static constexpr std::array<std::string_view, 2> kActions{"drop", "reset-sender"};
    static constexpr std::array<std::string_view, 3> kSides{"both", "client", "server"};
    static constexpr std::array<std::string_view, 3> kIdle{"forget", "reset-both", "probe"};
    static constexpr std::array<std::string_view, 3> kRefresh{"any", "data", "new-data"};
    static constexpr std::array<std::string_view, 4> kPickup{"strict", "loose", "from-client", "from-server"};
    static constexpr std::array<std::string_view, 3> kWindow{"off", "drop", "ignore"};
    static constexpr std::array<std::string_view, 3> kFull{"drop", "evict-oldest", "early-drop"};
    auto sides = [](const std::string& v) {
      return v == "both" ? Sides::kBoth : v == "client" ? Sides::kClient : Sides::kServer;
    };
    for (auto it = mbs.begin(); it != mbs.end(); ++it) {
      MiddleboxSpec m;
      m.name = scalar(it->first, "a middlebox name");
      check_new_name(it->first, m.name);
      m.mark = mark_of(it->first);
      const YAML::Node b = it->second;  // a copy: `it->` yields a temporary
      std::string what = fmt::format("middlebox '{}'", m.name);
      expect_map(b, what);
      check_keys(b, what, kKeys);
      if (!b["profile"]) require(b, "type", what);
      if (b["type"]) one_of(b["type"], "type", kTypes);
      FirewallConfig& f = m.firewall;
      if (b["profile"]) {
        std::string name = scalar(b["profile"], "profile");
        const MiddleboxProfile* p = find_middlebox_profile(name);
        std::vector<std::string_view> names = middlebox_profile_names();
        if (p == nullptr)
          fail(b["profile"], fmt::format("unknown middlebox profile '{}'{} (see `kasim middleboxes`; known: {})", name,
                                         did_you_mean(name, names), join_alternatives(names)));
        m.profile = name;
        f = p->config;
      }
      auto positive = [&](const char* key, Time* dst) {
        if (!b[key]) return;
        *dst = duration(b[key], key);
        if (*dst <= Time()) fail(b[key], fmt::format("{} must be longer than 0s", key));
      };
      positive("idle_timeout", &f.established);
      if (b["syn_timeout"]) f.syn = duration(b["syn_timeout"], "syn_timeout");
      if (b["fin_timeout"]) f.closing = duration(b["fin_timeout"], "fin_timeout");
      if (b["time_wait_timeout"]) f.time_wait = duration(b["time_wait_timeout"], "time_wait_timeout");
      if (b["close_timeout"]) f.closed = duration(b["close_timeout"], "close_timeout");
      if (b["on_expiry"])
        f.on_no_state = one_of(b["on_expiry"], "on_expiry", kActions) == "drop" ? NoStateAction::kDrop
                                                                                : NoStateAction::kResetSender;
      if (b["reset_style"])
        f.reset_style = one_of(b["reset_style"], "reset_style", kResetStyles) == "mirror" ? ResetStyle::kMirror
                                                                                      : ResetStyle::kRfc9293;
      if (b["reset_senders"]) f.reset_senders = sides(one_of(b["reset_senders"], "reset_senders", kSides));
      if (b["on_idle"]) {
        std::string v = one_of(b["on_idle"], "on_idle", kIdle);
        f.on_idle = v == "forget" ? IdleAction::kForget : v == "reset-both" ? IdleAction::kResetBoth : IdleAction::kProbe;
      }
      positive("probe_interval", &f.probe_interval);
      if (b["probe_count"]) f.probe_count = static_cast<int>(integer(b["probe_count"], "probe_count", 1, 1000));
      if (b["refresh_on"]) {
        std::string v = one_of(b["refresh_on"], "refresh_on", kRefresh);
        f.refresh_on = v == "any" ? RefreshOn::kAny : v == "data" ? RefreshOn::kData : RefreshOn::kNewData;
      }
      if (b["refresh_from"]) f.refresh_from = sides(one_of(b["refresh_from"], "refresh_from", kSides));
      if (b["pickup"]) {
        std::string v = one_of(b["pickup"], "pickup", kPickup);
        f.pickup = v == "strict" ? Pickup::kStrict : v == "loose" ? Pickup::kLoose
                 : v == "from-client" ? Pickup::kFromClient : Pickup::kFromServer;
      }
      positive("pickup_timeout", &f.pickup_timeout);
      if (b["window_check"]) {
        std::string v = one_of(b["window_check"], "window_check", kWindow);
        f.window_check = v == "off" ? WindowCheck::kOff : v == "drop" ? WindowCheck::kDrop : WindowCheck::kIgnore;
      }
      if (b["max_retrans"]) f.max_retrans = static_cast<int>(integer(b["max_retrans"], "max_retrans", 0, 255));
      positive("retrans_timeout", &f.retrans_timeout);
      if (b["max_entries"])
        f.max_entries = static_cast<size_t>(integer(b["max_entries"], "max_entries", 0, int64_t{1} << 40));
      if (b["when_full"]) {
        std::string v = one_of(b["when_full"], "when_full", kFull);
        f.when_full = v == "drop" ? WhenFull::kDrop : v == "evict-oldest" ? WhenFull::kEvictOldest : WhenFull::kEarlyDrop;
      }
      if (b["adaptive"]) {
        // adaptive: { start: N, end: N } (entries), or `off`.
        const YAML::Node& a = b["adaptive"];
        if (a.IsScalar() && a.Scalar() == "off") {
          f.adaptive_start = f.adaptive_end = 0;
        } else {
          expect_map(a, "adaptive");
          static constexpr std::array<std::string_view, 2> kAd{"start", "end"};
          check_keys(a, "adaptive", kAd);
          require(a, "start", "adaptive");
          require(a, "end", "adaptive");
          f.adaptive_start = static_cast<size_t>(integer(a["start"], "start", 0, int64_t{1} << 40));
          f.adaptive_end = static_cast<size_t>(integer(a["end"], "end", 0, int64_t{1} << 40));
          if (f.adaptive_end <= f.adaptive_start) fail(a["end"], "adaptive end must be above start");
        }
      }
      if (b["nat"]) load_nat(b["nat"], f.nat);
      if (f.nat.enabled && f.nat.address == 0)
        f.nat.address = (203u << 24) | (113u << 8) | static_cast<uint32_t>(s_.middleboxes.size() + 1);  // 203.0.113.N
      if (f.nat.enabled)
        for (const HostSpec& h : s_.hosts)
          if (h.address == f.nat.address)
            fail(b["nat"] ? b["nat"] : it->first, fmt::format("the NAT address {} of {} is host '{}'s address",
                                                               format_ipv4(f.nat.address), what, h.name));
      s_.middleboxes.push_back(std::move(m));
    }
  }

  // nat: false | true | { address: A, ports: [lo, hi], preserve_port: bool }
  void load_nat(const YAML::Node& n, NatConfig& nat) {
    if (n.IsScalar()) {
      nat.enabled = boolean(n, "nat");
      return;
    }
    expect_map(n, "nat");
    static constexpr std::array<std::string_view, 3> kKeys{"address", "ports", "preserve_port"};
    check_keys(n, "nat", kKeys);
    nat.enabled = true;
    if (n["address"]) {
      std::string a = scalar(n["address"], "address");
      if (!parse_ipv4(a, &nat.address))
        fail(n["address"], fmt::format("address must be an IPv4 address like 203.0.113.1, got '{}'", a));
    }
    if (n["ports"]) {
      const YAML::Node& p = n["ports"];
      if (!p.IsSequence() || p.size() != 2) fail(p, "ports must be [first, last], e.g. [1024, 65535]");
      nat.port_lo = static_cast<uint16_t>(integer(p[0], "ports", 1, 65535));
      nat.port_hi = static_cast<uint16_t>(integer(p[1], "ports", 1, 65535));
      if (nat.port_hi < nat.port_lo) fail(p, "ports: the last port is below the first");
    }
    if (n["preserve_port"]) nat.preserve_port = boolean(n["preserve_port"], "preserve_port");
  }

  void load_links(const YAML::Node& links) {
    expect_seq(links, "links");
    static constexpr std::array<std::string_view, 3> kKeys{"between", "delay", "loss"};
    for (const YAML::Node& l : links) {
      expect_map(l, "a link");
      check_keys(l, "a link", kKeys);
      require(l, "between", "a link");
      require(l, "delay", "a link");
      const YAML::Node& ends = l["between"];
      if (!ends.IsSequence() || ends.size() != 2)
        fail(ends, "between must list exactly two node names, e.g. [client, fw]");
      LinkSpec spec;
      size_t a = node_ref(ends[0], "between", false);
      size_t b = node_ref(ends[1], "between", false);
      if (a == b) fail(ends[1], "a link cannot join a node to itself");
      spec.a = std::string(s_.node_name(a));
      spec.b = std::string(s_.node_name(b));
      for (const LinkSpec& o : s_.links)
        if ((o.a == spec.a && o.b == spec.b) || (o.a == spec.b && o.b == spec.a))
          fail(ends, fmt::format("duplicate link between {} and {}", spec.a, spec.b));
      spec.delay = duration(l["delay"], "delay");
      if (l["loss"]) spec.loss_ppb = probability_ppb(l["loss"], "loss");
      spec.mark = mark_of(l);
      s_.links.push_back(std::move(spec));
    }
  }

  Side side_ref(const YAML::Node& n, const ConnectionSpec& c, std::string_view what) {
    std::string v = scalar(n, what);
    if (v == "client" || v == s_.hosts[c.client].name) return Side::kClient;
    if (v == "server" || v == s_.hosts[c.server].name) return Side::kServer;
    std::array<std::string_view, 4> opts{"client", "server", s_.hosts[c.client].name, s_.hosts[c.server].name};
    fail(n, fmt::format("{} must be client or server (or the host's name), got '{}'{}", what, v, did_you_mean(v, opts)));
  }

  void load_keepalive(const YAML::Node& n, ConnectionSpec& c) {
    expect_map(n, "keepalive");
    static constexpr std::array<std::string_view, 2> kSides{"client", "server"};
    check_keys(n, "keepalive", kSides);
    // The option keys any profile has (each OS accepts the ones its
    // socket_options list; the others are errors naming the OS).
    static constexpr std::array<std::string_view, 6> kOptionKeys{
        "idle", "interval", "count", "user_timeout", "keepalive_threshold", "keepalive_abort_threshold"};
    static constexpr std::array<std::string_view, 8> kKeys{
        "enabled", "idle", "interval", "count", "user_timeout", "at", "keepalive_threshold", "keepalive_abort_threshold"};
    for (int s = 0; s < 2; ++s) {
      const YAML::Node& b = n[std::string(kSides[static_cast<size_t>(s)])];
      if (!b) continue;
      std::string what = fmt::format("keepalive.{}", kSides[static_cast<size_t>(s)]);
      expect_map(b, what);
      check_keys(b, what, kKeys);
      KeepaliveSpec& k = c.keepalive[s];
      k.given = true;
      k.options.enabled = b["enabled"] ? boolean(b["enabled"], "enabled") : true;
      if (b["at"]) k.at = duration(b["at"], "at");
      // A fleet's mixed client side: the block must suit every OS of the mix
      // (the same text sets each OS's own option).
      if (s == 0 && !c.os_mix.empty()) {
        for (const OsShare& m : c.os_mix) socket_options(b, *m.os, " (the client side's os_mix includes it)", kOptionKeys, k);
      } else {
        socket_options(b, *s_.hosts[s == 0 ? c.client : c.server].os, "", kOptionKeys, k);
      }
    }
  }

  // The keys of a keepalive block as `os`'s socket options, in its units
  // and ranges, into `k`. Called once per OS of a mix: exact durations
  // are the same for each; whole seconds are kept for Linux's path.
  template <size_t N>
  void socket_options(const YAML::Node& b, const OsProfile& os, std::string_view why_os,
                      const std::array<std::string_view, N>& option_keys, KeepaliveSpec& k) {
    KeepaliveOptions& opts = k.options;
    const SocketOptionSpec* idle_by = nullptr;
    for (const SocketOptionSpec& o : os.socket_options) {
      const YAML::Node& v = b[std::string(o.key)];
      if (!v) continue;
      if (o.option == SocketOption::kIdle) {
        if (idle_by != nullptr)
          fail(v, fmt::format("{} and {} both set the idle time ({} and {}) on {}: give one{}", idle_by->key, o.key,
                              idle_by->os_name, o.os_name, os.name, why_os));
        idle_by = &o;
      }
      int64_t value;
      if (o.unit_ns == 0) {
        value = integer(v, o.key, o.min, o.max);
      } else {
        Time t = duration(v, o.key);
        if (t.count_ns() % o.unit_ns != 0)
          fail(v, fmt::format("{} sets {}, which {} takes in whole {}: '{}' is not{}", o.key, o.os_name, os.name,
                              o.unit == "s" ? "seconds" : "milliseconds", v.Scalar(), why_os));
        value = t.count_ns() / o.unit_ns;
        if (value < o.min || value > o.max)
          fail(v, fmt::format("{} ({}) must be {}..{} {} on {}, got {} {}{}", o.key, o.os_name, o.min, o.max, o.unit,
                              os.name, value, o.unit, why_os));
      }
      // Exact durations for every profile; whole seconds for Linux's path.
      Time exact = Time::ns(value * o.unit_ns);
      int64_t whole_s = o.unit_ns == 1'000'000'000 ? value : 0;
      switch (o.option) {
        case SocketOption::kIdle:
          if (whole_s) opts.idle_s = whole_s;
          opts.idle = exact;
          k.idle_option = &o;
          break;
        case SocketOption::kInterval:
          if (whole_s) opts.interval_s = whole_s;
          opts.interval = exact;
          break;
        case SocketOption::kCount: opts.count = static_cast<int>(value); break;
        case SocketOption::kUserTimeout: opts.user_timeout_ms = value; break;
        case SocketOption::kAbort: opts.abort = exact; break;
      }
    }
    for (std::string_view key : option_keys) {
      bool known = false;
      for (const SocketOptionSpec& o : os.socket_options) known = known || o.key == key;
      if (b[std::string(key)] && !known)
        fail(b[std::string(key)], fmt::format("{} has no per-socket option for '{}'{}{}", os.name, key,
                                              os.no_option_hint.empty() ? std::string()
                                                                        : fmt::format(" ({})", os.no_option_hint),
                                              why_os));
    }
  }

  void load_traffic(const YAML::Node& n, ConnectionSpec& c) {
    expect_seq(n, "traffic");
    static constexpr std::array<std::string_view, 9> kKeys{"at",     "every",  "until",  "from", "bytes",
                                                           "action", "stagger", "burst", "idle"};
    static constexpr std::array<std::string_view, 3> kActions{"send", "close", "abort"};
    for (const YAML::Node& t : n) {
      expect_map(t, "a traffic step");
      check_keys(t, "a traffic step", kKeys);
      require(t, "from", "a traffic step");
      TrafficStep st;
      st.mark = mark_of(t);
      st.from = side_ref(t["from"], c, "from");
      if (t["at"]) st.at = duration(t["at"], "at");
      else if (!t["every"]) fail(t, "a traffic step needs 'at' (a time) or 'every' (a period)");
      if (t["every"]) {
        st.period = duration_distribution(t["every"], "every");
        if (st.period.lowest() <= 0 && st.period.kind != Distribution::Kind::kExponential)
          fail(t["every"], "every must be longer than 0s");
        st.every = Time::ns(std::max<int64_t>(st.period.lowest(), 1));
      }
      // Bursts: `burst` sends `every` apart, then an `idle` gap.
      if (t["burst"] || t["idle"]) {
        if (!t["burst"] || !t["idle"])
          fail(t["burst"] ? t["burst"] : t["idle"], "a bursty step needs both 'burst' (sends per burst) and 'idle' (the gap between bursts)");
        if (!t["every"]) fail(t, "a bursty step needs 'every' (the gap between the sends of a burst)");
        st.burst = count_distribution(t["burst"], "burst", 1, kMaxBurst);
        st.idle = duration_distribution(t["idle"], "idle");
        if (st.idle->lowest() <= 0 && st.idle->kind != Distribution::Kind::kExponential)
          fail(t["idle"], "idle must be longer than 0s");
      }
      if (t["until"]) st.until = duration(t["until"], "until");
      if (t["stagger"]) {
        st.stagger = boolean(t["stagger"], "stagger");
        if (st.stagger && !t["every"]) fail(t["stagger"], "stagger applies to periodic steps (with 'every')");
      }
      std::string action = t["action"] ? one_of(t["action"], "action", kActions) : std::string("send");
      st.action = action == "send" ? AppAction::kSend : action == "close" ? AppAction::kClose : AppAction::kAbort;
      if (st.action == AppAction::kSend) {
        require(t, "bytes", "a send step");
        st.bytes = static_cast<uint64_t>(integer(t["bytes"], "bytes", 1, int64_t{1} << 40));
      } else if (t["bytes"]) {
        fail(t["bytes"], fmt::format("bytes does not apply to action '{}'", action));
      }
      c.traffic.push_back(st);
    }
  }

  void load_connections(const YAML::Node& conns) {
    expect_seq(conns, "connections");
    static constexpr std::array<std::string_view, 13> kKeys{"name",      "client",  "server",      "port",
                                                           "client_port", "open_at", "keepalive", "isn",
                                                           "traffic",   "count",   "open_within", "vanish",
                                                           "os_mix"};
    Topology topo(s_.node_count());
    for (const LinkSpec& l : s_.links) topo.add_link(s_.node_index(l.a), s_.node_index(l.b), l.delay);
    for (const YAML::Node& n : conns) {
      expect_map(n, "a connection");
      check_keys(n, "a connection", kKeys);
      for (std::string_view k : {"name", "client", "server", "port"}) require(n, k, "a connection");
      ConnectionSpec c;
      c.mark = mark_of(n);
      c.name = scalar(n["name"], "name");
      if (!connection_names_.insert(c.name).second)
        fail(n["name"], fmt::format("duplicate connection name '{}'", c.name));
      c.client = node_ref(n["client"], "client", true);
      c.server = node_ref(n["server"], "server", true);
      if (c.client == c.server) fail(n["server"], "a connection needs two different hosts");
      c.port = static_cast<uint16_t>(integer(n["port"], "port", 1, 65535));
      if (n["client_port"]) c.client_port = static_cast<uint16_t>(integer(n["client_port"], "client_port", 1, 65535));
      if (n["open_at"]) c.open_at = duration(n["open_at"], "open_at");
      if (c.open_at >= s_.duration)
        fail(n["open_at"], fmt::format("open_at ({}) is not before the end of the run ({})", format_duration(c.open_at),
                                       format_duration(s_.duration)));
      if (n["isn"]) {
        static constexpr std::array<std::string_view, 2> kSides{"client", "server"};
        expect_map(n["isn"], "isn");
        check_keys(n["isn"], "isn", kSides);
        for (int s = 0; s < 2; ++s)
          if (n["isn"][std::string(kSides[static_cast<size_t>(s)])])
            c.isn[s] = static_cast<uint32_t>(integer(n["isn"][std::string(kSides[static_cast<size_t>(s)])], "isn", 0, UINT32_MAX));
      }
      if (!topo.shortest_route(c.client, c.server))
        fail(n, fmt::format("no route from {} to {}: add links that join them", s_.hosts[c.client].name,
                            s_.hosts[c.server].name));
      if (n["os_mix"]) load_os_mix(n["os_mix"], c);  // before keepalive: the client's options must suit each OS
      if (n["keepalive"]) load_keepalive(n["keepalive"], c);
      if (n["traffic"]) load_traffic(n["traffic"], c);
      if (n["count"] || n["open_within"] || n["vanish"] || n["os_mix"]) load_fleet(n, c);
      s_.connections.push_back(std::move(c));
    }
    if (s_.connections.empty()) fail(conns, "connections must list at least one connection");
    // Fleets are refused here, before anything is allocated for them, when
    // the run could not hold them: by the engine's numbering, or by the
    // memory --max-memory allows. The message points at the largest fleet.
    uint64_t total = 0;
    size_t largest = 0;
    for (size_t i = 0; i < s_.connections.size(); ++i) {
      total += s_.connections[i].count;
      if (s_.connections[i].count > s_.connections[largest].count) largest = i;
    }
    YAML::Node where = conns[largest]["count"] ? conns[largest]["count"] : conns;
    if (total > kMaxConnections)
      fail(where, fmt::format("the connections add up to {} (fleets included); a run holds at most {}", total,
                              kMaxConnections));
    uint64_t need = estimated_memory(s_);
    if (need > max_memory_)
      fail(where, fmt::format("the connections add up to {} (fleets included) and need about {} of memory ({} "
                              "bytes each), more than --max-memory {} (raise it if the machine has the memory)",
                              total, format_size(need), need / total, format_size(max_memory_)));
  }

  // count / open_within / vanish: one entry standing for many connections.
  void load_fleet(const YAML::Node& n, ConnectionSpec& c) {
    if (n["count"]) c.count = static_cast<uint32_t>(integer(n["count"], "count", 1, static_cast<int64_t>(kMaxConnections)));
    if (const YAML::Node ow = n["open_within"]) {
      if (ow.IsScalar()) {
        // A plain duration D: uniform over [0, D) in whole nanoseconds.
        Time d = duration(ow, "open_within");
        if (c.open_at + d > s_.duration) fail(ow, "open_at + open_within must not pass the end of the run");
        if (d > Time()) c.open_within = Distribution::uniform(0, d.count_ns() - 1);
      } else {
        c.open_within = duration_distribution(ow, "open_within");
        // An exponential's tail may pass the end: those instances never open.
        if (c.open_within.kind == Distribution::Kind::kUniform &&
            c.open_at + Time::ns(c.open_within.highest()) >= s_.duration)
          fail(ow, "open_at + open_within's upper bound must be before the end of the run");
      }
    }
    if (n["vanish"]) {
      const YAML::Node v = n["vanish"];
      expect_map(v, "vanish");
      static constexpr std::array<std::string_view, 4> kKeys{"fraction", "side", "from", "to"};
      check_keys(v, "vanish", kKeys);
      require(v, "fraction", "vanish");
      c.vanish.fraction_ppb = probability_ppb(v["fraction"], "fraction");
      if (v["side"]) c.vanish.side = side_ref(v["side"], c, "side");
      c.vanish.from = v["from"] ? duration(v["from"], "from") : Time();
      c.vanish.to = v["to"] ? duration(v["to"], "to") : s_.duration;
      if (c.vanish.to <= c.vanish.from) fail(v, "vanish: 'to' must be after 'from'");
    }
    if (c.count == 1 && !c.os_mix.empty()) fail(n["os_mix"], "os_mix applies to fleets (count > 1)");
    if (c.count > 1) {
      if (c.client_port) fail(n["client_port"], "client_port cannot be fixed for a fleet (count > 1)");
      if (c.isn[0] || c.isn[1]) fail(n["isn"], "isn cannot be fixed for a fleet (count > 1)");
      // The client host stands for `count` machines with consecutive addresses.
      uint64_t first = s_.hosts[c.client].address;
      if (first + c.count - 1 > UINT32_MAX) fail(n["count"], "the fleet's client addresses run past 255.255.255.255");
      for (size_t h = 0; h < s_.hosts.size(); ++h)
        if (h != c.client && s_.hosts[h].address >= first && s_.hosts[h].address < first + c.count)
          fail(n["count"], fmt::format("the fleet's client addresses {}..{} include host '{}' ({})",
                                       format_ipv4(static_cast<Ipv4>(first)),
                                       format_ipv4(static_cast<Ipv4>(first + c.count - 1)), s_.hosts[h].name,
                                       format_ipv4(s_.hosts[h].address)));
    }
  }

  // os_mix: { linux: 70%, windows: { share: 30%, sysctl: { KeepAliveTime: 600000 } } }
  // The client side's OSes. Tunables: the OS's defaults; for the client
  // host's own `os`, the host's (its `sysctl:` block is written for that
  // OS); then the entry's own `sysctl:` block, in that OS's names.
  void load_os_mix(const YAML::Node& n, ConnectionSpec& c) {
    expect_map(n, "os_mix");
    if (n.size() == 0) fail(n, "os_mix must name at least one OS with its share, e.g. { linux: 70%, windows: 30% }");
    static constexpr std::array<std::string_view, 2> kEntryKeys{"share", "sysctl"};
    const HostSpec& host = s_.hosts[c.client];
    uint64_t total = 0;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;  // copies: `it->` yields a temporary
      const YAML::Node v = it->second;
      std::string name = scalar(key, "an OS name in os_mix");
      OsShare m;
      m.os = find_os_profile(name);
      m.mark = mark_of(key);
      if (m.os == nullptr)
        fail(key, fmt::format("unknown os '{}' in os_mix{} (known: {})", name, did_you_mean(name, os_profile_names()),
                              join_alternatives(os_profile_names())));
      for (const OsShare& o : c.os_mix)
        if (o.os == m.os) fail(key, fmt::format("os_mix names {} twice", m.os->name));
      std::string what = fmt::format("os_mix.{}", name);
      const YAML::Node share = v.IsMap() ? v["share"] : v;
      if (v.IsMap()) {
        check_keys(v, what, kEntryKeys);
        require(v, "share", what);
      }
      m.share_ppb = probability_ppb(share, fmt::format("the share of {} in os_mix", name));
      total += m.share_ppb;
      m.tunables = m.os == host.os ? host.tunables : m.os->defaults;
      if (v.IsMap() && v["sysctl"]) load_sysctls(v["sysctl"], *m.os, what, m.tunables);
      c.os_mix.push_back(m);
    }
    if (total != 1'000'000'000)
      fail(n, fmt::format("the shares in os_mix add up to {}, not 100%", percent_of_ppb(total)));
  }

  void load_faults(const YAML::Node& faults) {
    expect_seq(faults, "faults");
    static constexpr std::array<std::string_view, 6> kKeys{"at", "link", "state", "host", "middlebox", "action"};
    static constexpr std::array<std::string_view, 5> kLinkKeys{"at", "link", "state", "loss", "until"};
    static constexpr std::array<std::string_view, 2> kStates{"down", "up"};
    static constexpr std::array<std::string_view, 5> kHostActions{"crash", "reboot", "kill", "block-from",
                                                                  "unblock-from"};
    static constexpr std::array<std::string_view, 1> kMbActions{"flush"};
    static constexpr std::array<std::string_view, 5> kHostKeys{"at", "host", "action", "peer", "unread_data"};
    for (const YAML::Node& f : faults) {
      expect_map(f, "a fault");
      require(f, "at", "a fault");
      FaultSpec spec;
      spec.mark = mark_of(f);
      spec.at = duration(f["at"], "at");
      if (f["link"]) {
        check_keys(f, "a link fault", kLinkKeys);
        if (!f["state"] && !f["loss"]) fail(f, "a link fault needs 'state' (down or up) or 'loss' (with 'until')");
        if (f["state"] && f["loss"]) fail(f["loss"], "a link fault sets either 'state' or 'loss', not both");
        if (f["until"] && !f["loss"]) fail(f["until"], "until applies to a loss burst ('loss')");
        const YAML::Node& ends = f["link"];
        if (!ends.IsSequence() || ends.size() != 2) fail(ends, "link must list the two nodes it joins, e.g. [client, fw]");
        std::string a(s_.node_name(node_ref(ends[0], "link", false)));
        std::string b(s_.node_name(node_ref(ends[1], "link", false)));
        bool found = false;
        for (size_t i = 0; i < s_.links.size(); ++i)
          if ((s_.links[i].a == a && s_.links[i].b == b) || (s_.links[i].a == b && s_.links[i].b == a)) {
            spec.link = i;
            found = true;
          }
        if (!found) fail(ends, fmt::format("there is no link between {} and {}", a, b));
        if (f["loss"]) {
          // A loss burst: the probability changes at `at`, and back to the
          // link's own value at `until` (if given).
          spec.kind = FaultSpec::Kind::kLinkLoss;
          spec.loss_ppb = probability_ppb(f["loss"], "loss");
          if (f["until"]) {
            FaultSpec back = spec;
            back.at = duration(f["until"], "until");
            if (back.at <= spec.at) fail(f["until"], "until must be after at");
            back.loss_ppb = s_.links[spec.link].loss_ppb;
            s_.faults.push_back(spec);
            s_.faults.push_back(back);
            continue;
          }
        } else {
          spec.kind = one_of(f["state"], "state", kStates) == "down" ? FaultSpec::Kind::kLinkDown : FaultSpec::Kind::kLinkUp;
        }
      } else if (f["host"]) {
        check_keys(f, "a host fault", kHostKeys);
        require(f, "action", "a host fault");
        spec.node = node_ref(f["host"], "host", true);
        std::string action = one_of(f["action"], "action", kHostActions);
        if (action == "crash") spec.kind = FaultSpec::Kind::kHostCrash;
        else if (action == "reboot") spec.kind = FaultSpec::Kind::kHostReboot;
        else if (action == "kill") spec.kind = FaultSpec::Kind::kHostKill;
        else {
          spec.kind = action == "block-from" ? FaultSpec::Kind::kBlockFrom : FaultSpec::Kind::kUnblockFrom;
          require(f, "peer", fmt::format("a '{}' fault", action));
          spec.peer = node_ref(f["peer"], "peer", true);
        }
        if (f["peer"] && spec.kind != FaultSpec::Kind::kBlockFrom && spec.kind != FaultSpec::Kind::kUnblockFrom)
          fail(f["peer"], fmt::format("peer does not apply to action '{}'", action));
        if (f["unread_data"]) {
          if (spec.kind != FaultSpec::Kind::kHostKill)
            fail(f["unread_data"], fmt::format("unread_data applies to action 'kill', not '{}'", action));
          spec.unread_data = boolean(f["unread_data"], "unread_data");
        }
      } else if (f["middlebox"]) {
        static constexpr std::array<std::string_view, 3> kMbKeys{"at", "middlebox", "action"};
        check_keys(f, "a middlebox fault", kMbKeys);
        require(f, "action", "a middlebox fault");
        size_t idx = node_ref(f["middlebox"], "middlebox", false);
        if (idx < s_.hosts.size()) fail(f["middlebox"], fmt::format("'{}' is a host, not a middlebox", s_.node_name(idx)));
        spec.node = idx - s_.hosts.size();
        one_of(f["action"], "action", kMbActions);
        spec.kind = FaultSpec::Kind::kFlush;
      } else {
        check_keys(f, "a fault", kKeys);
        fail(f, "a fault needs 'link' (with state), 'host' (with action) or 'middlebox' (with action)");
      }
      s_.faults.push_back(spec);
    }
  }

  void load_capture(const YAML::Node& n) {
    expect_seq(n, "capture");
    s_.capture_none = n.size() == 0;
    for (const YAML::Node& c : n) {
      size_t idx = node_ref(c, "capture", false);
      s_.capture.emplace_back(s_.node_name(idx));
    }
  }

  Scenario& s_;
  uint64_t max_memory_;
  std::set<std::string> connection_names_;
};

}  // namespace

std::optional<Override> parse_override(std::string_view text, std::string* why) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    *why = fmt::format("--set expects KEY=VALUE (e.g. middleboxes.fw.idle_timeout=30m), got '{}'", text);
    return std::nullopt;
  }
  return Override{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

LoadResult load_scenario(std::string_view yaml_text, std::string_view file, std::span<const Override> overrides,
                         uint64_t max_memory) {
  LoadResult r;
  Scenario s;
  s.file = std::string(file);
  int file_lines = 1;
  for (char c : yaml_text) file_lines += c == '\n' ? 1 : 0;
  loader::OverrideApplier applier(overrides, file_lines);
  auto diag = [&](const YAML::Mark& m, const std::string& msg) {
    size_t o = m.is_null() ? SIZE_MAX : applier.override_at_line(m.line);
    if (o != SIZE_MAX) {
      // The offending text came from the command line, not the file.
      r.error = Diagnostic{fmt::format("--set {}", overrides[o].key), 0, 0, msg};
      return;
    }
    r.error = Diagnostic{std::string(file), m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, msg};
  };
  if (auto bad = check_input_text(yaml_text, file)) {
    r.error = *bad;
    return r;
  }
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    applier.apply(root);
    Loader(s, max_memory).load(root);
  } catch (const loader::LoadFailure& f) {
    diag(f.mark, f.message);
    return r;
  } catch (const YAML::Exception& e) {
    diag(e.mark, fmt::format("invalid YAML: {}", e.msg));
    return r;
  }
  r.scenario = std::move(s);
  return r;
}

LoadResult load_scenario_file(const std::string& path, std::span<const Override> overrides, uint64_t max_memory) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.error = Diagnostic{path, 0, 0, "cannot read the file (does it exist?)"};
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_scenario(ss.str(), path, overrides, max_memory);
}

}  // namespace kasim
