// The loader: what it accepts, and the exact message for each class of bad input.
#include "kasim/scenario.h"

#include <fmt/format.h>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
const char* kGood = R"(name: ok
duration: 3h
seed: 7
hosts:
  client: { os: linux, address: 10.0.0.1 }
  server: { os: linux, address: 10.0.1.1, sysctl: { net.ipv4.tcp_keepalive_time: 600 } }
middleboxes:
  fw: { type: firewall, idle_timeout: 1h, on_expiry: reset-sender }
links:
  - { between: [client, fw], delay: 1ms, loss: 0.5% }
  - { between: [fw, server], delay: 500us }
connections:
  - name: telnet
    client: client
    server: server
    port: 23
    keepalive:
      server: { enabled: true, idle: 55, interval: 6s, count: 2, user_timeout: 1500ms }
    traffic:
      - { at: 2s, from: client, bytes: 86 }
      - { every: 75s, from: server, bytes: 1, until: 1h }
faults:
  - { at: 10m, link: [client, fw], state: down }
  - { at: 11m, host: server, action: block-from, peer: client }
  - { at: 12m, middlebox: fw, action: flush }
)";

// The good scenario with one line replaced.
std::string with(std::string_view from, std::string_view to) {
  std::string s = kGood;
  size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return s.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("a complete scenario loads with every value converted") {
  Scenario s = must_load(kGood);
  CHECK(s.name == "ok");
  CHECK(s.duration == Time::h(3));
  CHECK(s.seed == 7);
  REQUIRE(s.hosts.size() == 2);
  CHECK(s.hosts[1].tunables.keepalive_idle == Time::s(600));
  CHECK(s.hosts[1].tunables.keepalive_probes == 9);
  CHECK(s.middleboxes[0].firewall.established == Time::h(1));
  CHECK(s.middleboxes[0].firewall.on_no_state == NoStateAction::kResetSender);
  CHECK(s.links[0].loss_ppb == 5'000'000);
  CHECK(s.links[1].delay == Time::us(500));
  const ConnectionSpec& c = s.connections[0];
  CHECK(c.keepalive[1].options.idle_s == 55);
  CHECK(c.keepalive[1].options.interval_s == 6);
  CHECK(c.keepalive[1].options.count == 2);
  CHECK(c.keepalive[1].options.user_timeout_ms == 1500);
  CHECK_FALSE(c.keepalive[0].given);
  CHECK(c.traffic[1].every == Time::s(75));
  CHECK(c.traffic[1].from == Side::kServer);
  CHECK(s.faults.size() == 3);
  CHECK(s.node_index("fw") == 2);
}

TEST_CASE("bad input: each class gets file:line:col and a helpful message") {
  // YAML syntax
  CHECK(load_error("name: [unclosed\n") ==
        "test.yaml:2:1: invalid YAML: end of sequence flow not found");
  // unknown key with a suggestion
  CHECK(load_error(with("idle_timeout: 1h", "idle_timout: 1h")) ==
        "test.yaml:8:25: unknown key 'idle_timout' in middlebox 'fw' (did you mean 'idle_timeout'?) "
        "(expected one of: type, profile, idle_timeout, syn_timeout, fin_timeout, time_wait_timeout, close_timeout, "
            "on_expiry, reset_senders, on_idle, probe_interval, probe_count, refresh_on, refresh_from, pickup, "
            "pickup_timeout, window_check, max_retrans, retrans_timeout, max_entries, when_full, adaptive, nat or "
        "reset_style)");
  CHECK(load_error(with("duration: 3h", "duraton: 3h")).starts_with(
        "test.yaml:2:1: unknown key 'duraton' in the scenario (did you mean 'duration'?)"));
  // wrong type
  CHECK(load_error(with("seed: 7", "seed: seven")) == "test.yaml:3:7: seed must be a whole number, got 'seven'");
  CHECK(load_error(with("  - { between: [fw, server], delay: 500us }", "  - [fw, server]")) ==
        "test.yaml:11:5: a link must be a mapping (key: value), got a list");
  // negative, absurd, and mistyped durations
  CHECK(load_error(with("delay: 500us", "delay: -5ms")) ==
        "test.yaml:11:37: delay: invalid duration '-5ms': durations cannot be negative");
  CHECK(load_error(with("duration: 3h", "duration: 200000d")) ==
        "test.yaml:2:11: duration: duration '200000d' is too large (at most 100 years)");
  CHECK(load_error(with("duration: 3h", "duration: 5 mins")) ==
        "test.yaml:2:11: duration: invalid duration '5 mins': spaces are not allowed (expected a number with a unit "
        "ns, us, ms, s, m, h or d, e.g. 75s, 1h30m, 500ms; a bare number is seconds)");
  CHECK(load_error(with("duration: 3h", "duration: 0s")) == "test.yaml:2:11: duration must be longer than 0s");
  // unknown names, with suggestions
  CHECK(load_error(with("client: client\n", "client: clinet\n")) ==
        "test.yaml:14:13: client names 'clinet', which is not a host (did you mean 'client'?)");
  CHECK(load_error(with("between: [fw, server]", "between: [fw, sever]")) ==
        "test.yaml:11:21: between names 'sever', which is not a host or middlebox (did you mean 'server'?)");
  CHECK(load_error(with("client: client\n", "client: fw\n")) ==
        "test.yaml:14:13: client must be a host, but 'fw' is a middlebox");
  // duplicates
  CHECK(load_error(with("  fw: { type", "  client: { type")) == "test.yaml:8:3: duplicate node name 'client'");
  CHECK(load_error(with("  - { between: [fw, server], delay: 500us }",
                        "  - { between: [fw, server], delay: 500us }\n  - { between: [server, fw], delay: 1ms }")) ==
        "test.yaml:12:16: duplicate link between server and fw");
  CHECK(load_error(with("address: 10.0.1.1", "address: 10.0.0.1")) ==
        "test.yaml:6:33: address 10.0.0.1 is already used by host 'client'");
  // no route
  CHECK(load_error(with("  - { between: [fw, server], delay: 500us }\n", "")) ==
        "test.yaml:12:5: no route from client to server: add links that join them");
  // per-OS ranges and units
  CHECK(load_error(with("idle: 55,", "idle: 40000,")) ==
        "test.yaml:18:38: idle (TCP_KEEPIDLE) must be 1..32767 s on linux, got 40000 s");
  CHECK(load_error(with("idle: 55,", "idle: 55.5s,")) ==
        "test.yaml:18:38: idle sets TCP_KEEPIDLE, which linux takes in whole seconds: '55.5s' is not");
  CHECK(load_error(with("count: 2,", "count: 128,")) ==
        "test.yaml:18:63: count is out of range: 128 (expected 1..127)");
  CHECK(load_error(with("net.ipv4.tcp_keepalive_time: 600", "net.ipv4.tcp_keepalive_tme: 600")) ==
        "test.yaml:6:53: unknown linux tunable 'net.ipv4.tcp_keepalive_tme' (did you mean "
        "'net.ipv4.tcp_keepalive_time'?) (kasim knows: net.ipv4.tcp_keepalive_time, net.ipv4.tcp_keepalive_intvl, "
        "net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_retries2, net.ipv4.tcp_syn_retries, "
        "net.ipv4.tcp_synack_retries, net.ipv4.tcp_invalid_ratelimit, "
        "net.ipv4.tcp_syn_linear_timeouts or net.ipv4.tcp_orphan_retries)");
  CHECK(load_error(with("os: linux, address: 10.0.0.1", "os: linx, address: 10.0.0.1")) ==
        "test.yaml:5:17: unknown os 'linx' (did you mean 'linux'?) (known: linux, windows, macos, freebsd, openbsd, solaris or aix)");
  // enums
  CHECK(load_error(with("on_expiry: reset-sender", "on_expiry: reset")) ==
        "test.yaml:8:54: on_expiry must be drop or reset-sender, got 'reset'");
  // missing required keys
  CHECK(load_error(with("    port: 23\n", "")) == "test.yaml:13:5: a connection is missing the required key 'port'");
  // not a mapping at all
  CHECK(load_error("- a\n- b\n") ==
        "test.yaml:1:1: a scenario must be a mapping of keys (name, duration, hosts, ...), got a list");
}

TEST_CASE("a missing file is a diagnostic, not a crash") {
  LoadResult r = load_scenario_file("/nonexistent/x.yaml");
  CHECK_FALSE(r.scenario);
  CHECK(r.error.to_string() == "/nonexistent/x.yaml: cannot read the file (does it exist?)");
}

TEST_CASE("scenario: jiffies_phase pins a host's jiffies clock") {
  const char* base = R"(
name: t
duration: 20s
hosts:
  a: { hz: 250 PHASE }
  b: { hz: 250 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: b, server: a, port: 80, keepalive: { server: { idle: 5s, interval: 1s, count: 1 } } }
)";
  auto with = [&](std::string phase) {
    std::string y = base;
    y.replace(y.find("PHASE"), 5, phase);
    return y;
  };
  // The first probe is armed at 2 ms (the handshake ACK), for 1250 jiffies on
  // the 64-jiffy level: it fires at the first multiple of 64 jiffies after
  // jiffy(2 ms) + 1250. Phase 0: jiffy 0 at time 0 -> 1280 jiffies = 5.12 s.
  Run r0 = run_yaml(with(", jiffies_phase: 0s"));
  auto p0 = r0.with(NoteKind::kKeepaliveProbe, "a", CaptureDir::kOut);
  REQUIRE(p0.size() >= 1);
  CHECK(t(p0[0].t) == "5.120000");
  // Phase 100 ms (25 jiffies): the same grid point is 100 ms earlier in run time.
  Run r1 = run_yaml(with(", jiffies_phase: 100ms"));
  auto p1 = r1.with(NoteKind::kKeepaliveProbe, "a", CaptureDir::kOut);
  REQUIRE(p1.size() >= 1);
  CHECK(t(p1[0].t) == "5.020000");
  std::string ideal = with("");
  ideal.replace(ideal.find("hz: 250"), 7, "hz: 0, jiffies_phase: 1s");
  CHECK(load_error(ideal).find("jiffies_phase needs a host with a jiffies clock") != std::string::npos);
}
