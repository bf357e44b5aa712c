// Fleets (a connection entry standing for many) and periodic samples, checked
// against figures worked out by hand.
#include <set>

#include <fmt/format.h>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
// 100 clients behind one firewall; ideal timers so every time is exact.
// Links 1 ms each way: the handshake completes at the server at 0.006 s.
std::string fleet(std::string_view extra, std::string_view duration = "10m") {
  return fmt::format(R"(
name: fleet
duration: {}
sample_every: 1m
hosts:
  clients: {{ address: 10.1.0.1, hz: 0 }}
  server: {{ address: 192.168.0.1, hz: 0 }}
middleboxes:
  fw: {{ type: firewall, idle_timeout: 1h }}
links:
  - {{ between: [clients, fw], delay: 1ms }}
  - {{ between: [fw, server], delay: 1ms }}
connections:
  - name: fleet
    client: clients
    server: server
    port: 443
    count: 100
    keepalive: {{ server: {{ idle: 60s, interval: 10s, count: 3 }} }}
{}
)",
                     duration, extra);
}
}  // namespace

TEST_CASE("fleet: 100 idle connections all survive; probes and table occupancy as computed by hand") {
  Run r = run_yaml(fleet(""));
  REQUIRE(r.sink.fleets.size() == 1);
  const FleetOutcome& f = r.sink.fleets[0];
  CHECK(f.count == 100);
  CHECK(f.by_fate[static_cast<int>(Fate::kAlive)] == 100);
  // Each server probes at 60.006, then every 60 s after the answer (+4 ms):
  // 60.006, 120.010, 180.014, ..., 540.038 -> 9 probes in 10 minutes.
  CHECK(f.keepalive_probes[1] == 900);
  CHECK(f.keepalive_probes[0] == 0);
  // Distinct 4-tuples: the firewall holds 100 entries.
  REQUIRE(r.sink.samples.size() == 9);  // at 1m, 2m, ..., 9m (none at the end instant)
  for (const SampleRecord& s : r.sink.samples) CHECK(s.middlebox_entries[0] == 100);
  // Minute 1 on the client-fw link: the handshakes (SYN, SYN-ACK, ACK); the
  // first probes leave at 60.006 s, in minute 2.
  CHECK(r.sink.samples[0].link_packets[0] == 300);
  CHECK(r.sink.samples[0].link_probes[0] == 0);
  // Every later minute: one probe and one answer per connection.
  CHECK(r.sink.samples[1].link_packets[0] == 200);
  CHECK(r.sink.samples[1].link_probes[0] == 200);
}

TEST_CASE("fleet: every client vanishing between 10 s and 20 s makes every server time out at 90.006 s") {
  Run r = run_yaml(fleet("    vanish: { fraction: 100%, side: client, from: 10s, to: 20s }"));
  const FleetOutcome& f = r.sink.fleets.at(0);
  CHECK(f.by_fate[static_cast<int>(Fate::kTimedOut)] == 100);
  // Probes at 60.006, 70.006, 80.006 unanswered; give-up at 90.006.
  CHECK(t(f.first_end) == "90.006000");
  CHECK(t(f.last_end) == "90.006000");
  CHECK(f.keepalive_probes[1] == 300);
  REQUIRE(f.killers.size() == 1);
  CHECK(f.killers[0].first == "clients (peer vanished)");
  CHECK(f.killers[0].second == 100);
  // The firewall drops its entries only after its own idle timeout (1 h): the
  // servers' RSTs passed it, so they move to the 10 s close timeout.
  CHECK(r.sink.samples.at(1).middlebox_entries[0] == 0);
}

TEST_CASE("fleet: a fraction vanishes, spread open times, deterministic for a seed") {
  std::string y = fleet("    open_within: 1m\n    vanish: { fraction: 30%, side: client, from: 2m, to: 3m }");
  Run a = run_yaml(y);
  Run b = run_yaml(y);
  const FleetOutcome& f = a.sink.fleets.at(0);
  uint64_t dead = f.by_fate[static_cast<int>(Fate::kTimedOut)];
  CHECK(dead + f.by_fate[static_cast<int>(Fate::kAlive)] == 100);
  CHECK(dead > 10);   // 30% of 100 with a fixed seed: far from 0 and 100
  CHECK(dead < 50);
  CHECK(dead == b.sink.fleets.at(0).by_fate[static_cast<int>(Fate::kTimedOut)]);
  CHECK(a.sink.records.size() == b.sink.records.size());
  // Opening spread over a minute: the first sample already holds them all.
  CHECK(a.sink.samples.at(0).middlebox_entries[0] == 100);
}

