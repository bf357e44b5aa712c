// The bad-input corpus: every tests/bad/NAME.yaml must fail to load with
// exactly the message in tests/bad/NAME.err (as `kasim run` prints it).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kasim/cli.h"
#include "test_util.h"

using namespace kasim;
namespace fs = std::filesystem;

TEST_CASE("bad input corpus: each file gets its exact message, exit code 2 and no output") {
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "tests" / "bad";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 30);
  fs::path old = fs::current_path();
  fs::current_path(dir);  // messages name the file as given on the command line
  for (const fs::path& p : files) {
    std::string name = p.filename().string();
    CAPTURE(name);
    std::ifstream in(p.stem().string() + ".err");
    REQUIRE_MESSAGE(in, "missing .err file");
    std::stringstream want;
    want << in.rdbuf();
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    const char* argv[] = {"kasim", "run", name.c_str()};
    int code = run_cli(3, argv, out, err);
    auto slurp = [](std::FILE* f) {
      std::rewind(f);
      std::string s;
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
      return s;
    };
    CHECK(code == 2);
    CHECK(slurp(out).empty());
    CHECK(slurp(err) == want.str());
  }
  fs::current_path(old);
}
