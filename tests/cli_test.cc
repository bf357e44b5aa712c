// The command line through run_cli(), with files for its streams.
#include "kasim/cli.h"
#include "kasim/middlebox_profiles.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli_util.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("kasim-cli-test-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("cli: `kasim run` with no file runs the built-in firewall-expiry scenario") {
  CliResult r = cli({"run"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("# kasim: scenario firewall-expiry-reset") == 0);
  CHECK(r.out.find("telnet: reset at") != std::string::npos);
}

TEST_CASE("cli: `kasim run FILE --explain` prints the scenario's explain golden, byte for byte") {
  // The golden test feeds ExplainSink directly; this is the path a user takes (capture points, sink choice).
  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "scenarios";
  for (const char* name : {"seed-aix-firewall-reset", "seed-linux-silenced-client"}) {
    CAPTURE(name);
    CliResult r = cli({"run", (dir / (std::string(name) + ".yaml")).string(), "--explain"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    std::string want = read_text((dir / "expected" / (std::string(name) + ".explain.txt")).string());
    REQUIRE(!want.empty());
    CHECK_MESSAGE(r.out == want, first_difference(want, r.out));
  }
}

TEST_CASE("cli: bad input exits 2 with file:line:col on stderr and nothing on stdout") {
  fs::path d = temp_dir();
  fs::path bad = d / "bad.yaml";
  std::ofstream(bad) << "name: x\nduration: 5 mins\nhosts: {a: {}}\nconnections: []\n";
  CliResult r = cli({"run", bad.string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find(bad.string() + ":2:11: duration: invalid duration '5 mins'") == 0);
  CliResult usage = cli({"run", "--format", "xml"});
  CHECK(usage.code == 2);
  CHECK(usage.out.empty());
  fs::remove_all(d);
}

TEST_CASE("cli: -o writes atomically; a failed run leaves no file behind") {
  fs::path d = temp_dir();
  fs::path out = d / "trace.jsonl";
  CliResult ok = cli({"run", "--format", "json", "-o", out.string()});
  CHECK(ok.code == 0);
  CHECK(ok.out.empty());
  CHECK(fs::file_size(out) > 0);
  fs::path out2 = d / "limited.txt";
  CliResult limited = cli({"run", "--max-events", "5", "-o", out2.string()});
  CHECK(limited.code == 1);
  CHECK(limited.err.find("more than 5 events") != std::string::npos);
  CHECK_FALSE(fs::exists(out2));
  for (const auto& e : fs::directory_iterator(d)) CHECK(e.path().string().find(".tmp-") == std::string::npos);
  CliResult unwritable = cli({"run", "-o", "/nonexistent-dir/x.txt"});
  CHECK(unwritable.code == 2);
  CHECK(unwritable.err == "/nonexistent-dir/x.txt: cannot write the output: No such file or directory\n");
  fs::remove_all(d);
}

TEST_CASE("cli: runaway runs stop at a limit with a clear message") {
  CliResult r = cli({"run", "--max-pending", "1"});
  CHECK(r.code == 1);
  CHECK(r.err == "<default scenario>: stopped at 0.000000 s: more than 1 pending events (raise --max-pending if this "
                 "is intended)\n");
}

TEST_CASE("cli: `kasim middleboxes` lists every middlebox profile with its sources") {
  CliResult r = cli({"middleboxes"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == describe_middlebox_profiles());
  CHECK(r.out.find("\nazure-lb-tcp-reset: ") != std::string::npos);
  CHECK(r.out.find("source: azure-docs load-balancer-tcp-reset.md") != std::string::npos);
}

TEST_CASE("cli: `kasim profiles --middleboxes` is the middlebox listing") {
  CliResult r = cli({"profiles", "--middleboxes"});
  CHECK(r.code == 0);
  CHECK(r.out == describe_middlebox_profiles());
  CHECK(cli({"profiles", "--middleboxes", "aix"}).code == 2);
}

TEST_CASE("cli: --no-trace still prints outcomes, fleets and samples") {
  CliResult r = cli({"run", std::string(KASIM_SOURCE_DIR) + "/scenarios/fleet-vanishing-peers.yaml", "--no-trace"});
  CHECK(r.code == 0);
  // The same outcome and sample lines as the full run's (no record is dropped but the packets).
  CliResult full = cli({"run", std::string(KASIM_SOURCE_DIR) + "/scenarios/fleet-vanishing-peers.yaml"});
  REQUIRE(full.code == 0);
  size_t at = full.out.find("devices (fleet of 1000): ");
  REQUIRE(at != std::string::npos);
  std::string outcome = full.out.substr(at, full.out.find('\n', at) - at);
  CHECK(outcome.find(" timed-out") != std::string::npos);
  CHECK(r.out.find(outcome) != std::string::npos);
  CHECK(r.out.find("# sample 1800.000000: fw 1000 entries") != std::string::npos);
}

TEST_CASE("cli: `kasim lab` refuses what it cannot re-enact, naming the culprit, before touching the system") {
  fs::path d = temp_dir();
  fs::path f = d / "lossy.yaml";
  std::ofstream(f) << R"(
name: lossy
duration: 5s
hosts: { a: {}, b: {} }
links: [ { between: [a, b], delay: 1ms, loss: 1% } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)";
  CliResult r = cli({"lab", f.string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("link a-b: random loss cannot be re-enacted") != std::string::npos);
  fs::path g = d / "reboot.yaml";
  std::ofstream(g) << R"(
name: reboot
duration: 5s
hosts: { a: {}, b: {} }
links: [ { between: [a, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
faults: [ { at: 1s, host: b, action: reboot } ]
)";
  r = cli({"lab", g.string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("host 'b': the reboot fault cannot be re-enacted") != std::string::npos);
  fs::path t = d / "drawn.yaml";
  std::ofstream(t) << R"(
name: drawn
duration: 5s
hosts: { a: {}, b: {} }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - name: c
    client: a
    server: b
    port: 80
    traffic: [ { at: 1s, from: client, bytes: 10, every: { uniform: [1s, 2s] } } ]
)";
  r = cli({"lab", t.string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("connection 'c': traffic with a drawn period or bursts cannot be re-enacted") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("cli: `kasim lab` refuses a host that does not run Linux") {
  fs::path d = temp_dir();
  fs::path f = d / "windows.yaml";
  std::ofstream(f) << R"(
name: windows
duration: 5s
hosts: { a: {}, b: { os: windows } }
links: [ { between: [a, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)";
  CliResult r = cli({"lab", f.string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("host 'b' runs windows; the lab re-enacts Linux hosts only") != std::string::npos);
  fs::remove_all(d);
}

namespace {
// A stand-in for tools/lab/lab.py: keeps the plan it is given and says it
// cannot run here (exit 2), as the real script does without root.
fs::path plan_keeping_script(const fs::path& dir) {
  fs::path script = dir / "fake_lab.py";
  std::ofstream(script) << "import shutil, sys\n"
                           "shutil.copy(sys.argv[1], '"
                        << (dir / "plan.json").string()
                        << "')\n"
                           "print('kasim lab: fake lab, plan kept', file=sys.stderr)\n"
                           "sys.exit(2)\n";
  return script;
}
}  // namespace

TEST_CASE("cli: `kasim lab` re-enacts the linux-conntrack profiles: loose pickup, RETRANS and UNACK timeouts") {
  fs::path d = temp_dir();
  fs::path f = d / "conntrack.yaml";
  std::ofstream(f) << R"(
name: conntrack
duration: 5s
hosts: { a: {}, b: {} }
middleboxes:
  fw: { profile: linux-conntrack }
  strict: { profile: linux-conntrack-strict, time_wait_timeout: 7s }
links: [ { between: [a, fw], delay: 0s }, { between: [fw, strict], delay: 20ms }, { between: [strict, b], delay: 0s } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)";
  CliResult r = cli({"lab", f.string(), "--script", plan_keeping_script(d).string()});
  CHECK(r.code == 2);  // the script's exit code: cannot run here
  CHECK(r.out.empty());
  CHECK(r.err == "kasim lab: fake lab, plan kept\n");  // the script's stderr comes through
  std::string plan = read_text((d / "plan.json").string());
  auto has = [&](const std::string& text) { return plan.find(text) != std::string::npos; };
  // linux-conntrack: loose pickup, max_retrans 3 then 300 s, UNACK 300 s.
  CHECK(has(R"("pickup": "loose")"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_loose": 1)"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_max_retrans": 3)"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_timeout_max_retrans": 300)"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_timeout_unacknowledged": 300)"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_timeout_established": 432000)"));
  // -strict, with its TIME_WAIT timeout from time_wait_timeout (not the FIN one).
  CHECK(has(R"("pickup": "strict")"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_loose": 0)"));
  CHECK(has(R"("net.netfilter.nf_conntrack_tcp_timeout_time_wait": 7)"));
  CHECK(has(R"("delay_ns": 20000000)"));
  fs::remove_all(d);
}

TEST_CASE("cli: `kasim lab` without a working `ip netns` (or root) exits 2 and says why") {
  // The real lab script, with an `ip` that cannot create namespaces first in
  // PATH: its preflight refuses before touching the system (as non-root it
  // refuses earlier, for want of root).
  fs::path d = temp_dir();
  fs::path bin = d / "bin";
  fs::create_directories(bin);
  for (const char* tool : {"ip", "tcpdump", "nft"}) {
    std::ofstream(bin / tool) << "#!/bin/sh\necho \"" << tool << ": not here\" >&2\nexit 1\n";
    fs::permissions(bin / tool, fs::perms::owner_all);
  }
  fs::path f = d / "plain.yaml";
  std::ofstream(f) << R"(
name: plain
duration: 5s
hosts: { a: {}, b: {} }
links: [ { between: [a, b], delay: 0s } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)";
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
  CliResult r = cli({"lab", f.string()});
  setenv("PATH", path.c_str(), 1);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  bool says_why = r.err.find("kasim lab: needs root") != std::string::npos ||
                  r.err.find("kasim lab: 'ip netns add' does not work here: ip: not here") != std::string::npos;
  CHECK_MESSAGE(says_why, r.err);
  fs::remove_all(d);
}
