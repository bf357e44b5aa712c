// Fleets (a connection entry standing for many) and periodic samples, checked
// against figures worked out by hand.
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "kasim/expect.h"
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
        "test.yaml:21:70: the connections add up to 10000050 (fleets included) and need about 9.87 GiB of memory "
        "(1060 bytes each), more than --max-memory 4 GiB (raise it if the machine has the memory)");
  // The limit follows --max-memory: raised, the same file loads (loading
  // allocates nothing per connection); lowered, a small fleet is refused.
  CHECK(load_scenario(two, "test.yaml", {}, 16 * kGiB).scenario);
  LoadResult small = load_scenario(y, "test.yaml", {}, 100 << 10);
  REQUIRE_FALSE(small.scenario);
  CHECK(small.error.to_string() ==
        "test.yaml:18:12: the connections add up to 100 (fleets included) and need about 104 KiB of memory (1060 "
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

// ------------------------------------------------------------------ os_mix

namespace {
// 100 clients, half Linux and half Windows, with client keepalive. The host's
// sysctl (Linux names) applies to the Linux clients only; the Windows
// clients take theirs from their os_mix entry.
std::string mixed(std::string_view mix, std::string_view extra = "", std::string_view count = "100") {
  return fmt::format(R"(
name: mixed
duration: 10m
hosts:
  clients: {{ os: linux, address: 10.1.0.1, hz: 0, sysctl: {{ net.ipv4.tcp_keepalive_time: 60 }} }}
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
    count: {}
    os_mix: {}
    keepalive: {{ client: {{}} }}
{}
)",
                     count, mix, extra);
}
}  // namespace

TEST_CASE("fleet os_mix: 50/50 linux/windows, exact shares and per-OS probe counts worked out by hand") {
  Run r = run_yaml(mixed("{ linux: 50%, windows: { share: 50%, sysctl: { KeepAliveTime: 120000 } } }"));
  const FleetOutcome& f = r.sink.fleets.at(0);
  REQUIRE(f.by_os.size() == 2);
  CHECK(f.by_os[0].os == "linux");
  CHECK(f.by_os[1].os == "windows");
  // Exact shares, not a coin per instance.
  CHECK(f.by_os[0].count == 50);
  CHECK(f.by_os[1].count == 50);
  CHECK(f.by_os[0].by_fate[static_cast<int>(Fate::kAlive)] == 50);
  CHECK(f.by_os[1].by_fate[static_cast<int>(Fate::kAlive)] == 50);
  // Linux (host sysctl keepidle 60 s, default keepintvl 75 s, ideal timers):
  // the SYN-ACK arrives at 0.004, the first probe leaves at 60.004. After a
  // probe the timer runs at keepintvl, and 75 s after the answer the idle
  // time (74.996 s) is past keepidle: a probe every 75 s, 60.004, 135.004,
  // ..., 585.004 -> 8 in 10 minutes.
  CHECK(f.by_os[0].keepalive_probes[0] == 50 * 8);
  // Windows (its own KeepAliveTime 120 s, the host's Linux sysctl does not
  // apply; any received segment re-arms the timer to the full idle):
  // 120.004, then 120 s after each answer: 240.008, 360.012, 480.016 -> 4.
  CHECK(f.by_os[1].keepalive_probes[0] == 50 * 4);
  CHECK(f.keepalive_probes[0] == 50 * 8 + 50 * 4);
  // The probes themselves: Linux sends 0-byte probes, Windows 1-byte ones.
  uint64_t zero = 0, one = 0;
  for (const TraceRecord& rec : r.with(NoteKind::kKeepaliveProbe, "clients", CaptureDir::kOut))
    (rec.seg.len == 0 ? zero : one)++;
  CHECK(zero == 400);
  CHECK(one == 200);
  // Which instances run which OS comes from the seed: the same twice, and a
  // Windows client's ephemeral port is in Windows' range.
  Run again = run_yaml(mixed("{ linux: 50%, windows: { share: 50%, sysctl: { KeepAliveTime: 120000 } } }"));
  REQUIRE(again.sink.records.size() == r.sink.records.size());
  for (size_t i = 0; i < r.sink.records.size(); ++i) {
    CHECK(r.sink.records[i].seg.src == again.sink.records[i].seg.src);
    CHECK(r.sink.records[i].seg.sport == again.sink.records[i].seg.sport);
  }
  for (const TraceRecord& rec : r.with(NoteKind::kKeepaliveProbe, "clients", CaptureDir::kOut))
    if (rec.seg.len == 1) CHECK(rec.seg.sport >= 49152);
  CHECK(format_fleet_text(f).find("\n  clients on linux: 50 (50 alive); keepalive probes 400 by clients, 0 by servers"
                                  "\n  clients on windows: 50 (50 alive); keepalive probes 200 by clients, 0 by servers") !=
        std::string::npos);
}

