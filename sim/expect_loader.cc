// The `expect:` block of a scenario (docs/expectations.md), read into plain
// data (kasim/expect.h). Part of the scenario loader: same helpers, same
// `file:line:col: message` errors with did-you-mean suggestions.
#include <array>

#include <fmt/format.h>

#include "kasim/scenario.h"
#include "loader_support.h"

namespace kasim::loader {
namespace {

constexpr std::array<std::string_view, 6> kFates{"alive", "closed", "reset", "timed-out", "refused", "never-connected"};
constexpr std::array<Fate, 6> kFateValues{Fate::kAlive, Fate::kClosed, Fate::kReset,
                                          Fate::kTimedOut, Fate::kRefused, Fate::kNeverConnected};
constexpr std::array<std::string_view, 6> kErrnos{"none",         "ECONNRESET", "ETIMEDOUT",
                                                 "ECONNREFUSED", "EPIPE",      "WSAENETRESET"};
constexpr std::array<SocketError, 6> kErrnoValues{SocketError::kNone,         SocketError::kEconnreset,
                                                  SocketError::kEtimedout,    SocketError::kEconnrefused,
                                                  SocketError::kEpipe,        SocketError::kWsaEnetreset};
constexpr std::array<std::string_view, 4> kDirs{"out", "in", "fwd", "drop"};
constexpr std::array<CaptureDir, 4> kDirValues{CaptureDir::kOut, CaptureDir::kIn, CaptureDir::kForward,
                                               CaptureDir::kDrop};
constexpr std::array<std::string_view, 11> kKinds{"syn",           "syn-ack",         "data", "ack", "keepalive-probe",
                                                  "keepalive-ack", "retransmission", "tlp",  "fin", "rst", "other"};

// An instant: a duration since the start, or "never".
Time instant(const YAML::Node& n, std::string_view what) {
  if (n.IsScalar() && n.Scalar() == "never") return Time::never();
  return duration(n, what);
}

class ExpectLoader {
 public:
  explicit ExpectLoader(const Scenario& s) : s_(s) {}

  Expectations load(const YAML::Node& block) {
    Expectations e;
    e.present = true;
    expect_map(block, "expect");
    static constexpr std::array<std::string_view, 3> kKeys{"tolerance", "connections", "packets"};
    check_keys(block, "expect", kKeys);
    if (block["tolerance"]) e.tolerance = duration(block["tolerance"], "tolerance");
    if (block["connections"]) load_connections(block["connections"], e);
    if (block["packets"]) load_packets(block["packets"], e);
    if (e.size() == 0) fail(block, "expect must hold at least one assertion under 'connections' or 'packets'");
    return e;
  }

 private:
  uint32_t connection_ref(const YAML::Node& n, std::string_view what) {
    std::string name = scalar(n, what);
    std::vector<std::string_view> names;
    for (size_t i = 0; i < s_.connections.size(); ++i) {
      if (s_.connections[i].name == name) return static_cast<uint32_t>(i);
      names.push_back(s_.connections[i].name);
    }
    fail(n, fmt::format("{} names '{}', which is not a connection{} (connections: {})", what, name,
                        did_you_mean(name, names), join_alternatives(names)));
  }

  uint32_t node_ref(const YAML::Node& n, std::string_view what, bool hosts_only) {
    return static_cast<uint32_t>(loader::node_ref(s_, n, what, hosts_only));
  }

  template <typename T, size_t N>
  T choose(const YAML::Node& n, std::string_view what, const std::array<std::string_view, N>& names,
           const std::array<T, N>& values) {
    std::string v = one_of(n, what, names);
    for (size_t i = 0; i < N; ++i)
      if (names[i] == v) return values[i];
    return values[0];
  }

