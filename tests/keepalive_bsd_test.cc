// FreeBSD, macOS (XNU) and OpenBSD keepalive rules (os_profile.h, sources in
// docs/profiles/{freebsd,macos,openbsd}.md), on a Linux client / BSD server.
// The two rules the BSD-derived kernels share (idle reset by any segment,
// probes while retransmitting) are checked here for every OS that has them,
// AIX and illumos included, one named subcase per OS.
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
constexpr std::string_view kFreebsd60 =
    ", sysctl: { net.inet.tcp.keepidle: 60000, net.inet.tcp.keepintvl: 10000, net.inet.tcp.keepcnt: 3 }";
}

TEST_CASE("freebsd: always_keepalive=1 probes a connection that never set SO_KEEPALIVE") {
  Run on = run_os({.os = "freebsd", .server_extra = kFreebsd60});
  auto probes = on.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() >= 2);
  CHECK(t(probes[0].t) == "60.003000");
  Run off = run_os({.os = "freebsd",
                    .server_extra = ", sysctl: { net.inet.tcp.keepidle: 60000, net.inet.tcp.always_keepalive: 0 }"});
  CHECK(off.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
}

TEST_CASE("freebsd: the probe is an ACK with 0 bytes, seq snd_una-1, ack rcv_nxt") {
  Run r = run_os({.os = "freebsd", .server_extra = kFreebsd60});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(probes[0].seg.flags == kAck);
  CHECK(probes[0].seg.len == 0);
  CHECK(probes[0].seg.seq == 5000);
  CHECK(probes[0].seg.ack == 1001);
}