TEST_CASE("fleet os_mix: shares rounded by largest remainder; outcomes per OS") {
  // 7 clients at 50/25/25: 3.5, 1.75, 1.75 -> floors 3, 1, 1; the two left
  // over go to the largest remainders (0.75, 0.75): 3, 2, 2.
  Run r = run_yaml(mixed("{ linux: 50%, windows: 25%, macos: 25% }", "", "7"));
  const FleetOutcome& f = r.sink.fleets.at(0);
  REQUIRE(f.by_os.size() == 3);
  CHECK(f.by_os[0].count == 3);
  CHECK(f.by_os[1].count == 2);
  CHECK(f.by_os[2].count == 2);
  CHECK(f.by_os[2].os == "macos");
  // Windows and macOS keep their 2 h default idle: no probes in 10 minutes.
  CHECK(f.by_os[1].keepalive_probes[0] == 0);
  CHECK(f.by_os[2].keepalive_probes[0] == 0);
  CHECK(f.by_os[0].keepalive_probes[0] == 3 * 8);
  // The JSON carries the same counts.
  std::string json = render(r.scenario, [](std::FILE* o) { return std::make_unique<JsonSink>(o); });
  CHECK(json.find("\"by_os\":{\"linux\":{\"count\":3,\"fates\":{\"alive\":3,") != std::string::npos);
  CHECK(json.find("\"macos\":{\"count\":2,") != std::string::npos);
}

TEST_CASE("fleet os_mix: loader errors point at the text") {
  CHECK(load_error(mixed("{ linux: 50%, windows: 40% }")) ==
        "test.yaml:18:13: the shares in os_mix add up to 90%, not 100%");
  CHECK(load_error(mixed("{ linx: 50%, windows: 50% }")) ==
        "test.yaml:18:15: unknown os 'linx' in os_mix (did you mean 'linux'?) (known: linux, windows, macos, freebsd, "
        "openbsd, solaris or aix)");
  CHECK(load_error(mixed("{ solaris: 50%, illumos: 50% }")).find("os_mix names solaris twice") != std::string::npos);
  CHECK(load_error(mixed("{ linux: 100% }", "", "1")) == "test.yaml:18:13: os_mix applies to fleets (count > 1)");
  CHECK(load_error(mixed("{ linux: 50%, windows: { share: 50%, sysctl: { net.ipv4.tcp_keepalive_time: 60 } } }")).find(
            "unknown windows tunable 'net.ipv4.tcp_keepalive_time'") != std::string::npos);
  CHECK(load_error(mixed("{ linux: 50%, windows: { shares: 50% } }")).find("unknown key 'shares' in os_mix.windows "
                                                                           "(did you mean 'share'?)") != std::string::npos);
  // The client's keepalive block must suit every OS of the mix.
  std::string ut = mixed("{ linux: 50%, windows: 50% }");
  ut.replace(ut.find("client: {}"), 10, "client: { user_timeout: 30s }");
  CHECK(load_error(ut).find("windows has no per-socket option for 'user_timeout' (Windows has no TCP_USER_TIMEOUT "
                            "(TCP_MAXRT is not modelled)) (the client side's os_mix includes it)") != std::string::npos);
  std::string ms = mixed("{ linux: 50%, windows: 50% }");
  ms.replace(ms.find("client: {}"), 10, "client: { idle: 1500ms }");
  CHECK(load_error(ms).find("idle sets TCP_KEEPIDLE, which linux takes in whole seconds: '1500ms' is not") !=
        std::string::npos);
  ms.replace(ms.find("linux: 50%, windows: 50%"), 24, "windows: 100%");
  CHECK(load_error(ms) == "(loaded without error)");  // Windows takes milliseconds
}

