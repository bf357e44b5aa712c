// Golden tests: every scenario in scenarios/ is run and its full text trace
// compared with scenarios/expected/NAME.txt. To accept a deliberate change:
//   KASIM_UPDATE_GOLDEN=1 build/kasim_tests -tc='golden*'
// and review the diff before committing.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kasim/cli.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run_text(const Scenario& s) {
  return render(s, [](std::FILE* f) { return std::make_unique<TextSink>(f); });
}
}  // namespace

TEST_CASE("golden: every scenario's trace matches its expected output") {
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "scenarios";
  bool update = std::getenv("KASIM_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    CAPTURE(p.filename().string());
    LoadResult lr = load_scenario_file(p.string());
    REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
    std::string got = run_text(*lr.scenario);
    fs::path expected = dir / "expected" / (p.stem().string() + ".txt");
    if (update) {
      std::ofstream(expected, std::ios::binary) << got;
    } else {
      REQUIRE_MESSAGE(fs::exists(expected), "no expected output: run with KASIM_UPDATE_GOLDEN=1");
      std::string want = read_file(expected);
      CHECK_MESSAGE(want == got, first_difference(want, got));
    }
    ++checked;
  }
  CHECK(checked >= 3);
}

TEST_CASE("golden: the embedded default scenario is scenarios/firewall-expiry-reset.yaml") {
  std::string file = read_file(fs::path(KASIM_SOURCE_DIR) / "scenarios" / "firewall-expiry-reset.yaml");
  CHECK(std::string(default_scenario_text()) == file);
}

TEST_CASE("determinism: the same scenario twice gives byte-identical output") {
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "scenarios";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    LoadResult lr = load_scenario_file(e.path().string());
    REQUIRE(lr.scenario);
    CHECK(run_text(*lr.scenario) == run_text(*lr.scenario));
  }
}
