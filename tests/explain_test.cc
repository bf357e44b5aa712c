// --explain: golden narratives for every scenario (scenarios/expected/NAME.explain.txt),
// and the advice it gives checked by running it. To accept a deliberate change:
//   KASIM_UPDATE_GOLDEN=1 build/kasim_tests -tc='explain*'
#include "kasim/explain_sink.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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