// ------------------------------------------------------ drawn traffic periods

TEST_CASE("fleet traffic: a uniform period stays in its bounds; send counts bounded by hand; deterministic") {
  // Each client sends at 1 s and then after gaps drawn from [60 s, 120 s]
  // until 1 h: at least sends 0..29 (29 gaps of at most 120 s end by
  // 3481 s), at most sends 0..59 (60 gaps of at least 60 s end at 3601 s or later).
  std::string y = fleet("    traffic: [ { at: 1s, every: { uniform: [60s, 120s] }, from: client, bytes: 10 } ]", "1h");
  Run r = run_yaml(y);
  std::map<Ipv4, std::vector<Time>> sends;
  for (const TraceRecord& rec : r.with(NoteKind::kData, "clients", CaptureDir::kOut)) sends[rec.seg.src].push_back(rec.t);
  REQUIRE(sends.size() == 100);
  Time lo = Time::never(), hi;
  uint64_t total = 0;
  for (const auto& [addr, ts] : sends) {
    CHECK(ts.size() >= 30);
    CHECK(ts.size() <= 60);
    CHECK(ts.front() == Time::s(1));
    total += ts.size();
    for (size_t i = 1; i < ts.size(); ++i) {
      lo = std::min(lo, ts[i] - ts[i - 1]);
      hi = std::max(hi, ts[i] - ts[i - 1]);
    }
  }
  CHECK(lo >= Time::s(60));
  CHECK(hi <= Time::s(120));
  // About 4000 gaps: both ends of the range are reached within a second.
  CHECK(lo < Time::s(61));
  CHECK(hi > Time::s(119));
  // The mean gap is 90 s: about 40 sends each (a fixed seed; 3000..5000 is
  // far outside any plausible draw).
  CHECK(total > 3000);
  CHECK(total < 5000);
  // Byte-identical output run after run.
  Scenario s = must_load(y);
  auto text = [&] { return render(s, [](std::FILE* o) { return std::make_unique<TextSink>(o); }); };
  CHECK(text() == text());
}

TEST_CASE("fleet traffic: bursts separated by idle gaps longer than the firewall's timeout reset every connection") {
  // 5 sends a minute apart (0..4 min), then an idle gap in [2 h, 3 h]: the
  // firewall (1 h, RST to the sender) forgot the flow at 1h04m + 3 ms, so the
  // first send of the second burst (at 2h04m..3h04m) is answered with its RST.
  std::string y = fleet(
      "    traffic: [ { at: 0s, every: 1m, burst: 5, idle: { uniform: [2h, 3h] }, from: client, bytes: 10 } ]", "4h");
  y.replace(y.find("idle_timeout: 1h"), 16, "idle_timeout: 1h, on_expiry: reset-sender");
  y.replace(y.find("keepalive: { server: { idle: 60s, interval: 10s, count: 3 } }"), 61, "keepalive: {}");
  Run r = run_yaml(y);
  const FleetOutcome& f = r.sink.fleets.at(0);
  CHECK(f.by_fate[static_cast<int>(Fate::kReset)] == 100);
  CHECK(f.first_end >= Time::min(124));
  CHECK(f.last_end <= Time::min(184) + Time::ms(3));
  REQUIRE(f.killers.size() == 1);
  CHECK(f.killers[0].first == "fw");
  // Per client: the 5 sends of the first burst, then the one the RST answers.
  std::map<Ipv4, std::vector<Time>> sends;
  for (const TraceRecord& rec : r.with(NoteKind::kData, "clients", CaptureDir::kOut)) sends[rec.seg.src].push_back(rec.t);
  REQUIRE(sends.size() == 100);
  for (const auto& [addr, ts] : sends) {
    REQUIRE(ts.size() == 6);
    CHECK(ts[4] == Time::min(4));
    CHECK(ts[5] - ts[4] >= Time::h(2));
    CHECK(ts[5] - ts[4] <= Time::h(3));
  }
  // Gaps below the timeout: nobody is reset.
  std::string short_gaps = y;
  short_gaps.replace(short_gaps.find("[2h, 3h]"), 8, "[10m, 50m]");
  Run ok = run_yaml(short_gaps);
  CHECK(ok.sink.fleets.at(0).by_fate[static_cast<int>(Fate::kAlive)] == 100);
}

