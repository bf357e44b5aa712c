// Data retransmission into a black hole, per OS family: the server writes
// 100 bytes at 40 s, 10 s after its input filter started dropping the
// client's ACKs. RTT on the path is 2 ms, so every OS sits at its RTO floor.
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
struct Schedule {
  std::vector<std::string> retransmissions;
  std::string gave_up;
  bool rst = false;
  SocketError error = SocketError::kNone;
};

Schedule black_hole(std::string_view os, std::string_view extra = "", std::string_view at = "40s") {
  std::string traffic = fmt::format("{{ at: {}, from: server, bytes: 100 }}", at);
  Run r = run_os({.os = os, .server_extra = extra, .traffic = traffic, .faults = kSilenceClientAt30s, .duration = "20m"});
  Schedule s;
  s.retransmissions = times(r.with(NoteKind::kDataRetransmit, "server", CaptureDir::kOut));
  s.rst = !r.with(NoteKind::kRetransmitGiveUpRst, "server", CaptureDir::kOut).empty();
  s.error = r.outcome().side[1].error;
  s.gave_up = t(r.outcome().side[1].error_at);
  CHECK(r.outcome().side[1].error_cause == "retransmission timeout");
  return s;
}
}  // namespace

TEST_CASE("freebsd: RTO 30 ms + 200 ms slop, backoff to 512x, 12 retransmissions then RST (TCP_MAXRXTSHIFT)") {
  Schedule s = black_hole("freebsd");
  CHECK(s.retransmissions == std::vector<std::string>{"40.230000", "40.490000", "40.810000", "41.250000", "41.930000",
                                                      "43.090000", "45.210000", "49.250000", "57.130000", "72.690000",
                                                      "88.250000", "103.810000"});
  CHECK(s.gave_up == "119.370000");
  CHECK(s.rst);
  CHECK(s.error == SocketError::kEtimedout);
}

TEST_CASE("freebsd: net.inet.tcp.retries lowers the retransmission limit") {
  Schedule s = black_hole("freebsd", ", sysctl: { net.inet.tcp.retries: 3 }");
  CHECK(s.retransmissions.size() == 3);
  CHECK(s.gave_up == "41.250000");
}

TEST_CASE("macos: backoff capped at 64x, 12 retransmissions then RST") {
  Schedule s = black_hole("macos");
  REQUIRE(s.retransmissions.size() == 12);
  CHECK(s.retransmissions.front() == "40.230000");
  CHECK(s.retransmissions.back() == "55.810000");
  CHECK(s.gave_up == "57.930000");
  CHECK(s.rst);
}

TEST_CASE("openbsd: RTO floor 1 s, max 64 s, 12 retransmissions then RST at 511 s") {
  Schedule s = black_hole("openbsd");
  CHECK(s.retransmissions == std::vector<std::string>{"41.000000", "43.000000", "47.000000", "55.000000", "71.000000",
                                                      "103.000000", "167.000000", "231.000000", "295.000000",
                                                      "359.000000", "423.000000", "487.000000"});
  CHECK(s.gave_up == "551.000000");
  CHECK(s.rst);
}

TEST_CASE("aix: retransmissions on the 500 ms grid, 12 then RST") {
  // Written at 40.2 s; the 2-tick RTO ends on the tick at 41.0.
  Schedule s = black_hole("aix", ", tick_phase: 0s", "40.2s");
  REQUIRE(s.retransmissions.size() == 12);
  CHECK(s.retransmissions.front() == "41.000000");
  CHECK(s.retransmissions[1] == "43.000000");
  CHECK(s.gave_up == "551.000000");
  CHECK(s.rst);
}

TEST_CASE("solaris: RTO 400 ms doubling to 60 s; abort when the waited time passes R2 (5 min), no RST") {
  Schedule s = black_hole("solaris");
  CHECK(s.retransmissions == std::vector<std::string>{"40.400000", "41.200000", "42.800000", "46.000000", "52.400000",
                                                      "65.200000", "90.800000", "142.000000", "202.000000",
                                                      "262.000000", "322.000000"});
  CHECK(s.gave_up == "382.000000");
  CHECK(!s.rst);
  CHECK(s.error == SocketError::kEtimedout);
  Schedule r2 = black_hole("solaris", ", sysctl: { _ip_abort_interval: 60000 }");
  CHECK(r2.gave_up == "142.000000");  // waited 101.6 s > 60 s
}

TEST_CASE("windows: TcpMaxDataRetransmissions (5) retransmissions from 300 ms, then RST (UNVERIFIED)") {
  Schedule s = black_hole("windows");
  CHECK(s.retransmissions == std::vector<std::string>{"40.300000", "40.900000", "42.100000", "44.500000", "49.300000"});
  CHECK(s.gave_up == "58.900000");
  CHECK(s.rst);
  Schedule more = black_hole("windows", ", sysctl: { TcpMaxDataRetransmissions: 7 }");
  CHECK(more.retransmissions.size() == 7);
}

TEST_CASE("linux: retransmission give-up sends no RST (contrast with the BSDs)") {
  Schedule s = black_hole("linux", ", hz: 0");
  CHECK(!s.rst);
  CHECK(s.error == SocketError::kEtimedout);
  CHECK(!s.retransmissions.empty());
}
