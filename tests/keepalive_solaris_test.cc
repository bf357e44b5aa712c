// illumos / Solaris keepalive rules (docs/profiles/solaris.md).
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
constexpr std::string_view kIdle60 = ", sysctl: { _keepalive_interval: 60000 }";
}

TEST_CASE("solaris: the probe is one 0x00 byte at suna-1, ack rnxt") {
  Run r = run_os({.os = "solaris", .server_extra = kIdle60, .keepalive = "{ server: { enabled: true } }", .duration = "2m"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "60.003000");
  CHECK(probes[0].seg.len == 1);
  CHECK(probes[0].seg.fill == 0);
  CHECK(probes[0].seg.seq == 5000);
  CHECK(probes[0].seg.ack == 1001);
}

TEST_CASE("solaris: probes spaced by the RTO, doubling, capped at idle-1ms; abort after idle+480 s with no RST") {
  Run r = run_os({.os = "solaris", .server_extra = kIdle60, .keepalive = "{ server: { enabled: true } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  // RTO 400 ms (_rexmit_interval_min) on this 2 ms path.
  CHECK(times(probes) == std::vector<std::string>{"60.003000", "60.403000", "61.203000", "62.803000", "66.003000",
                                                  "72.403000", "85.203000", "110.803000", "162.003000", "222.002000",
                                                  "282.001000", "342.000000", "401.999000", "461.998000", "521.997000"});
  CHECK(probes[0].why_b == -1);  // no count: the abort interval decides
  CHECK(r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut).empty());
  const auto& o = r.outcome();
  CHECK(o.side[1].error == SocketError::kEtimedout);
  CHECK(t(o.side[1].error_at) == "581.996000");  // first fire with idletime > 60 + 480
  CHECK(o.side[1].error_cause == "keepalive: 15 probes unanswered");
  CHECK(o.half_open);  // no RST: the client never learns
}

TEST_CASE("solaris: no probe while data is outstanding") {
  Run r = run_os({.os = "solaris", .server_extra = kIdle60, .keepalive = "{ server: { enabled: true } }",
                  .traffic = "{ at: 40s, from: server, bytes: 10 }", .faults = kSilenceClientAt30s});
  CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
  CHECK(!r.with(NoteKind::kDataRetransmit, "server", CaptureDir::kOut).empty());
}

TEST_CASE("solaris: TCP_KEEPCNT with TCP_KEEPINTVL sets abort = cnt*intvl; exact timers see equality and probe once more") {
  Run r = run_os({.os = "solaris", .keepalive = "{ server: { idle: 60s, interval: 10s, count: 3 } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  CHECK(times(probes) == std::vector<std::string>{"60.003000", "70.003000", "80.003000", "90.003000"});
  CHECK(t(r.outcome().side[1].error_at) == "100.003000");
}

TEST_CASE("solaris: ndd and ipadm tunable names, both in ms") {
  Scenario a = must_load(os_scenario({.os = "solaris", .server_extra = ", sysctl: { tcp_keepalive_interval: 600000, tcp_keepalive_abort_interval: 60000 }"}));
  CHECK(a.hosts[1].tunables.keepalive_idle == Time::s(600));
  CHECK(a.hosts[1].tunables.keepalive_abort == Time::s(60));
  Scenario b = must_load(os_scenario({.os = "solaris", .server_extra = ", sysctl: { _keepalive_interval: 600000, _ip_abort_interval: 60000 }"}));
  CHECK(b.hosts[1].tunables.keepalive_idle == Time::s(600));
  CHECK(b.hosts[1].tunables.retransmit_abort == Time::s(60));
  CHECK(load_error(os_scenario({.os = "solaris", .server_extra = ", sysctl: { tcp_keepalive_interval: 5000 }"}))
            .find("expected 10000..864000000") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { interval: 90s } }"}))
            .find("interval (TCP_KEEPINTVL) must be 1..60 s on solaris, got 90 s") != std::string::npos);
}

TEST_CASE("solaris: TCP_KEEPALIVE_THRESHOLD sets the idle time in ms (10 s..10 days), the alias of TCP_KEEPIDLE") {
  Run r = run_os({.os = "solaris", .keepalive = "{ server: { keepalive_threshold: 60500ms } }", .duration = "2m"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "60.503000");
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { keepalive_threshold: 5s } }"}))
            .find("keepalive_threshold (TCP_KEEPALIVE_THRESHOLD) must be 10000..864000000 ms on solaris, got 5000 ms") !=
        std::string::npos);
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { keepalive_threshold: 60000500us } }"}))
            .find("which solaris takes in whole milliseconds") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { idle: 60s, keepalive_threshold: 60000ms } }"}))
            .find("idle and keepalive_threshold both set the idle time (TCP_KEEPIDLE and TCP_KEEPALIVE_THRESHOLD) on "
                  "solaris") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "linux", .keepalive = "{ server: { keepalive_threshold: 60000ms } }"}))
            .find("linux has no per-socket option for 'keepalive_threshold'") != std::string::npos);
}

TEST_CASE("solaris: TCP_KEEPALIVE_ABORT_THRESHOLD replaces the abort interval; 0 probes forever") {
  // Abort 30 s: the RTO-spaced probes of the default case, and the first fire
  // with idletime > 60 + 30 s (110.803) closes the connection.
  Run r = run_os({.os = "solaris", .keepalive = "{ server: { idle: 60s, keepalive_abort_threshold: 30000ms } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  CHECK(times(probes) == std::vector<std::string>{"60.003000", "60.403000", "61.203000", "62.803000", "66.003000",
                                                  "72.403000", "85.203000"});
  CHECK(t(r.outcome().side[1].error_at) == "110.803000");
  CHECK(r.outcome().side[1].error == SocketError::kEtimedout);
  // 0: tcp_keepalive_timer() only aborts when tcp_ka_abort_thres != 0.
  Run never = run_os({.os = "solaris", .keepalive = "{ server: { idle: 60s, keepalive_abort_threshold: 0ms } }",
                      .faults = kSilenceClientAt30s, .duration = "30m"});
  CHECK(never.outcome().side[1].error == SocketError::kNone);
  CHECK(never.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).size() > 30);
  // TCP_KEEPCNT alone derives the interval from the socket's abort threshold
  // (40 s / 4 = 10 s, not the tunable's 480 s / 4 clamped to 60 s).
  Run cnt = run_os({.os = "solaris", .keepalive = "{ server: { idle: 60s, count: 4, keepalive_abort_threshold: 40000ms } }",
                    .faults = kSilenceClientAt30s});
  CHECK(times(cnt.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut)) ==
        std::vector<std::string>{"60.003000", "70.003000", "80.003000", "90.003000", "100.003000"});
  CHECK(t(cnt.outcome().side[1].error_at) == "110.003000");
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { keepalive_abort_threshold: -1ms } }"})) !=
        "(loaded without error)");
  CHECK(load_error(os_scenario({.os = "aix", .keepalive = "{ server: { keepalive_abort_threshold: 1000ms } }"}))
            .find("aix has no per-socket option for 'keepalive_abort_threshold'") != std::string::npos);
}
