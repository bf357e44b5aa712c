// Bounded resources (limits.h): sizes on the command line, and runs that
// would not end or not fit stopping with a message that names the flag to
// raise, never by the OOM killer.
#include "kasim/limits.h"

#include <fmt/format.h>

#include "cli_util.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {

// Zero-delay links and a write every nanosecond: events without end (the
// fuzzer found it first: tests/fuzz/regressions/zero-delay-storm.yaml).
constexpr const char* kStorm = R"(name: storm
duration: 1s
hosts: {a: {}, b: {}}
links: [{between: [a, b], delay: 0s}]
connections: [{name: c, client: a, server: b, port: 1, traffic: [{every: 1ns, from: a, bytes: 1}]}]
)";

// A thousand connections opening at once over zero-delay links: their
// handshakes all happen at t = 0, so time does not advance for 3,000 events.
constexpr const char* kOneInstant = R"(name: instant
duration: 1s
hosts: {a: {}, b: {address: 192.168.0.1}}
links: [{between: [a, b], delay: 0s}]
connections: [{name: c, client: a, server: b, port: 1, count: 1000}]
)";

// A write every microsecond into a link one second long: packets pile up in
// flight, growing the engine's state without bound.
constexpr const char* kPileUp = R"(name: pile-up
duration: 10s
hosts: {a: {}, b: {}}
links: [{between: [a, b], delay: 1s}]
connections: [{name: c, client: a, server: b, port: 1, traffic: [{every: 1us, from: a, bytes: 1}]}]
)";

}  // namespace

TEST_CASE("limits: sizes parse with binary units and print with three digits") {
  std::string why;
  CHECK(parse_size("1048576", &why) == uint64_t{1} << 20);
  CHECK(parse_size("512M", &why) == uint64_t{512} << 20);
  CHECK(parse_size("512MB", &why) == uint64_t{512} << 20);
  CHECK(parse_size("2G", &why) == 2 * kGiB);
  CHECK(parse_size("4GiB", &why) == 4 * kGiB);
  CHECK(parse_size("64k", &why) == uint64_t{64} << 10);
  CHECK(parse_size("1T", &why) == uint64_t{1} << 40);
  CHECK(parse_size("100B", &why) == 100);
  CHECK_FALSE(parse_size("", &why));
  CHECK_FALSE(parse_size("G", &why));
  CHECK_FALSE(parse_size("-1G", &why));
  CHECK_FALSE(parse_size("1.5G", &why));
  CHECK(why == "'1.5G': unknown size unit '.5G' (expected B, K, M, G or T, optionally with iB: 512M, 4GiB)");
  CHECK_FALSE(parse_size("4 GiB", &why));
  CHECK_FALSE(parse_size("0M", &why));
  CHECK(why == "'0M': a size must be positive");
  CHECK_FALSE(parse_size("9000000T", &why));
  CHECK(why == "'9000000T' is too large");
  CHECK(format_size(800) == "800 bytes");
  CHECK(format_size(4 * kGiB) == "4 GiB");
  CHECK(format_size(3 * kGiB / 2) == "1.5 GiB");
  CHECK(format_size(uint64_t{1000} << 20) == "1000 MiB");
  CHECK(format_size(151'600) == "148 KiB");
}

TEST_CASE("limits: --max-memory is checked on the command line and refuses a billion connections at load") {
  CliResult bad = cli({"run", "--max-memory", "lots"});
  CHECK(bad.code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("'lots' is not a size") != std::string::npos);
  TempDir d("limits-billion");
  std::string f = d.file("billion.yaml");
  write_text(f, R"(name: billion
duration: 1h
hosts: { devices: { address: 10.0.0.1 }, server: { address: 200.0.0.1 } }
links: [ { between: [devices, server], delay: 1ms } ]
connections: [ { name: swarm, client: devices, server: server, port: 443, count: 1000000000 } ]
)");
  std::string message = f + ":5:82: the connections add up to 1000000000 (fleets included) and need about 820 GiB of "
                        "memory (880 bytes each), more than --max-memory 4 GiB (raise it if the machine has the "
                        "memory)\n";
  for (const char* command : {"run", "check", "sweep"}) {
    CAPTURE(command);
    std::vector<std::string> args{command, f};
    if (std::string(command) == "sweep") args.insert(args.end(), {"--vary", "seed=1,2"});
    CliResult r = cli(args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == message);
  }
  // Raised, the same fleet would load; a --set count is blamed on the --set.
  CliResult set = cli({"run", f, "--set", "connections.swarm.count=2000000", "--max-memory", "1G"});
  CHECK(set.code == 2);
  CHECK(set.err == "--set connections.swarm.count: the connections add up to 2000000 (fleets included) and need about "
                   "1.64 GiB of memory (880 bytes each), more than --max-memory 1 GiB (raise it if the machine has "
                   "the memory)\n");
}

TEST_CASE("limits: a zero-delay storm stops at --max-events with exit 1 and nothing written") {
  TempDir d("limits-storm");
  std::string f = d.file("storm.yaml"), out = d.file("trace.txt");
  write_text(f, kStorm);
  CliResult r = cli({"run", f, "--max-events", "1000", "-o", out});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == f + ": stopped at 0.000000 s: more than 1000 events (raise --max-events if this is intended)\n");
  CHECK_FALSE(std::filesystem::exists(out));
  CliResult c = cli({"check", f, "--max-events", "1000"});
  CHECK(c.code == 1);
  CHECK(c.out == "FAIL " + f + ": stopped at 0.000000 s: more than 1000 events (raise --max-events if this is intended)\n");
}

TEST_CASE("limits: events that do not advance time stop at --max-events-per-instant") {
  TempDir d("limits-instant");
  std::string f = d.file("instant.yaml");
  write_text(f, kOneInstant);
  CliResult r = cli({"run", f, "--max-events-per-instant", "100"});
  CHECK(r.code == 1);
  CHECK(r.err == f + ": stopped at 0.000000 s: more than 100 events at the same instant: time is not advancing "
                     "(raise --max-events-per-instant if this is intended)\n");
  // The default lets the burst through: 3,000 events at t = 0 are not a loop.
  CHECK(cli({"run", f, "--no-trace"}).code == 0);
}

TEST_CASE("limits: state that grows while running stops at --max-memory, deterministically") {
  LoadResult lr = load_scenario(kPileUp, "pile-up.yaml");
  REQUIRE(lr.scenario);
  RunLimits l;
  l.max_memory = 4 << 20;
  l.max_process_rss = 0;  // only the engine's own count: the same for every process and build
  for (int i = 0; i < 2; ++i) {  // twice: the same stop each time
    Simulator sim(*lr.scenario, l);
    MemorySink sink;
    RunResult r = sim.run(sink);
    REQUIRE(r.stopped_by_limit);
    // The packet pool has just doubled its capacity: the state jumps past 4 MiB.
    CHECK(r.error == "stopped at 2.031609 s: the run's state grew to 4.76 MiB (32985 pending events, 32982 packets "
                     "in flight), more than --max-memory 4 MiB (raise it if this is intended)");
    CHECK(r.summary.end.count_us() == 2'031'609);
  }
  // The pending-event limit catches the same pile-up by count.
  TempDir d("limits-pending");
  std::string f = d.file("pile-up.yaml");
  write_text(f, kPileUp);
  CliResult p = cli({"run", f, "--max-pending", "50000", "--no-trace"});
  CHECK(p.code == 1);
  CHECK(p.err == f + ": stopped at 2.048625 s: more than 50000 pending events (raise --max-pending if this is "
                     "intended)\n");
}
