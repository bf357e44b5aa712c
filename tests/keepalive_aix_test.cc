// AIX keepalive rules (docs/profiles/aix.md): 500 ms slowtimo grid,
// tcp_keepcnt+1 probes, 1-byte probes with ack = rcv_nxt-1, RST acceptance
// at rcv_nxt-1. tick_phase 0 puts ticks at whole half-seconds.
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
constexpr std::string_view kAix60 = ", tick_phase: 0s, sysctl: { tcp_keepidle: 120, tcp_keepintvl: 20, tcp_keepcnt: 3 }";
}

TEST_CASE("aix: tcp_keepidle and tcp_keepintvl count half-seconds") {
  Scenario s = must_load(os_scenario({.os = "aix", .server_extra = kAix60}));
  CHECK(s.hosts[1].tunables.keepalive_idle == Time::s(60));
  CHECK(s.hosts[1].tunables.keepalive_interval == Time::s(10));
  CHECK(s.hosts[1].tunables.keepalive_probes == 3);
  Scenario d = must_load(os_scenario({.os = "aix"}));
  CHECK(d.hosts[1].tunables.keepalive_idle == Time::s(7200));  // 14400 half-seconds
}

TEST_CASE("aix: tcp_keepcnt+1 probes on the 500 ms grid, RST|ACK at L+idle+(cnt+1)*intvl") {
  Run r = run_os({.os = "aix", .server_extra = kAix60, .keepalive = "{ server: { enabled: true } }",
                  .faults = kSilenceClientAt30s});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  // L = 0.003 lies just after the tick at 0: the first probe is 120 ticks
  // after that tick, 3 ms before L+idle.
  CHECK(times(probes) == std::vector<std::string>{"60.000000", "70.000000", "80.000000", "90.000000"});
  CHECK(probes.back().why_a == 4);
  CHECK(probes.back().why_b == 4);
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "100.000000");
  CHECK(rst[0].seg.flags == (kRst | kAck));
  CHECK(rst[0].seg.seq == 5001);
  CHECK(rst[0].seg.ack == 1001);
  CHECK(r.outcome().side[1].error == SocketError::kEtimedout);
}

TEST_CASE("aix: the first probe can come almost a whole tick (0.5 s) early") {
  // Ticks at 0.004 + 0.5k: L = 0.003 falls 1 ms before a tick, so the keep
  // timer's 120 ticks end at 59.504, 0.499 s before L+idle.
  Run r = run_os({.os = "aix", .server_extra = ", tick_phase: 4ms, sysctl: { tcp_keepidle: 120, tcp_keepintvl: 20 }",
                  .keepalive = "{ server: { enabled: true } }", .duration = "2m"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "59.504000");
}

TEST_CASE("aix: the probe carries one byte at snd_una-1 and ack = rcv_nxt-1") {
  Run r = run_os({.os = "aix", .server_extra = kAix60, .keepalive = "{ server: { enabled: true } }",
                  .traffic = "{ at: 1s, from: client, bytes: 86 }", .duration = "2m"});
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(probes[0].seg.flags == kAck);
  CHECK(probes[0].seg.len == 1);
  CHECK(probes[0].seg.seq == 5000);
  CHECK(probes[0].seg.ack == 1086);  // rcv_nxt is 1087
  // The Linux client answers the old byte at once with a pure ACK.
  CHECK(!r.with(NoteKind::kAckOfProbe, "client", CaptureDir::kOut).empty());
}

TEST_CASE("aix: the keep timer runs without SO_KEEPALIVE but sends nothing") {
  Run r = run_os({.os = "aix", .server_extra = kAix60, .duration = "5m"});
  CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
}

TEST_CASE("aix: a RST at rcv_nxt-1 is accepted (answer to a 4.2-style probe); freebsd challenges it") {
  for (std::string_view os : {"aix", "freebsd"}) {
    CAPTURE(os);
    const OsProfile* p = find_os_profile(os);
    HostTunables tun = p->defaults;
    LinuxClock ideal;
    SlowtimoClock grid(Time(), Time::ms(500));
    TcpEndpointEnv cenv{find_os_profile("linux"), &tun, &ideal};
    TcpEndpointEnv senv{p, &tun, &ideal, &grid};
    TcpEndpoint c({&cenv, 1, 2, 40000, 80, 1000});
    TcpEndpoint s({&senv, 2, 1, 80, 40000, 5000});
    TcpOutput o;
    s.listen();
    c.connect(Time(), o);
    Segment syn = o.segments.at(0).seg;
    o.clear();
    s.on_segment(Time::ms(1), syn, o);
    Segment synack = o.segments.at(0).seg;
    o.clear();
    c.on_segment(Time::ms(2), synack, o);
    Segment ack = o.segments.at(0).seg;
    o.clear();
    s.on_segment(Time::ms(3), ack, o);
    REQUIRE(s.state() == TcpState::kEstablished);
    Segment rst;
    rst.src = 1;
    rst.dst = 2;
    rst.sport = 40000;
    rst.dport = 80;
    rst.seq = s.rcv_nxt() - 1;
    rst.ack = s.snd_una() - 1;
    rst.len = 1;
    rst.flags = kRst | kAck;
    o.clear();
    s.on_segment(Time::s(10), rst, o);
    if (os == "aix") {
      CHECK(s.error() == SocketError::kEconnreset);
    } else {
      CHECK(s.state() == TcpState::kEstablished);
      REQUIRE(o.segments.size() == 1);  // RFC 5961 challenge ACK
      CHECK(o.segments[0].seg.flags == kAck);
    }
  }
}

TEST_CASE("aix: tick_phase/tick_period apply to aix only and are checked") {
  CHECK(load_error(os_scenario({.os = "freebsd", .server_extra = ", tick_phase: 1ms"}))
            .find("tick_phase applies to hosts with a 500 ms slowtimo timer (aix), not freebsd") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "aix", .server_extra = ", tick_phase: 500ms"}))
            .find("tick_phase must be less than the tick period (500ms)") != std::string::npos);
}
