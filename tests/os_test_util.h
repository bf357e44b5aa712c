// Scenarios for the per-OS rule tests: a Linux client (ideal timers) and a
// server running the OS under test, 1 ms apart, ISNs 1000 (client) and 5000
// (server). The handshake ACK reaches the server at 0.003 s, which is the
// server's idle reference L unless a test says otherwise.
#pragma once

#include <fmt/format.h>

#include "test_util.h"

namespace kasim::test {

struct OsCase {
  std::string_view os;             // server OS
  std::string_view server_extra = "";  // spliced into the server's host mapping: ", sysctl: {...}"
  std::string_view keepalive = "{}";
  std::string_view traffic = "";
  std::string_view faults = "";
  std::string_view duration = "1h";
  std::string_view middlebox = "";  // a firewall between the hosts when not empty: its mapping body
};

inline std::string os_scenario(const OsCase& c) {
  std::string hosts = fmt::format("  client: {{ os: linux, address: 10.0.0.1, hz: 0 }}\n  server: {{ os: {}, address: 10.0.0.2{} }}\n",
                                  c.os, c.server_extra);
  std::string links = c.middlebox.empty()
                          ? std::string("  - { between: [client, server], delay: 1ms }\n")
                          : std::string("  - { between: [client, fw], delay: 500us }\n  - { between: [fw, server], delay: 500us }\n");
  std::string mb = c.middlebox.empty() ? std::string() : fmt::format("middleboxes:\n  fw: {}\n", c.middlebox);
  return fmt::format(R"(
name: t
duration: {}
hosts:
{}{}links:
{}connections:
  - name: c
    client: client
    server: server
    port: 80
    isn: {{ client: 1000, server: 5000 }}
    keepalive: {}
    traffic: [{}]
faults: [{}]
)",
                     c.duration, hosts, mb, links, c.keepalive, c.traffic, c.faults);
}

inline Run run_os(const OsCase& c) { return run_yaml(os_scenario(c)); }

// The server silently drops everything from the client from 30 s on: its
// probes (and retransmissions) go unanswered.
inline constexpr std::string_view kSilenceClientAt30s = "{ at: 30s, host: server, action: block-from, peer: client }";

inline std::vector<std::string> times(const std::vector<TraceRecord>& v) {
  std::vector<std::string> out;
  for (const TraceRecord& r : v) out.push_back(t(r.t));
  return out;
}

}  // namespace kasim::test
