// kasim sweep / merge: grids, parallel determinism, resume, shards joined
// with GNU parallel.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "cli_util.h"
#include "kasim/sweep.h"

using namespace kasim;
using namespace kasim::test;

namespace {

const std::string kScenario = std::string(KASIM_SOURCE_DIR) + "/scenarios/aws-nlb-350s.yaml";
// 12 points: 4 idles x 3 NLB timeouts; some survive, some are reset by the NLB.
const std::vector<std::string> kVary{"--vary", "connections.db.keepalive.client.idle=300s..375s:25s", "--vary",
                                     "middleboxes.nlb.idle_timeout=300s,350s,600s"};

std::vector<std::string> sweep_args(std::vector<std::string> extra) {
  std::vector<std::string> a{"sweep", kScenario};
  a.insert(a.end(), kVary.begin(), kVary.end());
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("sweep: --vary lists and ranges") {
  std::string why;
  auto l = parse_vary("hosts.client.hz=100,250,1000", &why);
  REQUIRE(l);
  CHECK(l->key == "hosts.client.hz");
  CHECK(l->values == std::vector<std::string>{"100", "250", "1000"});
  auto i = parse_vary("seed=1..10:3", &why);
  REQUIRE(i);
  CHECK(i->values == std::vector<std::string>{"1", "4", "7", "10"});
  auto d = parse_vary("x=1m..3m:30s", &why);
  REQUIRE(d);
  CHECK(d->values == std::vector<std::string>{"1m", "1m30s", "2m", "2m30s", "3m"});
  auto frac = parse_vary("x=0.5..1.5:0.5", &why);  // bare numbers with fractions: seconds
  REQUIRE(frac);
  CHECK(frac->values == std::vector<std::string>{"500ms", "1s", format_duration(Time::ms(1500))});
  CHECK(!parse_vary("x", &why));
  CHECK(!parse_vary("x=1..5", &why));
  CHECK(why.find("step") != std::string::npos);
  CHECK(!parse_vary("x=5..1:1", &why));
  CHECK(!parse_vary("x=1s..2s:0s", &why));
  CHECK(!parse_vary("x=a,,b", &why));

  SweepOptions o;
  o.axes = {*l, *i};
  CHECK(sweep_size(o) == 12);
  CHECK(sweep_point(o, 0, 1) == std::vector<std::string>{"100", "1"});
  CHECK(sweep_point(o, 5, 1) == std::vector<std::string>{"250", "4"});  // the last axis varies fastest
  o.samples = 5;
  CHECK(sweep_size(o) == 5);
  CHECK(sweep_point(o, 3, 7) == sweep_point(o, 3, 7));
}

TEST_CASE("sweep: rows in grid order with outcomes; --jobs 1 and --jobs 2 are byte-identical") {
  TempDir dir("sweep-jobs");
  CliResult one = cli(sweep_args({"--jobs", "1", "-o", dir.file("one.csv")}));
  CliResult two = cli(sweep_args({"--jobs", "2", "-o", dir.file("two.csv")}));
  REQUIRE(one.code == 0);
  REQUIRE(two.code == 0);
  std::string a = read_text(dir.file("one.csv")), b = read_text(dir.file("two.csv"));
  CHECK(lines(a) == 13);
  CHECK(a == b);
  CHECK(a.starts_with("index,connections.db.keepalive.client.idle,middleboxes.nlb.idle_timeout,db.fate,db.at,db.killer,"));
  // idle 5m behind a 5m NLB: reset by the NLB; behind 10m: alive.
  CHECK(a.find("\n0,5m,300s,reset,") != std::string::npos);
  CHECK(a.find("\n2,5m,600s,alive,,,") != std::string::npos);
  CHECK(a.find("\n11,6m15s,600s,alive,") != std::string::npos);
  CliResult jl1 = cli(sweep_args({"--jobs", "1", "--format", "jsonl"}));
  CliResult jl2 = cli(sweep_args({"--jobs", "2", "--format", "jsonl"}));
  CHECK(jl1.out == jl2.out);
  CHECK(jl1.out.starts_with("{\"index\":0,\"values\":{"));
  CHECK(lines(jl1.out) == 12);
  // Samples come from the seed.
  CliResult s1 = cli(sweep_args({"--samples", "5", "--seed", "9", "-j", "2"}));
  CliResult s2 = cli(sweep_args({"--samples", "5", "--seed", "9", "-j", "1"}));
  CHECK(s1.out == s2.out);
  CHECK(lines(s1.out) == 6);
}

TEST_CASE("sweep: --resume after a truncated output runs only the missing rows") {
  TempDir dir("sweep-resume");
  REQUIRE(cli(sweep_args({"-o", dir.file("full.csv")})).code == 0);
  std::string full = read_text(dir.file("full.csv"));
  // Interrupted: header, 4 rows and half of the fifth.
  size_t cut = 0;
  for (int i = 0; i < 5; ++i) cut = full.find('\n', cut) + 1;
  std::string partial = full.substr(0, cut + 7);
  write_text(dir.file("part.csv"), partial);
  CliResult r = cli(sweep_args({"--resume", "-o", dir.file("part.csv")}));
  REQUIRE(r.code == 0);
  CHECK(r.err.find("12 points in this shard, 4 already done, 8 run") != std::string::npos);
  CHECK(read_text(dir.file("part.csv")) == full);
  // Resuming a complete output runs nothing.
  CliResult again = cli(sweep_args({"--resume", "-o", dir.file("part.csv")}));
  CHECK(again.err.find("12 already done, 0 run") != std::string::npos);
  CHECK(read_text(dir.file("part.csv")) == full);
  // An output of another sweep is refused.
  write_text(dir.file("other.csv"), "index,x,error\n0,1,\n");
  CliResult bad = cli(sweep_args({"--resume", "-o", dir.file("other.csv")}));
  CHECK(bad.code == 2);
  CHECK(bad.err.find("header differs") != std::string::npos);
}

TEST_CASE("sweep: 4 shards run with GNU parallel merge into the unsharded sweep, byte for byte") {
  // GNU parallel is a declared dependency (dev.sh PACKAGES): missing is a failure.
  REQUIRE_MESSAGE(std::system("command -v parallel >/dev/null 2>&1") == 0, "GNU parallel is not installed (Debian package 'parallel')");
  TempDir dir("sweep-shards");
  for (const std::string fmt : {"csv", "jsonl"}) {
    REQUIRE(cli(sweep_args({"--format", fmt, "-o", dir.file("all." + fmt)})).code == 0);
    std::string cmd = std::string("parallel --will-cite --halt now,fail=1 -j 4 ") + KASIM_BINARY + " sweep " + kScenario;
    for (const std::string& v : kVary) cmd += " '" + v + "'";
    cmd += " --format " + fmt + " --jobs 1 --shard {}/4 -o " + dir.file("shard{}." + fmt) + " ::: 0 1 2 3 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::vector<std::string> shards;
    size_t rows = 0;
    for (int i = 3; i >= 0; --i) {  // in any order
      std::string p = dir.file("shard" + std::to_string(i) + "." + fmt);
      REQUIRE(std::filesystem::exists(p));
      rows += lines(read_text(p)) - (fmt == "csv" ? 1 : 0);
      shards.push_back(p);
    }
    CHECK(rows == 12);  // every point in exactly one shard
    std::vector<std::string> args{"merge"};
    args.insert(args.end(), shards.begin(), shards.end());
    args.insert(args.end(), {"-o", dir.file("merged." + fmt)});
    CliResult m = cli(args);
    REQUIRE(m.code == 0);
    CHECK(read_text(dir.file("merged." + fmt)) == read_text(dir.file("all." + fmt)));
  }
  // Conflicting rows are refused.
  write_text(dir.file("a.csv"), "index,x,error\n0,1,\n");
  write_text(dir.file("b.csv"), "index,x,error\n0,2,\n");
  CliResult bad = cli({"merge", dir.file("a.csv"), dir.file("b.csv")});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("row 0 differs") != std::string::npos);
}

TEST_CASE("sweep: bad input is found before anything runs") {
  CliResult r = cli({"sweep", kScenario, "--vary", "middleboxes.nlb.idle_timeout=350s,banana"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("--set middleboxes.nlb.idle_timeout") != std::string::npos);
  CliResult s = cli({"sweep", kScenario, "--vary", "seed=1,2", "--shard", "4/4"});
  CHECK(s.code == 2);
}

TEST_CASE("sweep: the progress bar is drawn on stderr when it is a terminal, and only then") {
  // script(1) (util-linux, Debian's bsdutils: always installed) runs the
  // sweep with a pseudo-terminal as stderr and keeps what it printed; the
  // rows go to a file through stdout.
  REQUIRE_MESSAGE(std::system("command -v script >/dev/null 2>&1") == 0, "script(1) is not installed (util-linux)");
  TempDir dir("sweep-tty");
  std::string inner = std::string(KASIM_BINARY) + " sweep " + kScenario;
  for (const std::string& v : kVary) inner += " '" + v + "'";
  inner += " --jobs 1 > " + dir.file("rows.csv");
  std::string cmd = "script -qec \"" + inner + "\" " + dir.file("tty.txt") + " </dev/null >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string tty = read_text(dir.file("tty.txt"));
  // One bar per finished row, redrawn in place, the last one full.
  CHECK(tty.find("\r[###                                     ] 1/12") != std::string::npos);
  CHECK(tty.find("] 6/12\r[") != std::string::npos);
  CHECK(tty.find("\r[" + std::string(40, '#') + "] 12/12") != std::string::npos);
  // The rows are what a run without a terminal writes: the bar stays on stderr.
  CliResult plain = cli(sweep_args({"--jobs", "1"}));
  REQUIRE(plain.code == 0);
  CHECK(read_text(dir.file("rows.csv")) == plain.out);
  // Without a terminal: no bar, the one-line summary instead.
  CHECK(plain.err.find('\r') == std::string::npos);
  CHECK(plain.err.find("/12") == std::string::npos);
  CHECK(plain.err.find("12 points in this shard, 0 already done, 12 run") != std::string::npos);
}
