// kasim tune: the recommendation per path and OS, and the confirmation runs
// (which must really survive, or really fail).
#include <cctype>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "kasim/tune.h"
#include "cli_util.h"
#include "test_util.h"

using namespace kasim;
using kasim::test::must_load;

namespace {

// client -> [boxes] -> server, 500 us per link; the boxes are YAML flow maps.
std::string path_yaml(const std::string& os, const std::vector<std::pair<std::string, std::string>>& boxes,
                      const std::string& server_os = "linux") {
  std::string y = fmt::format(
      "name: t\nduration: 1h\nseed: 1\nhosts:\n  client: {{ os: {}, address: 10.0.0.10 }}\n"
      "  server: {{ os: {}, address: 10.0.1.20 }}\n",
      os, server_os);
  if (!boxes.empty()) {
    y += "middleboxes:\n";
    for (const auto& [name, spec] : boxes) y += fmt::format("  {}: {}\n", name, spec);
  }
  y += "links:\n";
  std::string prev = "client";
  for (const auto& [name, spec] : boxes) {
    y += fmt::format("  - {{ between: [{}, {}], delay: 500us }}\n", prev, name);
    prev = name;
  }
  y += fmt::format("  - {{ between: [{}, server], delay: 500us }}\n", prev);
  y += "connections:\n  - { name: app, client: client, server: server, port: 443 }\n";
  return y;
}

TuneResult must_tune(const Scenario& s, TuneRequest req) {
  std::string err;
  TuneResult r = tune(s, req, &err);
  REQUIRE(err.empty());
  return r;
}

TuneRequest request(std::optional<Time> detect = std::nullopt) {
  TuneRequest q;
  q.connection = "app";
  q.detect_within = detect;
  return q;
}

// The recommendation survives, and the last run before the dead-peer run is
// the nearest failing neighbour: exactly the smallest failing idle at the
// bisection's resolution (1 s). Re-simulating it and 1 s below it (with the
// same probe lost, for as long) shows the boundary: idle - 1 s survives,
// idle fails.
void check_confirmations(const Scenario& s, const TuneResult& r, Side side = Side::kClient) {
  REQUIRE(r.runs.size() >= 3);
  CHECK(r.runs.front().survived);
  CHECK(!r.runs.front().lost_probe_at.is_never());  // a probe really was dropped
  const TuneRun& fail = r.runs[r.runs.size() - 2];
  CHECK(!fail.survived);
  CHECK(fail.setting.idle > r.setting.idle);
  CHECK(r.runs.back().dead_peer);
  const Time second = Time::s(1);
  KeepaliveSetting below = fail.setting;
  below.idle -= second;
  TuneRun just_below = simulate_setting(s, 0, side, below, fail.duration - second, true);
  TuneRun again = simulate_setting(s, 0, side, fail.setting, fail.duration, true);
  CHECK_MESSAGE(just_below.survived, "idle " << format_duration(below.idle) << " fails too: " << just_below.what);
  CHECK_MESSAGE(!again.survived, "idle " << format_duration(fail.setting.idle) << " survives: " << again.what);
  // When the bisection ran, the run kept before the failing one is that
  // last surviving idle.
  if (r.runs.size() >= 4) {
    const TuneRun& last_ok = r.runs[r.runs.size() - 3];
    CHECK(last_ok.survived);
    CHECK(last_ok.setting.idle == below.idle);
  }
}

}  // namespace