TEST_CASE("freebsd: cnt probes at L+idle+k*intvl, then RST|ACK and ETIMEDOUT at L+idle+cnt*intvl") {
  Run r = run_os({.os = "freebsd", .server_extra = kFreebsd60, .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  CHECK(times(probes) == std::vector<std::string>{"60.003000", "70.003000", "80.003000"});
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "90.003000");
  CHECK(rst[0].seg.flags == (kRst | kAck));
  CHECK(rst[0].seg.seq == 5001);
  CHECK(rst[0].seg.ack == 1001);
  CHECK(r.outcome().side[1].error == SocketError::kEtimedout);
  CHECK(t(r.outcome().side[1].error_at) == "90.003000");
}

TEST_CASE("freebsd vs linux: any received segment resets the idle clock, even the peer's 0-byte probe") {
  // The Linux client probes every 50 s; its probes lie below the server's
  // window. FreeBSD counts them as traffic and never probes; Linux does not.
  std::string_view ka = "{ client: { idle: 50s, interval: 5s, count: 3 }, server: { enabled: true } }";
  Run bsd = run_os({.os = "freebsd",
                    .server_extra = ", sysctl: { net.inet.tcp.keepidle: 60000, net.inet.tcp.always_keepalive: 0 }",
                    .keepalive = ka,
                    .duration = "10m"});
  CHECK(bsd.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
  CHECK(bsd.with(NoteKind::kKeepaliveProbe, "client", CaptureDir::kOut).size() >= 10);
  Run lin = run_os({.os = "linux",
                    .server_extra = ", hz: 0, sysctl: { net.ipv4.tcp_keepalive_time: 60 }",
                    .keepalive = ka,
                    .duration = "10m"});
  auto probes = lin.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "60.003000");
}

TEST_CASE("freebsd: socket options are seconds (TCP_KEEPIDLE), sysctls milliseconds") {
  Run r = run_os({.os = "freebsd", .keepalive = "{ server: { idle: 30s, interval: 5s, count: 2 } }",
                  .faults = "{ at: 10s, host: server, action: block-from, peer: client }"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  CHECK(times(probes) == std::vector<std::string>{"30.003000", "35.003000"});
  CHECK(load_error(os_scenario({.os = "freebsd", .keepalive = "{ server: { idle: 1500ms } }"}))
            .find("idle sets TCP_KEEPIDLE, which freebsd takes in whole seconds") != std::string::npos);
}

TEST_CASE("macos: keepalive is off without SO_KEEPALIVE (always_keepalive=0)") {
  Run r = run_os({.os = "macos", .server_extra = ", sysctl: { net.inet.tcp.keepidle: 60000 }"});
  CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
}

TEST_CASE("macos: TCP_KEEPALIVE is the idle option; default 8 probes, RST at L+idle+8*intvl") {
  Run r = run_os({.os = "macos",
                  .server_extra = ", sysctl: { net.inet.tcp.keepintvl: 10000 }",
                  .keepalive = "{ server: { idle: 60s } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() == 8);
  CHECK(t(probes[0].t) == "60.003000");
  CHECK(t(probes[7].t) == "130.003000");
  CHECK(probes[0].seg.len == 0);
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "140.003000");
  CHECK(r.outcome().side[1].error == SocketError::kEtimedout);
}

TEST_CASE("macos: an answered probe re-arms the keep timer to idle from the answer") {
  Run r = run_os({.os = "macos", .keepalive = "{ server: { idle: 60s, interval: 10s } }", .duration = "3m"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  // The answer reaches the server at 60.005; the next probe is one idle later.
  CHECK(times(probes) == std::vector<std::string>{"60.003000", "120.005000"});
}

TEST_CASE("macos: has no TCP_USER_TIMEOUT, and the error names macos") {
  std::string e = load_error(os_scenario({.os = "macos", .keepalive = "{ server: { user_timeout: 10s } }"}));
  CHECK(e.find("macos has no per-socket option for 'user_timeout'") != std::string::npos);
  CHECK(e.find("TCP_RXT_CONNDROPTIME") != std::string::npos);
}

TEST_CASE("openbsd: no per-socket keepalive options at all; the error names openbsd") {
  std::string e = load_error(os_scenario({.os = "openbsd", .keepalive = "{ server: { idle: 60s } }"}));
  CHECK(e.find("openbsd has no per-socket option for 'idle'") != std::string::npos);
  CHECK(e.find("net.inet.tcp.keepidle") != std::string::npos);
}

TEST_CASE("openbsd: sysctls in seconds, the count fixed at 8: RST at L+idle+8*intvl") {
  Run r = run_os({.os = "openbsd",
                  .server_extra = ", sysctl: { net.inet.tcp.keepidle: 60, net.inet.tcp.keepintvl: 10 }",
                  .keepalive = "{ server: { enabled: true } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() == 8);
  CHECK(t(probes[0].t) == "60.003000");
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "140.003000");
  std::string e = load_error(os_scenario({.os = "openbsd", .server_extra = ", sysctl: { net.inet.tcp.keepcnt: 3 }"}));
  CHECK(e.find("unknown openbsd tunable 'net.inet.tcp.keepcnt'") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "openbsd", .server_extra = ", sysctl: { net.inet.tcp.keepintvl: 300 }"}))
            .find("expected 1..225") != std::string::npos);
}

namespace {
// Keepalive on with a 60 s idle time, in each OS's own tunable and unit.
struct Idle60 {
  std::string_view os;
  std::string_view server_extra;
  std::string_view first_probe;  // when the server probes if nothing arrives after the handshake (L = 0.003)
};
constexpr Idle60 kIdle60[] = {
    {"freebsd", ", sysctl: { net.inet.tcp.keepidle: 60000, net.inet.tcp.always_keepalive: 0 }", "60.003000"},
    {"macos", ", sysctl: { net.inet.tcp.keepidle: 60000 }", "60.003000"},
    {"openbsd", ", sysctl: { net.inet.tcp.keepidle: 60 }", "60.003000"},
    // 500 ms ticks from 0: the keep timer armed at 0.003 ends on the tick at 60.0.
    {"aix", ", tick_phase: 0s, sysctl: { tcp_keepidle: 120 }", "60.000000"},
    {"solaris", ", sysctl: { _keepalive_interval: 60000 }", "60.003000"},
};
}  // namespace

TEST_CASE("bsd family (freebsd, macos, openbsd, aix, solaris): any received segment resets the idle clock") {
  // The Linux client's 0-byte probes (every ~50 s, answered) lie below the
  // server's window; these kernels note the time of every segment before
  // validating it (t_rcvtime / tcp_last_recv_time), so the server's 60 s idle
  // never runs out. The control run without the client's probes shows the
  // same server would probe at L + 60 s.
  for (const Idle60& c : kIdle60) {
    SUBCASE(std::string(c.os).c_str()) {
      Run quiet = run_os({.os = c.os, .server_extra = c.server_extra, .keepalive = "{ server: { enabled: true } }",
                          .duration = "2m"});
      auto control = quiet.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
      REQUIRE(!control.empty());
      CHECK(t(control[0].t) == c.first_probe);
      Run probed = run_os({.os = c.os,
                           .server_extra = c.server_extra,
                           .keepalive = "{ client: { idle: 50s, interval: 5s, count: 3 }, server: { enabled: true } }",
                           .duration = "10m"});
      CHECK(probed.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
      CHECK(probed.with(NoteKind::kKeepaliveProbe, "client", CaptureDir::kOut).size() >= 10);
      CHECK(probed.outcome().fate == Fate::kAlive);
    }
  }
}

TEST_CASE("bsd family (freebsd, macos, openbsd, aix): probes go out while data is being retransmitted") {
  // The server writes 100 bytes at 40 s, 10 s after it stopped hearing the
  // client: its retransmissions run and the keep timer still probes (these
  // kernels' keep timers have no outstanding-data check); here keepalive
  // gives up before the retransmission limit. Linux, illumos and Windows stay
  // silent instead (their own tests).
  struct Case {
    std::string_view os;
    std::string_view server_extra;
    std::vector<std::string> probes;
    std::string_view gave_up;
    std::string_view cause;
  };
  const Case cases[] = {
      {"freebsd", kFreebsd60, {"60.003000", "70.003000", "80.003000"}, "90.003000", "keepalive: 3 probes unanswered"},
      // Idle 45 s: macOS gives up on the data at 57.93 s (retransmit_os_test.cc).
      {"macos",
       ", sysctl: { net.inet.tcp.keepidle: 45000, net.inet.tcp.keepintvl: 5000, net.inet.tcp.keepcnt: 2 }",
       {"45.003000", "50.003000"},
       "55.003000",
       "keepalive: 2 probes unanswered"},
      {"openbsd",
       ", sysctl: { net.inet.tcp.keepidle: 60, net.inet.tcp.keepintvl: 10 }",
       {"60.003000", "70.003000", "80.003000", "90.003000", "100.003000", "110.003000", "120.003000", "130.003000"},
       "140.003000",
       "keepalive: 8 probes unanswered"},
      // AIX: keepcnt+1 probes on the 500 ms grid (keepalive_aix_test.cc).
      {"aix",
       ", tick_phase: 0s, sysctl: { tcp_keepidle: 120, tcp_keepintvl: 20, tcp_keepcnt: 3 }",
       {"60.000000", "70.000000", "80.000000", "90.000000"},
       "100.000000",
       "keepalive: 4 probes unanswered"},
  };
  for (const Case& c : cases) {
    SUBCASE(std::string(c.os).c_str()) {
      Run r = run_os({.os = c.os,
                      .server_extra = c.server_extra,
                      .keepalive = "{ server: { enabled: true } }",
                      .traffic = "{ at: 40s, from: server, bytes: 100 }",
                      .faults = kSilenceClientAt30s});
      auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
      auto rtx = r.with(NoteKind::kDataRetransmit, "server", CaptureDir::kOut);
      CHECK(times(probes) == c.probes);
      REQUIRE(!rtx.empty());
      REQUIRE(!probes.empty());
      CHECK(rtx.front().t < probes.front().t);  // the probes come while retransmitting
      CHECK(r.outcome().side[1].error_cause == c.cause);
      CHECK(t(r.outcome().side[1].error_at) == c.gave_up);
    }
  }
}
