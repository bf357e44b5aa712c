// The text and JSON sinks: exact line shapes, and JSON that a parser reads.
#include "kasim/trace.h"

#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
const char* kYaml = R"(
name: t
duration: 200s
hosts:
  a: { hz: 0, address: 10.0.0.1 }
  b: { hz: 0, address: 10.0.0.2 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, client_port: 40000, isn: { client: 1000, server: 5000 },
      keepalive: { server: { idle: 100s, interval: 10s, count: 3 } } }
)";

std::string run_to_string(const Scenario& s, bool json) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    TextSink text(f);
    JsonSink js(f);
    Simulator sim(s);
    if (json) sim.run(js);
    else sim.run(text);
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}
}  // namespace

TEST_CASE("text lines have the tcpdump -n -S -tt shape plus the reason") {
  Scenario s = must_load(kYaml);
  std::string out = run_to_string(s, false);
  CHECK(out.find("      0.000000 a        out  IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, "
                 "length 0  # connect(): SYN\n") != std::string::npos);
  CHECK(out.find("    100.003000 b        out  IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], seq 5000, ack 1001, "
                 "win 64240, length 0  # keepalive probe 1/3\n") != std::string::npos);
  CHECK(out.find("    100.004000 a        out  IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], seq 1001, ack 5001, "
                 "win 64240, length 0  # ACK answering a segment below the window (keepalive probe)\n") !=
        std::string::npos);
  CHECK(out.find("c: alive\n  client (a): ESTABLISHED, no error seen\n  server (b): ESTABLISHED, no error seen; 1 "
                 "keepalive probe sent\n") != std::string::npos);
}

TEST_CASE("JSON lines parse, carry the required fields, and end with outcomes") {
  Scenario s = must_load(kYaml);
  std::istringstream in(run_to_string(s, true));
  std::string line;
  int packets = 0, outcomes = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "packet") {
      ++packets;
      for (const char* k : {"t", "node", "src", "dst", "flags", "seq", "ack", "len", "kind", "origin", "note"})
        CHECK_MESSAGE(j.contains(k), k);
      if (j["kind"] == "keepalive-probe" && j["node"] == "b") {
        CHECK(j["dir"] == "out");
        CHECK(j["seq"] == 5000);
        CHECK(j["t_ns"] == 100003000000);
        CHECK(j["note"] == "keepalive probe 1/3");
      }
    } else if (j["type"] == "outcome") {
      ++outcomes;
      CHECK(j["fate"] == "alive");
      CHECK(j["server"]["keepalive_probes"] == 1);
    }
  }
  CHECK(packets > 0);
  CHECK(outcomes == 1);
}

TEST_CASE("JSON run record describes the nodes (firewall timeouts) and each connection's path") {
  Scenario s = must_load(R"(
name: fw-path
duration: 10s
hosts: { a: {address: 10.0.0.1}, b: {address: 10.0.0.2} }
middleboxes: { fw: { type: firewall, idle_timeout: 30m, on_expiry: reset-sender } }
links: [ {between: [a, fw], delay: 1ms}, {between: [fw, b], delay: 1ms} ]
connections: [ {name: c, client: a, server: b, port: 80} ]
)");
  std::istringstream in(run_to_string(s, true));
  std::string line;
  REQUIRE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  CHECK(j["type"] == "run");
  CHECK(j["scenario"] == "fw-path");
  REQUIRE(j["nodes"].size() == 3);
  CHECK(j["nodes"][0]["name"] == "a");
  CHECK(j["nodes"][0]["kind"] == "host");
  CHECK(j["nodes"][0]["address"] == "10.0.0.1");
  CHECK(j["nodes"][2]["name"] == "fw");
  CHECK(j["nodes"][2]["kind"] == "firewall");
  CHECK(j["nodes"][2]["idle_timeout"] == 1800.0);
  CHECK(j["nodes"][2]["syn_timeout"] == 120.0);
  CHECK(j["nodes"][2]["on_expiry"] == "reset-sender");
  REQUIRE(j["connections"].size() == 1);
  CHECK(j["connections"][0]["path"] == nlohmann::json::array({"a", "fw", "b"}));
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters so a parser gets them back") {
  // Names come from the scenario, so any character YAML allows reaches the JSON writer.
  std::string yaml = kYaml;
  yaml.replace(yaml.find("name: t\n"), 8, "name: \"q\\\"b\\\\s\\tt\\u0001n\"\n");
  yaml.replace(yaml.find("{ name: c,"), 10, "{ name: \"c\\\"x\\\\y\\u001fz\",");
  Scenario s = must_load(yaml);
  REQUIRE(s.name == "q\"b\\s\tt\x01n");
  std::istringstream in(run_to_string(s, true));
  std::string line;
  int runs = 0, packets = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a bad escape
    if (j["type"] == "run") {
      ++runs;
      CHECK(j["scenario"] == "q\"b\\s\tt\x01n");
    } else if (j["type"] == "packet") {
      ++packets;
      CHECK(j["connection"] == "c\"x\\y\x1fz");
    }
  }
  CHECK(runs == 1);
  CHECK(packets > 0);
}