  void load_connections(const YAML::Node& conns, Expectations& e) {
    expect_map(conns, "expect.connections");
    static constexpr std::array<std::string_view, 7> kKeys{"tolerance", "fate",   "at",    "killer",
                                                          "half_open", "client", "server"};
    static constexpr std::array<std::string_view, 4> kSideKeys{"errno", "at", "state", "keepalive_probes"};
    for (auto it = conns.begin(); it != conns.end(); ++it) {
      uint32_t conn = connection_ref(it->first, "a key in expect.connections");
      for (const OutcomeAssertion& o : e.outcomes)
        if (o.conn == conn) fail(it->first, fmt::format("connection '{}' is listed twice", s_.connections[conn].name));
      const YAML::Node b = it->second;  // a copy: `it->` yields a temporary
      std::string what = fmt::format("expect.connections.{}", s_.connections[conn].name);
      expect_map(b, what);
      if (!s_.connections[conn].is_fleet()) check_keys(b, what, kKeys);
      std::optional<Time> tol;
      if (b["tolerance"]) tol = duration(b["tolerance"], "tolerance");
      auto add = [&](OutcomeField f, const YAML::Node& v, uint8_t side) -> OutcomeAssertion& {
        OutcomeAssertion a;
        a.conn = conn;
        a.field = f;
        a.side = side;
        a.tolerance = tol;
        a.mark = mark_of(v);
        e.outcomes.push_back(std::move(a));
        return e.outcomes.back();
      };
      if (s_.connections[conn].is_fleet()) {
        // A fleet is checked by how many of its connections met each fate.
        std::vector<std::string_view> fleet_keys{"tolerance", "client", "server", "os"};
        for (std::string_view f : kFates) fleet_keys.push_back(f);
        check_keys(b, what + " (a fleet)", fleet_keys);
        for (size_t i = 0; i < kFates.size(); ++i) {
          const YAML::Node v = b[std::string(kFates[i])];
          if (!v) continue;
          OutcomeAssertion& a = add(OutcomeField::kFleetCount, v, 0);
          a.fate = kFateValues[i];
          a.number = integer(v, kFates[i], 0, INT64_MAX);
        }
        if (const YAML::Node ob = b["os"]) {
          // os: { linux: { reset: 350 }, windows: { alive: 150 } }: counts per client OS.
          const std::vector<OsShare>& mix = s_.connections[conn].os_mix;
          if (mix.empty()) fail(ob, fmt::format("{}.os applies to a fleet with an os_mix", what));
          std::vector<std::string_view> names;
          for (const OsShare& m : mix) names.push_back(m.os->name);
          expect_map(ob, what + ".os");
          check_keys(ob, what + ".os (the fleet's os_mix)", names);
          for (uint8_t k = 0; k < mix.size(); ++k) {
            const YAML::Node fb = ob[std::string(names[k])];
            if (!fb) continue;
            std::string owhat = fmt::format("{}.os.{}", what, names[k]);
            expect_map(fb, owhat);
            check_keys(fb, owhat, kFates);
            for (size_t i = 0; i < kFates.size(); ++i) {
              const YAML::Node v = fb[std::string(kFates[i])];
              if (!v) continue;
              OutcomeAssertion& a = add(OutcomeField::kFleetOsCount, v, 0);
              a.fate = kFateValues[i];
              a.os = k;
              a.number = integer(v, kFates[i], 0, INT64_MAX);
            }
          }
        }
        for (uint8_t side = 0; side < 2; ++side) {
          const YAML::Node sb = b[side == 0 ? "client" : "server"];
          if (!sb) continue;
          std::string swhat = fmt::format("{}.{}", what, side == 0 ? "client" : "server");
          expect_map(sb, swhat);
          static constexpr std::array<std::string_view, 1> kFleetSide{"keepalive_probes"};
          check_keys(sb, swhat + " (a fleet)", kFleetSide);
          if (sb["keepalive_probes"])
            add(OutcomeField::kKeepaliveProbes, sb["keepalive_probes"], side).number =
                integer(sb["keepalive_probes"], "keepalive_probes", 0, INT64_MAX);
        }
        continue;
      }
      if (b["fate"]) add(OutcomeField::kFate, b["fate"], 0).fate = choose(b["fate"], "fate", kFates, kFateValues);
      if (b["at"]) add(OutcomeField::kAt, b["at"], 0).time = instant(b["at"], "at");
      if (b["killer"]) {
        std::string k = scalar(b["killer"], "killer");
        add(OutcomeField::kKiller, b["killer"], 0).killer = k == "none" ? std::string() : k;
      }
      if (b["half_open"]) add(OutcomeField::kHalfOpen, b["half_open"], 0).flag = boolean(b["half_open"], "half_open");
      for (uint8_t side = 0; side < 2; ++side) {
        const YAML::Node& sb = b[side == 0 ? "client" : "server"];
        if (!sb) continue;
        std::string swhat = fmt::format("{}.{}", what, side == 0 ? "client" : "server");
        expect_map(sb, swhat);
        check_keys(sb, swhat, kSideKeys);
        if (sb["errno"]) add(OutcomeField::kErrno, sb["errno"], side).error = choose(sb["errno"], "errno", kErrnos, kErrnoValues);
        if (sb["at"]) add(OutcomeField::kErrorAt, sb["at"], side).time = instant(sb["at"], "at");
        if (sb["state"]) add(OutcomeField::kState, sb["state"], side).state = tcp_state(sb["state"]);
        if (sb["keepalive_probes"])
          add(OutcomeField::kKeepaliveProbes, sb["keepalive_probes"], side).number =
              integer(sb["keepalive_probes"], "keepalive_probes", 0, INT32_MAX);
      }
    }
  }

  TcpState tcp_state(const YAML::Node& n) {
    static constexpr std::array<TcpState, 11> kStates{
        TcpState::kClosed,   TcpState::kListen,    TcpState::kSynSent, TcpState::kSynReceived,
        TcpState::kEstablished, TcpState::kFinWait1, TcpState::kFinWait2, TcpState::kCloseWait,
        TcpState::kClosing,  TcpState::kLastAck,   TcpState::kTimeWait};
    std::array<std::string_view, 11> names;
    for (size_t i = 0; i < kStates.size(); ++i) names[i] = tcp_state_name(kStates[i]);
    return choose(n, "state", names, kStates);
  }

