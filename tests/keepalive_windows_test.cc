// Windows keepalive rules (docs/profiles/windows.md; low confidence, most
// rules UNVERIFIED: these tests pin the model, not Windows).
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

TEST_CASE("windows: registry KeepAliveTime/KeepAliveInterval are milliseconds") {
  Scenario s = must_load(os_scenario({.os = "windows", .server_extra = ", sysctl: { KeepAliveTime: 60000, KeepAliveInterval: 1500 }"}));
  CHECK(s.hosts[1].tunables.keepalive_idle == Time::s(60));
  CHECK(s.hosts[1].tunables.keepalive_interval == Time::ms(1500));
  CHECK(s.hosts[1].tunables.keepalive_probes == 10);
}

TEST_CASE("windows: 10 probes KeepAliveInterval apart, then RST and WSAENETRESET at L+idle+10*intvl") {
  Run r = run_os({.os = "windows", .server_extra = ", sysctl: { KeepAliveTime: 60000 }",
                  .keepalive = "{ server: { enabled: true } }", .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() == 10);
  CHECK(t(probes[0].t) == "60.003000");
  CHECK(t(probes[9].t) == "69.003000");
  CHECK(probes[0].seg.len == 1);
  CHECK(probes[0].seg.seq == 5000);
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "70.003000");
  CHECK(r.outcome().side[1].error == SocketError::kWsaEnetreset);
  CHECK(r.outcome().fate == Fate::kTimedOut);
}

TEST_CASE("windows: SIO_KEEPALIVE_VALS takes milliseconds; TCP_KEEPCNT is limited") {
  Run r = run_os({.os = "windows", .keepalive = "{ server: { idle: 1.5s, interval: 250ms, count: 2 } }",
                  .faults = "{ at: 1s, host: server, action: block-from, peer: client }", .duration = "10s"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  CHECK(times(probes) == std::vector<std::string>{"1.503000", "1.753000"});
  CHECK(t(r.outcome().side[1].error_at) == "2.003000");
  CHECK(load_error(os_scenario({.os = "windows", .keepalive = "{ server: { idle: 1500us } }"}))
            .find("which windows takes in whole milliseconds") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "windows", .keepalive = "{ server: { count: 300 } }"}))
            .find("expected 1..255") != std::string::npos);
}

TEST_CASE("windows: no probes while data is outstanding (UNVERIFIED rule)") {
  // Keepalive is due at 45.003, while the data sent at 40 s is still being
  // retransmitted (give-up at 58.9 s).
  Run r = run_os({.os = "windows", .server_extra = ", sysctl: { KeepAliveTime: 45000 }",
                  .keepalive = "{ server: { enabled: true } }", .traffic = "{ at: 40s, from: server, bytes: 10 }",
                  .faults = kSilenceClientAt30s});
  CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
  CHECK(r.outcome().side[1].error_cause == "retransmission timeout");
}