TEST_CASE("tune: one box, linux: the NLB binds; the survival rule is tight and the runs agree") {
  Scenario s = must_load(path_yaml("linux", {{"nlb", "{ profile: aws-nlb }"}}));
  TuneResult r = must_tune(s, request());
  CHECK(r.verdict == TuneResult::Verdict::kOk);
  REQUIRE(r.binding);
  CHECK(r.boxes[*r.binding].name == "nlb");
  CHECK(r.rtt == Time::ms(2));
  // HZ 250: an idle of ~330 s is on wheel level 4 (granularity 4096 jiffies = 16.384 s), plus one jiffy.
  CHECK(r.late_idle == Time::ms(16384) + Time::ms(4));
  CHECK(r.late_interval == Time::ms(32));  // 1 s = 250 jiffies: level 1, 8 jiffies
  const KeepaliveSetting& k = r.setting;
  Time margin = Time::s(1);
  CHECK(k.idle + k.interval + r.late_idle + r.late_interval + r.rtt + margin < Time::s(350));
  CHECK(k.idle + Time::s(1) + k.interval + r.late_idle + r.late_interval + r.rtt + margin >= Time::s(350));
  CHECK(k.idle == Time::s(331));
  CHECK(k.count == 9);
  CHECK(r.probes_before_give_up == 9);
  // one probe per 331.002 s: 3600/331.002 = 10.876 per hour; 80 bytes each cycle.
  CHECK(r.probes_per_hour_x100 == 1087);
  CHECK(r.bytes_per_day == 86400ull * 80 * 1000 / 331002);  // cycle 331.002 s
  bool saw_sysctl = false;
  for (const std::string& l : r.sysctl_lines) saw_sysctl = saw_sysctl || l.starts_with("sysctl -w net.ipv4.tcp_keepalive_time=331 ");
  CHECK(saw_sysctl);
  check_confirmations(s, r);
  // The dead-peer run gives up within the stated bound.
  CHECK(r.runs.back().detected_after <= r.detection);
}

TEST_CASE("tune: several boxes: the shortest timeout among refreshing boxes binds, in route order") {
  Scenario s = must_load(path_yaml("freebsd", {{"home", "{ profile: home-nat, nat: { address: 198.51.100.33 } }"},
                                               {"fw", "{ type: firewall, idle_timeout: 10m }"},
                                               {"azure", "{ profile: azure-lb }"}}));
  TuneResult r = must_tune(s, request());
  REQUIRE(r.boxes.size() == 3);
  CHECK(r.boxes[0].name == "home");
  CHECK(r.boxes[2].name == "azure");
  REQUIRE(r.binding);
  CHECK(r.boxes[*r.binding].name == "azure");  // 4 min
  CHECK(r.boxes[*r.binding].timeout == Time::min(4));
  // FreeBSD: exact timers plus 10 ms slack per timer; rtt 4 ms.
  CHECK(r.setting.idle + r.setting.interval + Time::ms(20) + Time::ms(4) + Time::s(1) < Time::min(4));
  CHECK(r.setting.idle == Time::s(237));
  check_confirmations(s, r);
  // Tuned from the server side the route is walked the other way.
  TuneRequest q = request();
  q.side = Side::kServer;
  q.confirm = false;
  TuneResult rs = must_tune(s, q);
  CHECK(rs.boxes.front().name == "azure");
  CHECK(rs.os == "linux");
}

TEST_CASE("tune: AIX: half-second sysctls, count+1 probes, detection bound honoured by the simulator") {
  Scenario s = must_load(path_yaml("aix", {{"nlb", "{ profile: aws-nlb }"}}));
  TuneResult r = must_tune(s, request(Time::min(10)));
  CHECK(r.os == "aix");
  CHECK(r.probes_before_give_up == r.setting.count + 1);
  bool half = false;
  for (const std::string& l : r.sysctl_lines)
    half = half || l.starts_with(fmt::format("no -p -o tcp_keepidle={} ", r.setting.idle.count_s() * 2));
  CHECK(half);
  CHECK(r.detection <= Time::min(10));
  check_confirmations(s, r);
  CHECK(r.runs.back().detected_after <= r.detection);
  // one answered probe in the first idle period, then keepcnt+1 unanswered ones
  CHECK(r.runs.back().probes == 1 + r.setting.count + 1);
}