  void load_packets(const YAML::Node& list, Expectations& e) {
    expect_seq(list, "expect.packets");
    static constexpr std::array<std::string_view, 15> kKeys{
        "connection", "node", "dir", "from", "to",     "flags", "seq",      "ack",
        "len",        "kind", "at",  "after", "before", "count", "tolerance"};
    for (const YAML::Node& p : list) {
      expect_map(p, "a packet assertion");
      check_keys(p, "a packet assertion", kKeys);
      PacketAssertion a;
      a.mark = mark_of(p);
      PacketMatch& m = a.match;
      if (p["connection"]) m.conn = connection_ref(p["connection"], "connection");
      if (p["node"]) m.node = node_ref(p["node"], "node", false);
      if (p["dir"]) m.dir = choose(p["dir"], "dir", kDirs, kDirValues);
      if (p["from"]) m.from = node_ref(p["from"], "from", false);
      if (p["to"]) m.to = node_ref(p["to"], "to", true);
      if (p["flags"]) m.flags = flags(p["flags"]);
      if (p["seq"]) m.seq = static_cast<uint32_t>(integer(p["seq"], "seq", 0, UINT32_MAX));
      if (p["ack"]) m.ack = static_cast<uint32_t>(integer(p["ack"], "ack", 0, UINT32_MAX));
      if (p["len"]) m.len = static_cast<uint32_t>(integer(p["len"], "len", 0, UINT32_MAX));
      if (p["kind"]) m.kind = one_of(p["kind"], "kind", kKinds);
      if (p["at"]) a.at = duration(p["at"], "at");
      if (p["after"]) a.after = duration(p["after"], "after");
      if (p["before"]) a.before = duration(p["before"], "before");
      if (p["count"]) a.count = integer(p["count"], "count", 0, INT64_MAX);
      if (p["tolerance"]) a.tolerance = duration(p["tolerance"], "tolerance");
      if (a.at && (a.after || a.before))
        fail(p["at"], "at cannot be combined with after or before: use at (± tolerance) or a window");
      if (a.after && a.before && *a.before <= *a.after)
        fail(p["before"], fmt::format("before ({}) must be later than after ({})", format_expect_time(*a.before),
                                      format_expect_time(*a.after)));
      if (a.tolerance && !a.at) fail(p["tolerance"], "tolerance applies to at; this assertion has no at");
      e.packets.push_back(std::move(a));
    }
  }

  // tcpdump's spelling, as traces print it: S, S., ., P., F., R, R. ...
  uint8_t flags(const YAML::Node& n) {
    std::string v = scalar(n, "flags");
    std::vector<std::string> all;
    for (unsigned f = 0; f < 32; ++f) {
      auto bits = static_cast<uint8_t>(((f & 1) ? tcp_flag::kFin : 0) | ((f & 2) ? tcp_flag::kSyn : 0) |
                                  ((f & 4) ? tcp_flag::kRst : 0) | ((f & 8) ? tcp_flag::kPsh : 0) |
                                  ((f & 16) ? tcp_flag::kAck : 0));
      if (format_flags(bits) == v) return bits;
      all.push_back(format_flags(bits));
    }
    std::vector<std::string_view> views(all.begin(), all.end());
    fail(n, fmt::format("flags must be spelt as traces print them (S, S., ., P., F., R, R. ...), got '{}'{}", v,
                        did_you_mean(v, views)));
  }

  const Scenario& s_;
};

}  // namespace

Expectations parse_expectations(const YAML::Node& block, const Scenario& s) { return ExpectLoader(s).load(block); }

}  // namespace kasim::loader

namespace kasim {

ExpectLoadResult load_expectations_text(std::string_view yaml_text, std::string_view file, const Scenario& s) {
  ExpectLoadResult r;
  auto diag = [&](const YAML::Mark& m, const std::string& msg) {
    r.error = Diagnostic{std::string(file), m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, msg};
  };
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) loader::fail(root, "an expectations file must be a mapping with the key 'expect'");
    static constexpr std::array<std::string_view, 1> kTop{"expect"};
    loader::check_keys(root, "an expectations file", kTop);
    loader::require(root, "expect", "an expectations file");
    r.expect = loader::parse_expectations(root["expect"], s);
    for (auto it = root.begin(); it != root.end(); ++it) r.expect->mark = loader::mark_of(it->first);
  } catch (const loader::LoadFailure& f) {
    diag(f.mark, f.message);
  } catch (const YAML::Exception& e) {
    diag(e.mark, fmt::format("invalid YAML: {}", e.msg));
  }
  return r;
}

}  // namespace kasim
