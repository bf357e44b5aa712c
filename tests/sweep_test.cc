// kasim sweep / merge: grids, parallel determinism, resume, shards joined
// with GNU parallel.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include <sys/wait.h>
#include <unistd.h>

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
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(dir.file("full.csv"))));
  std::string full = read_text(dir.file("full.csv"));
  // Interrupted: header, 4 rows and half of the fifth, in the partial file.
  size_t cut = 0;
  for (int i = 0; i < 5; ++i) cut = full.find('\n', cut) + 1;
  std::string partial = full.substr(0, cut + 7);
  std::string out = dir.file("part.csv");
  write_text(sweep_partial_path(out), partial);
  CliResult r = cli(sweep_args({"--resume", "-o", out}));
  REQUIRE(r.code == 0);
  CHECK(r.err.find("12 points in this shard, 4 already done, 8 run") != std::string::npos);
  CHECK(read_text(out) == full);
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(out)));
  // Resuming a complete output runs nothing and leaves it as it is.
  CliResult again = cli(sweep_args({"--resume", "-o", out}));
  CHECK(again.err.find("12 already done, 0 run") != std::string::npos);
  CHECK(read_text(out) == full);
  // An output written by an older kasim straight to FILE, cut mid-row, is
  // resumed too (FILE itself is not touched until the rename).
  write_text(dir.file("old.csv"), partial);
  CliResult old = cli(sweep_args({"--resume", "-o", dir.file("old.csv")}));
  CHECK(old.err.find("4 already done, 8 run") != std::string::npos);
  CHECK(read_text(dir.file("old.csv")) == full);
  // An output of another sweep is refused, and left as it was.
  write_text(dir.file("other.csv"), "index,x,error\n0,1,\n");
  CliResult bad = cli(sweep_args({"--resume", "-o", dir.file("other.csv")}));
  CHECK(bad.code == 2);
  CHECK(bad.err.find("header differs") != std::string::npos);
  CHECK(read_text(dir.file("other.csv")) == "index,x,error\n0,1,\n");
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(dir.file("other.csv"))));
}

// A sweep killed (SIGKILL, in a child process) right after its third row:
// FILE keeps its earlier complete contents, FILE.partial holds the header and
// three complete rows, and --resume finishes it into exactly what an
// uninterrupted sweep writes.
TEST_CASE("sweep: a killed sweep never truncates FILE; --resume completes it") {
  TempDir dir("sweep-killed");
  std::string reference = dir.file("reference.csv"), out = dir.file("out.csv");
  REQUIRE(cli(sweep_args({"-o", reference})).code == 0);
  const std::string earlier = "index,an,earlier,sweep,error\n0,1,2,3,\n";
  write_text(out, earlier);
  std::string yaml = read_text(kScenario);
  SweepOptions o;
  std::string why;
  o.axes = {*parse_vary("connections.db.keepalive.client.idle=300s..375s:25s", &why),
            *parse_vary("middleboxes.nlb.idle_timeout=300s,350s,600s", &why)};
  o.jobs = 2;
  o.after_row = [](uint64_t rows) {
    if (rows == 3) ::kill(::getpid(), SIGKILL);
  };
  std::fflush(nullptr);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::FILE* devnull = std::fopen("/dev/null", "w");
    SweepStats st;
    run_sweep_to_file(yaml, kScenario, o, out, false, devnull, &st);
    ::_exit(42);  // not reached: the sweep kills itself after its third row
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(read_text(out) == earlier);
  std::string partial = read_text(sweep_partial_path(out));
  std::string full = read_text(reference);
  size_t four_lines = 0;
  for (int i = 0; i < 4; ++i) four_lines = full.find('\n', four_lines) + 1;
  CHECK(partial == full.substr(0, four_lines));
  CliResult r = cli(sweep_args({"--resume", "-o", out}));
  REQUIRE(r.code == 0);
  CHECK(r.err.find("12 points in this shard, 3 already done, 9 run") != std::string::npos);
  CHECK(read_text(out) == full);
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(out)));
}

TEST_CASE("sweep: without --resume a leftover partial file is started afresh; bad input leaves none") {
  TempDir dir("sweep-fresh");
  std::string out = dir.file("out.csv");
  write_text(sweep_partial_path(out), "garbage from another time\n");
  REQUIRE(cli(sweep_args({"-o", out})).code == 0);
  CHECK(lines(read_text(out)) == 13);
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(out)));
  CliResult bad = cli({"sweep", kScenario, "--vary", "middleboxes.nlb.idle_timeout=350s,banana", "-o", dir.file("b.csv")});
  CHECK(bad.code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.file("b.csv")));
  CHECK_FALSE(std::filesystem::exists(sweep_partial_path(dir.file("b.csv"))));
  CliResult unwritable = cli(sweep_args({"-o", "/nonexistent-dir/s.csv"}));
  CHECK(unwritable.code == 2);
  CHECK(unwritable.err == "kasim sweep: cannot write /nonexistent-dir/s.csv.partial: No such file or directory\n");
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
