// `--set KEY=VALUE` overrides: applied to the YAML tree before validation,
// with errors attributed to the override.
#include "cli_util.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
const char* kBase = R"(name: base
duration: 3h
hosts:
  client: { address: 10.0.0.1 }
  server: { address: 10.0.1.1, sysctl: { net.ipv4.tcp_keepalive_time: 7200 } }
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

LoadResult load_with(std::vector<std::string> sets) {
  std::vector<Override> o;
  for (const std::string& s : sets) {
    std::string why;
    auto parsed = parse_override(s, &why);
    REQUIRE_MESSAGE(parsed, why);
    o.push_back(*parsed);
  }
  return load_scenario(kBase, "base.yaml", o);
}

Scenario must_set(std::vector<std::string> sets) {
  LoadResult r = load_with(std::move(sets));
  if (!r.scenario) FAIL(r.error.to_string());
  return std::move(*r.scenario);
}

std::string set_error(std::vector<std::string> sets) {
  LoadResult r = load_with(std::move(sets));
  return r.scenario ? std::string("(loaded)") : r.error.to_string();
}
}  // namespace

TEST_CASE("--set: existing keys, list items by index or name, dotted sysctl names, new keys") {
  Scenario s = must_set({"middleboxes.fw.idle_timeout=30m", "connections.0.keepalive.server.idle=45m",
                         "connections.telnet.port=2323", "hosts.server.sysctl.net.ipv4.tcp_keepalive_time=600",
                         "hosts.client.sysctl.net.ipv4.tcp_keepalive_probes=3", "middleboxes.fw.syn_timeout=60s",
                         "links.1.delay=2ms", "seed=42"});
  CHECK(s.middleboxes[0].firewall.established == Time::min(30));
  CHECK(s.connections[0].keepalive[1].options.idle_s == 45 * 60);
  CHECK(s.connections[0].port == 2323);
  CHECK(s.hosts[1].tunables.keepalive_idle == Time::s(600));
  CHECK(s.hosts[0].tunables.keepalive_probes == 3);  // the sysctl map was created
  CHECK(s.middleboxes[0].firewall.syn == Time::s(60));
  CHECK(s.links[1].delay == Time::ms(2));
  CHECK(s.seed == 42);
  // A YAML value: a whole mapping.
  Scenario k = must_set({"connections.0.keepalive={client: {idle: 10m}}"});
  CHECK(k.connections[0].keepalive[0].options.idle_s == 600);
  CHECK_FALSE(k.connections[0].keepalive[1].given);
  // Later overrides win.
  CHECK(must_set({"seed=1", "seed=2"}).seed == 2);
}

TEST_CASE("--set: errors name the override, or the file where the problem is") {
  CHECK(set_error({"middleboxes.fw.idle_timeout=soon"}) ==
        "--set middleboxes.fw.idle_timeout: idle_timeout: invalid duration 'soon': 's' is not a number (expected a "
        "number with a unit ns, us, ms, s, m, h or d, e.g. 75s, 1h30m, 500ms; a bare number is seconds)");
  CHECK(set_error({"middleboxes.fw.idle_timout=30m"})
            .starts_with("--set middleboxes.fw.idle_timout: unknown key 'idle_timout' in middlebox 'fw' (did you mean "
                         "'idle_timeout'?) (expected one of: type, "));
  CHECK(set_error({"hosts.server.sysctl.net.ipv4.tcp_keepalive_tme=600"}) ==
        "--set hosts.server.sysctl.net.ipv4.tcp_keepalive_tme: unknown linux tunable 'net.ipv4.tcp_keepalive_tme' "
        "(did you mean 'net.ipv4.tcp_keepalive_time'?) (kasim knows: net.ipv4.tcp_keepalive_time, "
        "net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_retries2, "
        "net.ipv4.tcp_syn_retries, net.ipv4.tcp_synack_retries, net.ipv4.tcp_invalid_ratelimit, "
        "net.ipv4.tcp_syn_linear_timeouts or net.ipv4.tcp_orphan_retries)");
  CHECK(set_error({"connections.3.port=1"}) == "--set connections.3.port: connections has 1 item, so there is no item 3");
  CHECK(set_error({"connections.telnt.port=1"}) ==
        "--set connections.telnt.port: connections has no item named 'telnt' (did you mean 'telnet'?) (use an index "
        "from 0 or a name)");
  CHECK(set_error({"name.x=1"}) == "--set name.x: name is a single value ('base'), so it has no key 'x'");
  CHECK(set_error({"connections.0.port=[1"}) ==
        "--set connections.0.port: invalid YAML: end of sequence flow not found");
  // A rule checked after conversion, on an overridden value.
  CHECK(set_error({"connections.0.server=fw"}) == "--set connections.0.server: server must be a host, but 'fw' is a middlebox");
  std::string why;
  CHECK_FALSE(parse_override("no-equals-sign", &why));
  CHECK(why == "--set expects KEY=VALUE (e.g. middleboxes.fw.idle_timeout=30m), got 'no-equals-sign'");
}

TEST_CASE("--set on the command line: kasim run") {
  CliResult r = cli({"run", "--set", "middleboxes.fw.idle_timeout=3h"});
  CHECK(r.code == 0);
  CHECK(r.out.find("telnet: alive\n") != std::string::npos);
  CliResult two = cli({"run", "--set", "middleboxes.fw.idle_timeout=3h", "--set", "duration=1h"});
  CHECK(two.out.find("# kasim: scenario firewall-expiry-reset (1h simulated") == 0);
  CliResult bad = cli({"run", "--set", "middleboxes.fw.idle_timeout=-1m"});
  CHECK(bad.code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "--set middleboxes.fw.idle_timeout: idle_timeout: invalid duration '-1m': durations cannot be negative\n");
  CliResult malformed = cli({"run", "--set", "duration"});
  CHECK(malformed.code == 2);
  CHECK(malformed.err == "kasim run: --set expects KEY=VALUE (e.g. middleboxes.fw.idle_timeout=30m), got 'duration'\n");
}