TEST_CASE("fleet traffic: idle gaps around the firewall's timeout: exactly the clients with a gap past it are reset") {
  // Single sends separated by gaps in [20 m, 70 m] for 4 h. A send refreshes
  // the firewall until its ACK passes (send + 3 ms), the next send reaches
  // the firewall 1 ms after it leaves: a gap of 1 h + 2 ms or more finds the
  // flow forgotten (reset-sender: the client is reset at once). So the
  // clients reset are exactly those with such a gap in their sends, which
  // the trace shows.
  std::string y = fleet(
      "    traffic: [ { at: 0s, every: 1m, burst: 1, idle: { uniform: [20m, 70m] }, from: client, bytes: 10 } ]", "4h");
  y.replace(y.find("idle_timeout: 1h"), 16, "idle_timeout: 1h, on_expiry: reset-sender");
  y.replace(y.find("keepalive: { server: { idle: 60s, interval: 10s, count: 3 } }"), 61, "keepalive: {}");
  Run r = run_yaml(y);
  std::map<Ipv4, std::vector<Time>> sends;
  for (const TraceRecord& rec : r.with(NoteKind::kData, "clients", CaptureDir::kOut)) sends[rec.seg.src].push_back(rec.t);
  uint64_t expected = 0;
  for (const auto& [addr, ts] : sends) {
    bool dies = false;
    for (size_t i = 1; i < ts.size(); ++i) {
      CHECK(ts[i] - ts[i - 1] >= Time::min(20));
      CHECK(ts[i] - ts[i - 1] <= Time::min(70));
      if (ts[i] - ts[i - 1] >= Time::h(1) + Time::ms(2)) {
        dies = true;
        CHECK(i == ts.size() - 1);  // the send that meets the RST is the last one
      }
    }
    expected += dies;
  }
  const FleetOutcome& f = r.sink.fleets.at(0);
  CHECK(f.by_fate[static_cast<int>(Fate::kReset)] == expected);
  CHECK(f.by_fate[static_cast<int>(Fate::kAlive)] == 100 - expected);
  // Each gap passes 1 h with probability 1/5 and a client draws 4 to 11 of
  // them: neither none nor all are reset (a fixed seed; the chance of either
  // is below 10^-10).
  CHECK(expected > 0);
  CHECK(expected < 100);
}