TEST_CASE("fleet: staggered heartbeats, client addresses consecutive, loader checks") {
  Run r = run_yaml(fleet("    traffic: [ { every: 75s, at: 0s, from: client, bytes: 1, stagger: true } ]", "5m"));
  // Each client writes 4 times in 300 s whatever its phase in [0, 75 s).
  uint64_t data = 0;
  for (const TraceRecord& rec : r.at("clients", CaptureDir::kOut)) data += rec.why == NoteKind::kData;
  CHECK(data == 400);
  std::set<Ipv4> sources;
  for (const TraceRecord& rec : r.at("clients", CaptureDir::kOut)) sources.insert(rec.seg.src);
  CHECK(sources.size() == 100);
  CHECK(*sources.begin() == (10u << 24 | 1u << 16 | 1u));
  CHECK(load_error(fleet("    client_port: 4000")) ==
        "test.yaml:20:18: client_port cannot be fixed for a fleet (count > 1)");
  std::string clash = fleet("");
  clash.replace(clash.find("192.168.0.1"), 11, "10.1.0.50");
  CHECK(load_error(clash).find("the fleet's client addresses 10.1.0.1..10.1.0.100 include host 'server'") !=
        std::string::npos);
  CHECK(load_error(fleet("").replace(fleet("").find("count: 100"), 10, "count: 3000000000")) ==
        "test.yaml:18:12: count is out of range: 3000000000 (expected 1..2147483647)");
}

TEST_CASE("bench scenarios run at a small size") {
  for (const char* name : {"fleet-day", "fleet-day-vanish", "heartbeat-star", "small-day"}) {
    CAPTURE(name);
    LoadResult lr = load_scenario_file(std::string(KASIM_SOURCE_DIR) + "/scenarios/bench/" + name + ".yaml");
    REQUIRE(lr.scenario);
    for (ConnectionSpec& c : lr.scenario->connections) c.count = std::min<uint32_t>(c.count, 50);
    lr.scenario->duration = std::min(lr.scenario->duration, Time::h(3));
    MemorySink sink;
    Simulator sim(*lr.scenario);
    RunResult res = sim.run(sink);
    CHECK_FALSE(res.stopped_by_limit);
    CHECK(res.summary.events > 0);
  }
}

TEST_CASE("fleet: the total number of connections is bounded at load time, not by the OOM killer") {
  std::string y = fleet("");
  // 10,000,050 connections need about 14 GiB: more than the default
  // --max-memory, refused at the largest fleet's count before anything is
  // allocated.
  std::string two = y + "  - { name: more, client: clients, server: server, port: 444, count: 9999950 }\n";
  CHECK(load_error(two) ==
        "test.yaml:21:70: the connections add up to 10000050 (fleets included) and need about 14.1 GiB of memory "
        "(1516 bytes each), more than --max-memory 4 GiB (raise it if the machine has the memory)");
  // The limit follows --max-memory: raised, the same file loads (loading
  // allocates nothing per connection); lowered, a small fleet is refused.
  CHECK(load_scenario(two, "test.yaml", {}, 16 * kGiB).scenario);
  LoadResult small = load_scenario(y, "test.yaml", {}, 100 << 10);
  REQUIRE_FALSE(small.scenario);
  CHECK(small.error.to_string() ==
        "test.yaml:18:12: the connections add up to 100 (fleets included) and need about 148 KiB of memory (1516 "
        "bytes each), more than --max-memory 100 KiB (raise it if the machine has the memory)");
  // Whatever the memory, the engine numbers at most 2^31 - 1 connections.
  std::string huge = y + "  - { name: a, client: clients, server: server, port: 444, count: 1500000000 }\n" +
                     "  - { name: b, client: clients, server: server, port: 445, count: 1500000000 }\n";
  LoadResult h = load_scenario(huge, "test.yaml", {}, uint64_t{1} << 62);
  REQUIRE_FALSE(h.scenario);
  CHECK(h.error.to_string() ==
        "test.yaml:21:67: the connections add up to 3000000100 (fleets included); a run holds at most 2147483647");
}

TEST_CASE("fleet: the memory estimate follows the simulator's structures and the route") {
  LoadResult lr = load_scenario(fleet(""), "test.yaml");
  REQUIRE(lr.scenario);
  uint64_t through_fw = estimated_memory(*lr.scenario);
  CHECK(through_fw % 100 == 0);  // 100 identical instances
  // The same fleet without the firewall on its path: one table entry less each.
  Scenario direct = *lr.scenario;
  direct.middleboxes.clear();
  direct.links = {LinkSpec{"clients", "server", Time::ms(2), 0, {}}};
  CHECK(through_fw - estimated_memory(direct) == 100 * Firewall::bytes_per_entry());
  // A traffic step costs each instance its step reference and its events.
  LoadResult busy = load_scenario(fleet("    traffic: [ { every: 75s, at: 0s, from: client, bytes: 1 } ]"), "test.yaml");
  REQUIRE(busy.scenario);
  CHECK(estimated_memory(*busy.scenario) > through_fw);
  // A Simulator given less than the estimate allocates nothing and says so.
  RunLimits tight;
  tight.max_memory = through_fw - 1;
  Simulator sim(*lr.scenario, tight);
  MemorySink sink;
  RunResult r = sim.run(sink);
  CHECK(r.stopped_by_limit);
  CHECK(r.error == fmt::format("stopped at 0.000000 s: the scenario needs about {} of memory, more than --max-memory {} "
                               "(raise it if the machine has the memory)",
                               format_size(through_fw), format_size(through_fw - 1)));
  CHECK(r.summary.events == 0);
}
