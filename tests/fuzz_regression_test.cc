// Inputs kept from fuzzing (tests/fuzz/regressions/): each must load or fail
// with a message, and if it loads, run to the end without crashing.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

using namespace kasim;
namespace fs = std::filesystem;

TEST_CASE("fuzz regressions load or fail cleanly, and runs end") {
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "tests" / "fuzz" / "regressions";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == "README.md") continue;
    CAPTURE(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    LoadResult r = load_scenario(ss.str(), "x.yaml");
    if (!r.scenario) {
      CHECK(!r.error.message.empty());
    } else {
      MemorySink sink;
      RunLimits limits;
      limits.max_events = 100'000;
      Simulator sim(*r.scenario, limits);
      sim.run(sink);
    }
    ++n;
  }
  CHECK(n >= 1);
}