TEST_CASE("fleet traffic: exponential periods and drawn opening times") {
  std::string y = fleet("    traffic: [ { at: 0s, every: { exponential: 90s }, from: client, bytes: 1, stagger: true } ]", "1h");
  Run r = run_yaml(y);
  uint64_t data = r.with(NoteKind::kData, "clients", CaptureDir::kOut).size();
  // 100 clients x 3600 s / 90 s = 4000 expected; a Poisson count, sd 63.
  CHECK(data > 3600);
  CHECK(data < 4400);
  // Opening uniform in [5 m, 6 m]: no entry in the firewall before 5 m, all after 6 m.
  Run o = run_yaml(fleet("    open_within: { uniform: [5m, 6m] }"));
  CHECK(o.sink.samples.at(3).middlebox_entries[0] == 0);    // at 4 m
  CHECK(o.sink.samples.at(6).middlebox_entries[0] == 100);  // at 7 m
  CHECK(o.sink.fleets.at(0).by_fate[static_cast<int>(Fate::kAlive)] == 100);
  // Exponential with a mean of the run's length: some never open.
  Run e = run_yaml(fleet("    open_within: { exponential: 10m }"));
  uint64_t never = e.sink.fleets.at(0).by_fate[static_cast<int>(Fate::kNeverConnected)];
  CHECK(never > 0);  // e^-1: about 37 of 100
  CHECK(never < 100);
  CHECK(never + e.sink.fleets.at(0).by_fate[static_cast<int>(Fate::kAlive)] == 100);
  CHECK(load_error(fleet("    open_within: { uniform: [5m, 10m] }")) ==
        "test.yaml:20:18: open_at + open_within's upper bound must be before the end of the run");
  CHECK(load_error(fleet("    open_within: { uniform: [5m, 4m] }")) ==
        "test.yaml:20:34: open_within: uniform's upper bound '4m' is below its lower bound '5m'");
  CHECK(load_error(fleet("    open_within: { normal: 5m }")).find("unknown key 'normal' in open_within") !=
        std::string::npos);
  CHECK(load_error(fleet("    traffic: [ { at: 0s, every: 1m, burst: 2, from: client, bytes: 1 } ]")).find(
            "a bursty step needs both 'burst' (sends per burst) and 'idle'") != std::string::npos);
  CHECK(load_error(fleet("    traffic: [ { at: 0s, every: 1m, burst: { exponential: 3 }, idle: 1h, from: client, "
                         "bytes: 1 } ]"))
            .find("unknown key 'exponential' in burst") != std::string::npos);
}

TEST_CASE("fleet os_mix: expect checks the counts per client OS; --update writes them") {
  const std::string mix = "{ linux: 50%, windows: { share: 50%, sysctl: { KeepAliveTime: 120000 } } }";
  Run r = run_yaml(mixed(mix, R"(expect:
  connections:
    fleet:
      alive: 100
      os:
        linux: { alive: 50 }
        windows: { alive: 49, reset: 1 }
)"));
  std::vector<AssertionResult> rs = evaluate_expectations(r.scenario, r.scenario.expect, r.sink);
  REQUIRE(rs.size() == 4);
  CHECK(rs[0].passed);
  CHECK(rs[1].passed);
  CHECK(rs[1].name == "connection fleet: alive on linux");
  CHECK_FALSE(rs[2].passed);
  CHECK(rs[2].name == "connection fleet: alive on windows");
  CHECK(rs[2].expected == "49");
  CHECK(rs[2].actual == "50");
  CHECK_FALSE(rs[3].passed);
  CHECK(rs[3].mark.line == 26);
  // What --update writes for this fleet.
  Expectations d = default_expectations(r.scenario, r.sink);
  CHECK(format_expect_block(r.scenario, d).starts_with(
        "expect:\n  connections:\n    fleet:\n      alive: 100\n      os:\n        linux: { alive: 50 }\n"
        "        windows: { alive: 50 }\n      client: { keepalive_probes: 600 }\n      server: { keepalive_probes: 0 }\n"));
  CHECK(load_error(mixed(mix, "expect:\n  connections:\n    fleet:\n      os: { linx: { alive: 50 } }\n")) ==
        "test.yaml:23:13: unknown key 'linx' in expect.connections.fleet.os (the fleet's os_mix) (did you mean "
        "'linux'?) (expected one of: linux or windows)");
  CHECK(load_error(fleet("expect:\n  connections:\n    fleet:\n      os: { linux: { alive: 50 } }\n")) ==
        "test.yaml:23:11: expect.connections.fleet.os applies to a fleet with an os_mix");
}