TEST_CASE("tune: Windows: the fixed 10 probes make a tight detection bound impossible") {
  Scenario s = must_load(path_yaml("windows", {{"nlb", "{ profile: aws-nlb }"}}));
  TuneResult ok = must_tune(s, request());
  CHECK(ok.verdict == TuneResult::Verdict::kOk);
  CHECK(ok.setting.count == 10);
  check_confirmations(s, ok);
  TuneRequest q = request(Time::s(5));
  q.confirm = false;
  TuneResult r = must_tune(s, q);
  CHECK(r.verdict == TuneResult::Verdict::kDetectTooTight);
  CHECK(r.setting.count == 10);
  CHECK(r.setting.idle == Time::s(1));
  CHECK(r.detection > Time::s(5));
  // Linux can: 2 probes 1 s apart after a 2 s idle.
  Scenario sl = must_load(path_yaml("linux", {{"nlb", "{ profile: aws-nlb }"}}));
  TuneResult rl = must_tune(sl, q);
  CHECK(rl.verdict == TuneResult::Verdict::kOk);
  CHECK(rl.detection <= Time::s(5));
  CHECK(rl.probes_before_give_up == 2);
}

TEST_CASE("tune: impossible: an ALB only refreshes on data; the heartbeat survives and keepalive fails") {
  Scenario s = must_load(path_yaml("linux", {{"alb", "{ profile: aws-alb }"}}));
  TuneResult r = must_tune(s, request());
  CHECK(r.verdict == TuneResult::Verdict::kKeepaliveUseless);
  REQUIRE(!r.boxes.empty());
  CHECK(!r.boxes[0].keepalive_helps());
  CHECK(r.heartbeat == Time::s(58));  // 60 s - 2 ms - 1 s margin, whole seconds
  REQUIRE(r.runs.size() == 2);
  CHECK(!r.runs[0].survived);
  CHECK(r.runs[0].killer == "alb");
  CHECK(r.runs[1].survived);
  CHECK(r.runs[1].heartbeat == Time::s(58));
  CHECK(r.runs[1].probes == 0);
}

TEST_CASE("tune: a strict sequence check drops Linux's 0-byte probes but not AIX's 1-byte ones") {
  std::string box = "{ type: firewall, idle_timeout: 10m, window_check: drop }";
  TuneRequest q = request();
  q.confirm = false;
  TuneResult linux_r = must_tune(must_load(path_yaml("linux", {{"fw", box}})), q);
  CHECK(linux_r.verdict == TuneResult::Verdict::kKeepaliveUseless);
  CHECK(linux_r.boxes[0].probe_dropped);
  TuneResult aix_r = must_tune(must_load(path_yaml("aix", {{"fw", box}})), q);
  CHECK(aix_r.verdict == TuneResult::Verdict::kOk);
  CHECK(aix_r.boxes[0].probe_refreshes);
}

TEST_CASE("tune: the confirmation really drops a probe: a setting that survives clean fails with one loss") {
  // FreeBSD, exact timers, NLB 350 s, rtt 2 ms: idle 346 s with interval 5 s survives without
  // loss (the box sees a gap of 346.002 s) but not with a steady-state probe lost (351.002 s);
  // with interval 3 s the lost probe leaves a 349.002 s gap: it survives.
  Scenario s = must_load(path_yaml("freebsd", {{"nlb", "{ profile: aws-nlb }"}}));
  KeepaliveSetting k{Time::s(346), Time::s(5), 8};
  Time dur = Time::s(1800);
  TuneRun clean = simulate_setting(s, 0, Side::kClient, k, dur, false);
  TuneRun lossy = simulate_setting(s, 0, Side::kClient, k, dur, true);
  CHECK(clean.survived);
  CHECK(!lossy.survived);
  CHECK(!lossy.lost_probe_at.is_never());
  CHECK(lossy.killer == "nlb");
  KeepaliveSetting k2{Time::s(346), Time::s(3), 8};
  CHECK(simulate_setting(s, 0, Side::kClient, k2, dur, true).survived);
}

TEST_CASE("tune: no box: the OS default idle; a box with no timeout or DCD does not bind") {
  TuneRequest q = request();
  q.confirm = false;
  TuneResult r = must_tune(must_load(path_yaml("linux", {})), q);
  CHECK(!r.binding);
  CHECK(r.setting.idle == Time::s(7200));
  TuneResult d = must_tune(must_load(path_yaml("linux", {{"asa", "{ profile: cisco-asa-dcd }"}})), q);
  CHECK(!d.binding);
  CHECK(d.boxes[0].dcd);
  std::string err;
  TuneRequest bad = request();
  bad.connection = "nope";
  tune(must_load(path_yaml("linux", {})), bad, &err);
  CHECK(err.find("no connection named 'nope'") != std::string::npos);
}

