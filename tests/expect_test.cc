// Expectations as a library: loading the block, evaluating it against a run
// in memory, and rewriting it in a file's text.
#include "kasim/expect.h"

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
// A firewall that forgets the connection after 1 h; the server probes at 2 h.
const char* kScenario = R"(name: fw
duration: 3h
hosts:
  client: { address: 10.0.0.1 }
  server: { address: 10.0.1.1, hz: 0 }
middleboxes:
  fw: { type: firewall, idle_timeout: 1h, on_expiry: reset-sender }
links:
  - { between: [client, fw], delay: 1ms }
  - { between: [fw, server], delay: 500us }
connections:
  - name: telnet
    client: client
    server: server
    port: 23
    keepalive:
      server: { enabled: true }
)";

std::vector<AssertionResult> check(const std::string& expect_block) {
  Run r = run_yaml(std::string(kScenario) + expect_block);
  REQUIRE(r.scenario.expect.present);
  return evaluate_expectations(r.scenario, r.scenario.expect, r.sink);
}

std::string passes(const std::vector<AssertionResult>& rs) {
  std::string out;
  for (const AssertionResult& r : rs) out += r.passed ? '+' : '-';
  return out;
}
}  // namespace

TEST_CASE("expect: outcomes and packets, with tolerance per file and per assertion") {
  // hz 0: the probe leaves at exactly 2h after the handshake ACK (0.0045).
  Run r = run_yaml(kScenario);
  CHECK(format_outcome_text(r.scenario, r.outcome()).starts_with("telnet: reset at 7200.005500 (caused by fw)"));
  CHECK(passes(check(R"(expect:
  connections:
    telnet:
      fate: reset
      at: 7200.0055
      killer: fw
      half_open: true
      client: { errno: none, at: never, state: ESTABLISHED, keepalive_probes: 0 }
      server: { errno: ECONNRESET, at: 7200.0055, keepalive_probes: 1 }
  packets:
    - { node: server, dir: out, kind: keepalive-probe, at: 7200.0045 }
    - { node: fw, dir: drop, kind: keepalive-probe, count: 1 }
    - { node: fw, from: fw, to: server, flags: R, len: 0, count: 1, after: 2h, before: 3h }
    - { from: fw, to: server, count: 2 }
    - { from: fw, count: 0, before: 2h }
    - { connection: telnet, after: 7200.0055, count: 0 }
)")) == "+++++++++++++++++");
  // Off by 1 ms: fails exactly, passes with a file tolerance or the assertion's own.
  CHECK(passes(check("expect:\n  connections:\n    telnet: { at: 7200.0065 }\n")) == "-");
  CHECK(passes(check("expect:\n  tolerance: 1ms\n  connections:\n    telnet: { at: 7200.0065 }\n")) == "+");
  CHECK(passes(check("expect:\n  tolerance: 1ms\n  connections:\n    telnet: { tolerance: 999us, at: 7200.0065 }\n")) ==
        "-");
  CHECK(passes(check("expect:\n  packets:\n    - { from: fw, at: 7200.006, tolerance: 1ms }\n"
                     "    - { from: fw, at: 7200.006 }\n")) == "+-");
  // Counting in windows: after is strict.
  CHECK(passes(check("expect:\n  packets:\n    - { node: fw, dir: out, flags: R, count: 1, after: 7200.0045 }\n"
                     "    - { node: fw, dir: out, flags: R, count: 0, after: 7200.0045 }\n"
                     "    - { kind: keepalive-probe, dir: out, after: 7200.0045 }\n"
                     "    - { kind: keepalive-probe, dir: out, before: 7200.0045 }\n"
                     "    - { kind: keepalive-probe, dir: out, after: 7200.0044 }\n")) == "+---+");
}

TEST_CASE("expect: seq, ack and len match the header fields exactly") {
  // ISNs fixed: the server's probe is seq snd_una-1 = 5000, ack 1001; the
  // firewall's RST to the server takes its seq from the probe's ACK: 1001.
  std::string yaml = std::string(kScenario) + "    isn: { client: 1000, server: 5000 }\n";
  auto eval = [&](const std::string& block) {
    Run r = run_yaml(yaml + block);
    REQUIRE(r.scenario.expect.present);
    return passes(evaluate_expectations(r.scenario, r.scenario.expect, r.sink));
  };
  CHECK(eval("expect:\n  packets:\n"
             "    - { node: server, dir: out, kind: keepalive-probe, seq: 5000, ack: 1001, len: 0, count: 1 }\n"
             "    - { node: server, dir: out, kind: keepalive-probe, seq: 5001 }\n"
             "    - { node: server, dir: out, kind: keepalive-probe, ack: 1000 }\n"
             "    - { node: server, dir: out, kind: keepalive-probe, len: 1 }\n"
             "    - { from: fw, flags: R, seq: 1001, count: 2 }\n"
             "    - { from: fw, flags: R, seq: 1000, count: 0 }\n") == "+---++");
}

TEST_CASE("expect: loader errors point at the block") {
  auto err = [](const std::string& block) { return load_error(std::string(kScenario) + block); };
  CHECK(err("expect:\n  packets:\n    - { from: fw, at: 1h, after: 2h }\n") ==
        "test.yaml:20:23: at cannot be combined with after or before: use at (± tolerance) or a window");
  CHECK(err("expect:\n  packets:\n    - { flags: RA, count: 1 }\n") ==
        "test.yaml:20:16: flags must be spelt as traces print them (S, S., ., P., F., R, R. ...), got 'RA' (did you "
        "mean 'R'?)");
  CHECK(err("expect:\n  packets:\n    - { to: fw }\n") == "test.yaml:20:13: to must be a host, but 'fw' is a middlebox");
  CHECK(err("expect:\n  connections:\n    telnet: { fate: dead }\n") ==
        "test.yaml:20:21: fate must be alive, closed, reset, timed-out, refused or never-connected, got 'dead'");
  CHECK(err("expect:\n  connections:\n    telnet: { server: { errno: ECONNRESTE } }\n") ==
        "test.yaml:20:32: errno must be none, ECONNRESET, ETIMEDOUT, ECONNREFUSED, EPIPE or WSAENETRESET, got 'ECONNRESTE' (did "
        "you mean 'ECONNRESET'?)");
  CHECK(err("expect:\n  tolerance: 1ms\n") ==
        "test.yaml:19:3: expect must hold at least one assertion under 'connections' or 'packets'");
  CHECK(err("expect:\n  packet: []\n") ==
        "test.yaml:19:3: unknown key 'packet' in expect (did you mean 'packets'?) (expected one of: tolerance, "
        "connections or packets)");
}

TEST_CASE("expect: the block is replaced in place, wherever it is, keeping everything else") {
  std::string text = "name: x   # c1\nexpect:\n  connections:\n    a: { fate: alive }   # kept\n    b: {}\n\n"
                     "# about the hosts\nhosts: {}\n";
  Expectations old;
  old.present = true;
  old.mark = {2, 1};
  std::string why;
  auto out = replace_expect_block(text, old, "expect:\n  connections:\n    a: { fate: alive }\n    b: { x }\n", &why);
  REQUIRE(out);
  CHECK(*out == "name: x   # c1\nexpect:\n  connections:\n    a: { fate: alive }   # kept\n    b: { x }\n\n"
                "# about the hosts\nhosts: {}\n");
  old.mark = {2, 3};
  CHECK_FALSE(replace_expect_block(text, old, "expect: {}\n", &why));
  Expectations none;
  CHECK(*replace_expect_block("a: 1", none, "expect: {}\n", &why) == "a: 1\n\nexpect: {}\n");
}

TEST_CASE("expect: times are written exactly") {
  CHECK(format_expect_time(Time::h(2)) == "2h");
  CHECK(format_expect_time(Time::ms(22005)) == "22.005");
  CHECK(format_expect_time(Time::ns(7209879747617)) == "7209.879747617");
  CHECK(format_expect_time(Time::never()) == "never");
  CHECK(*parse_duration(format_expect_time(Time::ns(7209879747617)), nullptr) == Time::ns(7209879747617));
}
