// The AIX field report (../shared/seeds/003_*.txt, listings 4 and 5) line for
// line: the server-side tcpdump lines, with times relative to the last ACK
// and the report's (relative) sequence numbers, against the simulated
// capture at testServer. The scenarios use isn 0, so kasim's absolute
// numbers are the report's relative ones; the report's SYN lines carry the
// real ISNs and are written here relative to them (S 0 / S 0 ack 1).
#include <cstdlib>
#include <filesystem>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
struct ReportLine {
  const char* what;
  int64_t rel_us;     // time relative to the last ACK, microseconds
  uint8_t flags;
  int64_t seq;        // -1: not printed by tcpdump (pure ACK)
  uint32_t len;
  int64_t ack;        // -1: no ACK field
  int64_t tolerance_us;
};
using namespace tcp_flag;

Run run_file(const char* name) {
  LoadResult lr = load_scenario_file((std::filesystem::path(KASIM_SOURCE_DIR) / "scenarios" / name).string());
  REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
  Run r{std::move(*lr.scenario), {}, {}};
  Simulator sim(r.scenario);
  r.result = sim.run(r.sink);
  return r;
}

// The capture at the server, as tcpdump would list it (in and out).
std::vector<TraceRecord> server_capture(const Run& r) {
  std::vector<TraceRecord> v;
  size_t n = r.scenario.node_index("testServer");
  for (const TraceRecord& t : r.sink.records)
    if (t.node == n && (t.dir == CaptureDir::kIn || t.dir == CaptureDir::kOut)) v.push_back(t);
  return v;
}

// The report's first `head` lines are the first simulated lines; the report
// then elides the telnet exchange ("。。。"), and its remaining lines are the
// last simulated lines, one for one. Returns the largest deviation in us.
int64_t compare(const std::vector<ReportLine>& report, size_t head, const std::vector<TraceRecord>& got,
                Time last_ack) {
  REQUIRE(got.size() >= report.size());
  int64_t worst = 0;
  for (size_t i = 0; i < report.size(); ++i) {
    const ReportLine& want = report[i];
    const TraceRecord& g = i < head ? got[i] : got[got.size() - (report.size() - i)];
    CAPTURE(want.what);
    CHECK(g.seg.flags == want.flags);
    if (want.seq >= 0) CHECK(g.seg.seq == want.seq);
    CHECK(g.seg.len == want.len);
    if (want.ack >= 0) {
      CHECK(g.seg.has(kAck));
      CHECK(g.seg.ack == want.ack);
    }
    int64_t rel_us = (g.t - last_ack).count_us();
    int64_t dev = std::llabs(rel_us - want.rel_us);
    CAPTURE(rel_us);
    CHECK(dev <= want.tolerance_us);
    worst = std::max(worst, dev);
  }
  return worst;
}
}  // namespace

TEST_CASE("aix: seed report listing 4 (cable pull) reproduced line for line") {
  Run r = run_file("seed-aix-cable-pull.yaml");
  // Server-side tcpdump, last ACK = line 7 at 04:51:54.924909. The SYN-ACK and
  // handshake ACK came 39 us / 42 us later than the model's zero processing time.
  std::vector<ReportLine> report{
      {"2 S (client SYN)", -3545193, kSyn, 0, 0, -1, 1},
      {"3 S ack (SYN-ACK)", -3545154, kSyn | kAck, 0, 0, 1, 50},
      {"4 . ack 1", -3544300, kAck, -1, 0, 1, 50},
      {"6 P 676:696(20) ack 87", -851, kPsh | kAck, 676, 20, 87, 1},
      {"7 . ack 696 (the last ACK)", 0, kAck, -1, 0, 696, 1},
      {"8 probe 695:696(1) ack 86", 119625283, kAck, 695, 1, 86, 250},
      {"9 probe", 194626088, kAck, 695, 1, 86, 250},
      {"10 probe", 269627144, kAck, 695, 1, 86, 250},
      {"11 probe", 344627706, kAck, 695, 1, 86, 250},
      {"12 probe", 419628537, kAck, 695, 1, 86, 250},
      {"13 probe", 494629378, kAck, 695, 1, 86, 250},
      {"14 probe", 569630208, kAck, 695, 1, 86, 250},
      {"15 probe", 644631049, kAck, 695, 1, 86, 250},
      {"16 probe (9th = tcp_keepcnt+1)", 719632373, kAck, 695, 1, 86, 250},
      // The report's RST came 2.5 ms after its slowtimo tick (tcp_drop
      // latency, not modelled).
      {"17 R 696:696(0) ack 87", 794634886, kRst | kAck, 696, 0, 87, 2000},
  };
  auto got = server_capture(r);
  REQUIRE(got.size() >= 5);
  Time last_ack = got[got.size() - 11].t;  // line 7: the 11th line from the end
  CHECK(got[got.size() - 11].seg.ack == 696);
  int64_t worst = compare(report, 3, got, last_ack);
  MESSAGE("largest deviation from the report: " << worst << " us");
  const auto& o = r.outcome();
  CHECK(o.side[1].error == SocketError::kEtimedout);
  CHECK(o.side[1].keepalive_probes == 9);
  CHECK(o.half_open);
}

TEST_CASE("aix: seed report listing 5 (firewall RST answers the first probe) reproduced line for line") {
  Run r = run_file("seed-aix-firewall-reset.yaml");
  // Last ACK = line 6 at 10:19:03.166457.
  std::vector<ReportLine> report{
      {"1 S (client SYN)", -4284507, kSyn, 0, 0, -1, 1},
      {"2 S ack (SYN-ACK)", -4284456, kSyn | kAck, 0, 0, 1, 60},
      {"3 . ack 1", -4283612, kAck, -1, 0, 1, 60},
      {"5 P 1010:1032(22) ack 87", -889, kPsh | kAck, 1010, 22, 87, 1},
      {"6 . ack 1032 (the last ACK)", 0, kAck, -1, 0, 1032, 1},
      {"7 probe 1031:1032(1) ack 86", 7202278879, kAck, 1031, 1, 86, 1},
      {"8 R 86:87(1) ack 1031 (from the firewall)", 7202279007, kRst | kAck, 86, 1, 1031, 1},
  };
  auto got = server_capture(r);
  REQUIRE(got.size() >= 5);
  Time last_ack = got[got.size() - 3].t;
  CHECK(got[got.size() - 3].seg.ack == 1032);
  int64_t worst = compare(report, 3, got, last_ack);
  MESSAGE("largest deviation from the report: " << worst << " us");
  const auto& o = r.outcome();
  CHECK(o.side[1].error == SocketError::kEconnreset);
  CHECK(o.killer == "firewallB");
  CHECK(o.half_open);
}
