// --explain: golden narratives for every scenario (scenarios/expected/NAME.explain.txt),
// and the advice it gives checked by running it. To accept a deliberate change:
//   KASIM_UPDATE_GOLDEN=1 build/kasim_tests -tc='explain*'
#include "kasim/explain_sink.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kasim/explain_wording.h"
#include "kasim/os_profile.h"

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// As `kasim run --explain` does: every node is a capture point.
std::string explain(Scenario s) {
  s.capture.clear();
  return render(s, [](std::FILE* f) { return std::make_unique<ExplainSink>(f); });
}

// The story with its line wrapping undone (newline + indentation -> one space), for searching.
// (No std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized under the sanitizers.)
std::string flat(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && i + 1 < s.size() && s[i + 1] == ' ') {
      while (i + 1 < s.size() && s[i + 1] == ' ') ++i;
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string scenario_text(const std::string& name) {
  return slurp(fs::path(KASIM_SOURCE_DIR) / "scenarios" / (name + ".yaml"));
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return s.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("explain: every scenario's narrative matches its expected output") {
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "scenarios";
  bool update = std::getenv("KASIM_UPDATE_GOLDEN") != nullptr;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);
  for (const fs::path& p : files) {
    CAPTURE(p.filename().string());
    LoadResult lr = load_scenario_file(p.string());
    REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
    std::string got = explain(*lr.scenario);
    CHECK(got == explain(*lr.scenario));  // deterministic
    fs::path expected = dir / "expected" / (p.stem().string() + ".explain.txt");
    if (update) {
      std::ofstream(expected, std::ios::binary) << got;
    } else {
      REQUIRE_MESSAGE(fs::exists(expected), "no expected output: run with KASIM_UPDATE_GOLDEN=1");
      std::string want = slurp(expected);
      CHECK_MESSAGE(want == got, first_difference(want, got));
    }
  }
}

TEST_CASE("explain: the numbers in the story are the run's numbers") {
  LoadResult lr = load_scenario_file((fs::path(KASIM_SOURCE_DIR) / "scenarios" / "firewall-expiry-reset.yaml").string());
  REQUIRE(lr.scenario);
  std::string got = flat(explain(*lr.scenario));
  // The firewall's expiry, derived from what it forwarded: last packet 3.002500 + 1 h.
  CHECK(got.find("3603.002500 fw: its entry for telnet has seen no packet for 3600 s (1h)") != std::string::npos);
  // The probe: the rule (tcp_keepalive_time, default 7200 s) and its seq = snd_una - 1.
  CHECK(got.find("no segment received for 7206.875747 s: keepidle 7200 s (2h) (net.ipv4.tcp_keepalive_time, the "
                 "default) has passed (the timer wheel at HZ=250 added 6.875747 s) → keepalive probe 1 of 9") !=
        std::string::npos);
  CHECK(got.find("seq 341765859 = snd_una−1") != std::string::npos);
  CHECK(got.find("keepalive probe 1 of 9 (keepcnt: net.ipv4.tcp_keepalive_probes, the default)") !=
        std::string::npos);
  CHECK(got.find("What killed it: fw forgot the connection at 3603.002500") != std::string::npos);
}

TEST_CASE("explain: the keepidle it recommends keeps the connection alive, and the firewall's timeout does not") {
  std::string base = scenario_text("firewall-expiry-reset");
  LoadResult lr = load_scenario(base, "firewall-expiry-reset.yaml");
  REQUIRE(lr.scenario);
  std::string story = flat(explain(*lr.scenario));
  // "keepidle ≤ 3468 s (57m48s) on server"
  const std::string lead = "keepidle ≤ ";
  size_t at = story.find(lead);
  REQUIRE(at != std::string::npos);
  size_t end = story.find(' ', at + lead.size());
  std::string safe = story.substr(at + lead.size(), end - at - lead.size());
  CHECK(story.find(lead + safe + " s (57m48s) on server") != std::string::npos);
  CHECK(safe == "3468");  // 3600 s - 131.072 s (timer-wheel granule at HZ=250) - 0.003 s round trip

  auto fate_with_idle = [&](const std::string& idle) {
    std::string yaml = replace(base, "server: { enabled: true }", "server: { enabled: true, idle: " + idle + " }");
    yaml = replace(yaml, "duration: 3h", "duration: 1d");
    test::Run r = test::run_yaml(yaml);
    return std::string(fate_name(r.outcome().fate));
  };
  CHECK(fate_with_idle(safe + "s") == "alive");
  CHECK(fate_with_idle("3600s") == "reset");  // keepidle = the firewall's timeout is too late
}

TEST_CASE("explain: the summary blames the box the outcome blames, with its real expiry") {
  // multi-box-path: nlb forgets first (350 s), but the client's write is
  // dropped by cloudnat, which the outcome blames; cloudnat's entry was last
  // refreshed by the server's ACK at 1.020 and expired 1200 s later.
  LoadResult lr = load_scenario_file((fs::path(KASIM_SOURCE_DIR) / "scenarios" / "multi-box-path.yaml").string());
  REQUIRE(lr.scenario);
  std::string got = flat(explain(*lr.scenario));
  CHECK(got.find("caused by cloudnat") != std::string::npos);
  CHECK(got.find("What killed it: cloudnat forgot the connection at 1201.020000, 1200 s (20m) after") !=
        std::string::npos);
  CHECK(got.find("1201.020000 cloudnat: its entry for app has seen no packet for 1200 s (20m) (its ESTABLISHED") !=
        std::string::npos);
  CHECK(got.find("What killed it: nlb") == std::string::npos);
  CHECK(got.find("1201.017") == std::string::npos);
  // The advice takes the path's shortest timeout (nlb's), not cloudnat's.
  CHECK(got.find("the shortest idle timeout on the path, nlb's 350 s") != std::string::npos);
}

TEST_CASE("explain: an entry expiring after a close does not claim both ends think it open") {
  LoadResult lr = load_scenario_file((fs::path(KASIM_SOURCE_DIR) / "scenarios" / "fault-app-close.yaml").string());
  REQUIRE(lr.scenario);
  std::string got = flat(explain(*lr.scenario));
  size_t at = got.find("pf: its entry for app has seen no packet for 45 s (its TIME_WAIT");
  REQUIRE(at != std::string::npos);
  std::string line = got.substr(at, got.find('\n', at) - at);
  CHECK(line.find("still think it is open") == std::string::npos);
  CHECK(line.find("both ends had sent their FIN") != std::string::npos);
}

TEST_CASE("explain: the timer wheel's worst-case rounding per level") {
  CHECK(timer_wheel_granule(Time::s(3600), 250) == Time::ms(131072));
  CHECK(timer_wheel_granule(Time::s(55), 250) == Time::ms(2048));
  CHECK(timer_wheel_granule(Time::s(6), 250) == Time::ms(256));
  CHECK(timer_wheel_granule(Time::ms(100), 250) == Time::ms(4));
  CHECK(timer_wheel_granule(Time::s(3600), 0) == Time());
}

namespace {
Scenario load(const std::string& name) {
  LoadResult lr = load_scenario_file((fs::path(KASIM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string());
  REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
  return *lr.scenario;
}
bool has(const std::string& story, const std::string& part) {
  INFO("looking for: " << part);
  return story.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("explain: every OS profile has a wording table of its own") {
  for (const OsProfile* p : os_profiles()) {
    CAPTURE(p->name);
    CHECK(explain_wording(p->name).os == p->name);
  }
}

TEST_CASE("explain: the AIX seed report is told with AIX's rules and the scenario's numbers") {
  // The issue's line: "server: no segment received for 7200 s = tcp_keepidle (14400 half-seconds) -> keepalive
  // probe 1 of 9 (AIX sends keepcnt+1); it carries one old byte, seq 1031:1032, so the peer must answer with an
  // ACK". The numbers below come from the scenario, not from a run.
  Scenario s = load("seed-aix-firewall-reset");
  const ConnectionSpec& c = s.connections[0];
  const HostSpec& server = s.hosts[c.server];
  const std::string client = s.hosts[c.client].name;
  REQUIRE(server.os->name == "aix");
  REQUIRE(c.isn[0].has_value());
  REQUIRE(c.isn[1].has_value());
  const int keepcnt = server.tunables.keepalive_probes;                          // tcp_keepcnt 8
  const int64_t idle_ticks = server.tunables.keepalive_idle / Time::ms(500);    // tcp_keepidle 14400
  uint64_t from_client = 0, from_server = 0;
  for (const TrafficStep& t : c.traffic) (t.from == Side::kClient ? from_client : from_server) += t.bytes;
  const uint64_t rcv_nxt = *c.isn[0] + 1 + from_client;  // what the server expects next: 87
  const uint64_t snd_una = *c.isn[1] + 1 + from_server;  // everything it sent was acknowledged: 1032

  std::string story = flat(explain(s));
  CHECK(has(story, fmt::format("{}: no segment received for ", server.name)));
  CHECK(has(story, fmt::format("keepidle {} s (2h) (tcp_keepidle ({} half-seconds), the default) has passed (counted "
                               "in {} slow-timeout ticks of 0.50016 s",
                               idle_ticks / 2, idle_ticks, idle_ticks)));
  CHECK(has(story, fmt::format("→ keepalive probe 1 of {} (AIX sends keepcnt+1 = {}+1); it carries one old byte",
                               keepcnt + 1, keepcnt)));
  CHECK(has(story, fmt::format("keepcnt {} (tcp_keepcnt, the default), and AIX sends keepcnt+1 = {} probes", keepcnt,
                               keepcnt + 1)));
  CHECK(has(story, fmt::format("it carries one old byte, seq {}:{} (snd_una−1: {} has acknowledged it already), and "
                               "ack {} = rcv_nxt−1 (rcv_nxt is {}; the 4.2BSD-compatible probe), so {} must answer "
                               "with an ACK",
                               snd_una - 1, snd_una, client, rcv_nxt - 1, rcv_nxt, client)));
  // The firewall mirrors the probe (reset_style: mirror), it does not follow RFC 9293 3.10.7.1.
  CHECK(has(story, fmt::format("that mirrors the dropped packet: seq {} = its ack, ack {} = its seq, and its length, "
                               "1 byte (reset_style: mirror",
                               rcv_nxt - 1, snd_una - 1)));
  CHECK(!has(story, "3.10.7.1"));
  // AIX takes the RST because its seq is rcv_nxt-1 (the 4.2BSD rule), not because it is rcv_nxt.
  CHECK(has(story, fmt::format("the RST's seq {} is rcv_nxt−1 (rcv_nxt is {}): RFC 9293 would discard it", rcv_nxt - 1,
                               rcv_nxt)));
  CHECK(has(story, "AIX accepts an RST one below rcv_nxt"));
  CHECK(!has(story, "exactly rcv_nxt"));
  CHECK(!has(story, "TCP_USER_TIMEOUT"));
}

TEST_CASE("explain: AIX's give-up is keepidle + (keepcnt+1) x keepintvl, and the run agrees") {
  Scenario s = load("seed-aix-cable-pull");
  const HostSpec& server = s.hosts[s.connections[0].server];
  REQUIRE(server.os->name == "aix");
  const int keepcnt = server.tunables.keepalive_probes;
  const Time idle = Time::s(120), intvl = server.tunables.keepalive_interval;  // the scenario's 240 half-seconds
  const Time bound = idle + intvl * (keepcnt + 1);
  std::string story = flat(explain(s));
  CHECK(has(story, fmt::format("at most keepidle + (keepcnt + 1) × keepintvl = 120 s (2m) + {} × 75 s (1m15s) = {} s",
                               keepcnt + 1, bound.count_s())));
  CHECK(has(story, fmt::format("{} probes sent (keepcnt {} + 1) and none answered", keepcnt + 1, keepcnt)));
  CHECK(has(story, fmt::format("keepalive probe {} of {}", keepcnt + 1, keepcnt + 1)));
  CHECK(!has(story, "TCP_USER_TIMEOUT"));
  // "it gave up X s later": X is within the bound, and not below it by more than one 0.5 s tick.
  const std::string lead = "and it gave up ";
  size_t at = story.find(lead);
  REQUIRE(at != std::string::npos);
  std::optional<Time> later =
      parse_duration(story.substr(at + lead.size(), story.find(' ', at + lead.size()) - at - lead.size()), nullptr);
  REQUIRE(later);
  CHECK(*later <= bound);
  CHECK(*later > bound - Time::ms(500));
}

TEST_CASE("explain: no OS is told about settings it does not have") {
  for (const char* name : {"cable-pull-windows", "cable-pull-macos", "cable-pull-freebsd", "cable-pull-openbsd",
                           "cable-pull-solaris", "seed-aix-cable-pull"}) {
    CAPTURE(name);
    std::string story = flat(explain(load(name)));
    // TCP_USER_TIMEOUT is Linux's; the server here is not Linux.
    CHECK(!has(story, "TCP_USER_TIMEOUT"));
    CHECK(has(story, "This is keepalive doing its job"));
    CHECK(!has(story, "keepintvl 0 s"));
    CHECK(!has(story, "keepcnt 0"));
    CHECK(!has(story, "see docs/profiles"));  // the generic wording: every OS has its own rule now
  }
  // FreeBSD probes without SO_KEEPALIVE (always_keepalive=1): the story must not call its keepalive off.
  std::string bsd = flat(explain(load("cable-pull-freebsd")));
  CHECK(has(bsd, "server (server): keepalive on without SO_KEEPALIVE (net.inet.tcp.always_keepalive = 1, the "
                 "default: every connection probes)"));
  CHECK(!has(bsd, "Its retransmissions went unanswered"));
  // OpenBSD's count is a constant; illumos counts no probes and sends no RST when it gives up.
  std::string obsd = flat(explain(load("cable-pull-openbsd")));
  CHECK(has(obsd, "keepcnt 8 (TCPTV_KEEPCNT, fixed: OpenBSD has no tunable for it)"));
  CHECK(has(obsd, "keepalive probe 1 of 8 (TCPTV_KEEPCNT, fixed)"));
  std::string sol = flat(explain(load("cable-pull-solaris")));
  CHECK(has(sol, "no probe count: it gives up when the idle time exceeds keepidle + 480 s (8m) "
                 "(_keepalive_abort_interval (480000 ms), the default)"));
  CHECK(has(sol, "581.996000 server: idle for 581.993 s, more than keepidle + 480 s (8m)"));
  CHECK(!has(sol, "gave up -"));
}

TEST_CASE("explain: silent give-ups are told when they happen") {
  // Linux and illumos send no RST when retransmission gives up: no packet, but a line at the outcome's time.
  std::string linux_story = flat(explain(load("black-hole-linux")));
  CHECK(has(linux_story, "1298.922974 server: 15 retransmissions unanswered"));
  CHECK(has(linux_story, "Linux gives up without sending an RST"));
  // The tail loss probe's line tells how long the probe timeout waited (2 x srtt + 200 ms, rounded to jiffies).
  CHECK(has(linux_story, "360.206974 server: the probe timeout ran out with no ACK, 0.206974 s after the last segment"));
  std::string sol = flat(explain(load("black-hole-solaris")));
  CHECK(has(sol, "702.000000 server: "));
  CHECK(has(sol, "illumos gives up without sending an RST"));
}

TEST_CASE("explain: an orphan's give-up is told at its time, with tcp_orphan_retries and without an error") {
  // The server's LAST_ACK socket retransmits its FIN into a box that has forgotten the session.
  std::string story = flat(explain(load("fortigate-time-wait-1s")));
  CHECK(has(story, "117.654747 server: 8 retransmissions unanswered"));
  CHECK(has(story, "so Linux counts 8 retries (net.ipv4.tcp_orphan_retries, the default; 0 means 8)"));
  CHECK(!has(story, "retransmission 9"));
  CHECK(!has(story, "ETIMEDOUT"));
}

TEST_CASE("explain: a one-byte probe is answered as a duplicate, a zero-byte one as not acceptable") {
  // Windows probes carry one old byte: the Linux server already has it (a duplicate, answered at once).
  std::string win = flat(explain(load("refresh-on-data-probe-bytes")));
  CHECK(has(win, "server: seq 341764928:341764929 is one byte it already has (rcv_nxt 341764929): a duplicate, so "
                 "Linux answers at once with an ACK"));
  CHECK(!has(win, "341764928 is below rcv_nxt 341764929: not acceptable"));
  // Linux's own probes carry nothing: seq rcv_nxt-1 fails the acceptability test.
  std::string lin = flat(explain(load("firewall-keepalive-survives")));
  CHECK(has(lin, "is below rcv_nxt"));
  CHECK(has(lin, ": not acceptable, so Linux answers at once with an ACK"));
  CHECK(!has(lin, "a duplicate, so"));
}

TEST_CASE("explain: one probe is 'probe', not 'probes'") {
  std::vector<Override> count_1{{"connections.idle.keepalive.server.count", "1"}};
  LoadResult lr = load_scenario(scenario_text("cable-pull-linux"), "cable-pull-linux.yaml", count_1);
  REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
  std::string story = flat(explain(*lr.scenario));
  CHECK(has(story, "1 probe sent and none answered"));
  CHECK(has(story, "(keepalive: 1 probe unanswered)"));
  CHECK(!has(story, "1 probes"));
}

TEST_CASE("explain: the keepidle it recommends for the AIX seed keeps the connection alive on that host's slow ticks") {
  // testServer's ticks come every 500.16 ms: 3599 s of ticks can last 3600.15 s, longer than firewallB's 1 h.
  std::string base = scenario_text("seed-aix-firewall-reset");
  LoadResult lr = load_scenario(base, "seed-aix-firewall-reset.yaml");
  REQUIRE(lr.scenario);
  std::string story = flat(explain(*lr.scenario));
  const std::string lead = "keepidle ≤ ";
  size_t at = story.find(lead);
  REQUIRE(at != std::string::npos);
  std::string safe = story.substr(at + lead.size(), story.find(' ', at + lead.size()) - at - lead.size());
  CHECK(safe == "3598");
  auto fate_with_idle = [&](const std::string& idle) {
    std::string yaml = replace(base, "server: { enabled: true }", "server: { enabled: true, idle: " + idle + " }");
    yaml = replace(yaml, "duration: 2h5m", "duration: 1d");
    yaml = yaml.substr(0, yaml.find("\nexpect:")) + "\n";
    test::Run r = test::run_yaml(yaml);
    return std::string(fate_name(r.outcome().fate));
  };
  CHECK(fate_with_idle(safe + "s") == "alive");
  CHECK(fate_with_idle("3600s") == "reset");
}