TEST_CASE("tune: command line: the report on stdout; an unknown connection is bad input") {
  using namespace kasim::test;
  CliResult r = cli({"tune", std::string(KASIM_SOURCE_DIR) + "/scenarios/aws-nlb-350s.yaml", "--connection", "db"});
  CHECK(r.code == 0);
  CHECK(r.out.find("binding constraint: nlb") != std::string::npos);
  CHECK(r.out.find("sysctl -w net.ipv4.tcp_keepalive_time=331") != std::string::npos);
  CHECK(r.out.find("TCP_KEEPIDLE") != std::string::npos);
  CHECK(r.out.find("SURVIVES") != std::string::npos);
  CHECK(r.out.find("FAILS") != std::string::npos);
  CliResult bad = cli({"tune", std::string(KASIM_SOURCE_DIR) + "/scenarios/aws-nlb-350s.yaml", "--connection", "x"});
  CHECK(bad.code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("no connection named 'x'") != std::string::npos);
  CliResult set = cli({"tune", std::string(KASIM_SOURCE_DIR) + "/scenarios/aws-nlb-350s.yaml", "--connection", "db",
                       "--no-confirm", "--set", "middleboxes.nlb.idle_timeout=120s"});
  CHECK(set.code == 0);
  CHECK(set.out.find("nlb (2m timeout") != std::string::npos);
}

TEST_CASE("tune: AIX's report reads: durations as seconds or minutes, not raw microseconds; singular probes") {
  // AIX's 500 ms ticks on a host whose ticks are slower make sub-millisecond durations (a 2.150720 s lateness).
  using namespace kasim::test;
  CliResult r = cli({"tune", std::string(KASIM_SOURCE_DIR) + "/scenarios/seed-aix-firewall-reset.yaml", "--connection",
                     "db", "--side", "server", "--detect-within", "10m", "--no-confirm"});
  REQUIRE(r.code == 0);
  // No run of 4 or more digits directly followed by "us" or "ns" (e.g. "2150720us").
  for (const char* unit : {"us", "ns"}) {
    for (size_t at = r.out.find(unit); at != std::string::npos; at = r.out.find(unit, at + 1)) {
      size_t digits = 0;
      while (digits < at && std::isdigit(static_cast<unsigned char>(r.out[at - 1 - digits]))) ++digits;
      CHECK_MESSAGE(digits < 4, r.out.substr(at - digits, digits + 2));
    }
  }
  CHECK(r.out.find("2.150720s (idle timer 1.650400s, interval timer 500.320ms)") != std::string::npos);
  // count 1: AIX sends 2 probes; "1 probes" nowhere.
  CHECK(r.out.find("# 1 (aix sends 2 probes)") != std::string::npos);
  CHECK(r.out.find(" 1 probes") == std::string::npos);
}

TEST_CASE("tune: a fleet's client OS mix: one OS is tuned as that OS, several are refused") {
  std::string y = path_yaml("linux", {{"nlb", "{ profile: aws-nlb }"}});
  y.replace(y.find("{ name: app, client: client, server: server, port: 443 }"), 56,
            "{ name: app, client: client, server: server, port: 443, count: 10, os_mix: { windows: 100% } }");
  TuneRequest q = request();
  q.confirm = false;
  TuneResult one = must_tune(must_load(y), q);
  CHECK(one.os == "windows");
  CHECK(one.setting.count == 10);  // Windows' fixed 10 probes
  y.replace(y.find("{ windows: 100% }"), 17, "{ windows: 50%, linux: 50% }");
  std::string err;
  tune(must_load(y), q, &err);
  CHECK(err == "the clients of fleet 'app' run several OSes (os_mix: windows, linux); tune one at a time, e.g. with "
               "--set connections.app.os_mix={windows: 100%}, or tune the server side");
  q.side = Side::kServer;
  TuneResult server = must_tune(must_load(y), q);
  CHECK(server.os == "linux");
}
