// `kasim lab`'s pure part: classifying raw captures and pairing them with the
// prediction (no root needed; the kernel suite is tests/kernel/).
#include "kasim/lab.h"

#include <algorithm>

#include "kasim/middlebox_profiles.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
constexpr const char* kFwScenario = R"(
name: t
duration: 10s
hosts:
  client: { address: 10.0.0.1 }
  server: { address: 10.0.1.1 }
middleboxes:
  fw: { type: firewall, idle_timeout: 4s, on_expiry: reset-sender }
links: [ { between: [client, fw], delay: 0s }, { between: [fw, server], delay: 0s } ]
connections:
  - { name: c, client: client, server: server, port: 80, client_port: 40000 }
)";

Segment seg(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0) {
  Segment s;
  s.src = from_client ? 0x0a000001 : 0x0a000101;
  s.dst = from_client ? 0x0a000101 : 0x0a000001;
  s.sport = from_client ? 40000 : 80;
  s.dport = from_client ? 80 : 40000;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.len = len;
  return s;
}
}  // namespace

TEST_CASE("lab: captures become out/in at hosts and fwd/drop/out at a firewall") {
  Scenario s = must_load(kFwScenario);
  const uint32_t client = 0, server = 1, fw = 2;
  Segment probe = seg(false, kAck, 99, 1001);
  Segment rst = seg(true, kRst, 1001, 0);
  Segment data = seg(true, kAck | kPsh, 1001, 100, 10);
  std::vector<CapturedPacket> caps{
      {Time::ms(1), client, true, data},     // client sends
      {Time::ms(2), fw, false, data},        // fw receives it...
      {Time::ms(3), fw, true, data},         // ...and forwards it
      {Time::ms(4), server, false, data},    // server receives
      {Time::s(5), server, true, probe},     // server's probe
      {Time::s(5) + Time::us(10), fw, false, probe},  // fw receives, never forwards: drop
      {Time::s(5) + Time::us(20), fw, true, rst},     // fw's own RST: out
      {Time::s(5) + Time::us(30), server, false, rst},
  };
  caps.push_back({Time::ms(9), server, false, seg(true, kAck, 1, 1)});  // another connection's port: ignored
  caps.back().seg.sport = 41000;
  auto recs = classify_captures(s, {40000}, caps);
  REQUIRE(recs.size() == 7);
  CHECK(recs[0].dir == CaptureDir::kOut);
  CHECK(recs[1].node == fw);
  CHECK(recs[1].dir == CaptureDir::kForward);
  CHECK(recs[1].t == Time::ms(2));
  CHECK(recs[2].dir == CaptureDir::kIn);
  CHECK(recs[3].dir == CaptureDir::kOut);
  CHECK(recs[4].dir == CaptureDir::kDrop);
  CHECK(recs[5].dir == CaptureDir::kOut);
  CHECK(recs[5].node == fw);
  CHECK(recs[6].dir == CaptureDir::kIn);
}

TEST_CASE("lab: packets compare relative to each side's ISN, within the tolerance") {
  Scenario s = must_load(kFwScenario);
  auto rec = [](Time t, uint32_t node, CaptureDir d, Segment g) { return LabRecord{t, node, 0, d, g, {}}; };
  // Predicted ISNs 1000 (client) / 5000 (server); real ones 7 / 70000.
  std::vector<LabRecord> pred{
      rec(Time(), 0, CaptureDir::kOut, seg(true, kSyn, 1000, 0)),
      rec(Time::us(10), 1, CaptureDir::kOut, seg(false, kSyn | kAck, 5000, 1001)),
      rec(Time::s(5), 1, CaptureDir::kOut, seg(false, kAck, 5000, 1001)),  // probe
      rec(Time::s(6), 1, CaptureDir::kOut, seg(false, kAck, 5000, 1001)),  // probe
  };
  std::vector<LabRecord> real{
      rec(Time(), 0, CaptureDir::kOut, seg(true, kSyn, 7, 0)),
      rec(Time::us(30), 1, CaptureDir::kOut, seg(false, kSyn | kAck, 70000, 8)),
      rec(Time::s(5) + Time::ms(4), 1, CaptureDir::kOut, seg(false, kAck, 70000, 8)),  // one jiffy late
      rec(Time::s(6) + Time::ms(40), 1, CaptureDir::kOut, seg(false, kAck, 70000, 8)),  // far off
      rec(Time::s(7), 1, CaptureDir::kOut, seg(false, kAck | kRst, 70001, 8)),         // not predicted
  };
  LabComparison c = compare_traces(s, pred, real, Time::ms(5));
  CHECK(c.matched == 3);
  CHECK(c.time_off == 1);
  CHECK(c.missing == 0);
  CHECK(c.extra == 1);
  CHECK(c.worst == Time::ms(40));
  CHECK_FALSE(c.ok());
  CHECK(c.rows.back().verdict == LabVerdict::kExtra);

  // A different relative ack is a different packet: missing + extra.
  real[2].seg.ack = 9;
  c = compare_traces(s, pred, real, Time::s(1));
  CHECK(c.missing == 1);
  CHECK(c.extra == 2);

  std::string report = format_lab_report(s, pred, real, c, {}, Time::s(1));
  CHECK(report.find("server>client [.] seq 0 ack 1 len 0") != std::string::npos);
  CHECK(report.find("# verdict: MISMATCH") != std::string::npos);
}

TEST_CASE("lab: applications match on the same first event within the tolerance") {
  Scenario s = must_load(kFwScenario);
  std::vector<LabAppEvent> pred{{0, Side::kServer, "ECONNRESET", Time::s(5)}};
  std::vector<LabAppEvent> real{{0, Side::kServer, "ECONNRESET", Time::s(5) + Time::us(300)}};
  auto rows = compare_app_events(s, pred, real, Time::ms(5));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].ok);  // client: nothing in either
  CHECK(rows[1].ok);
  real[0].what = "ETIMEDOUT";
  CHECK_FALSE(compare_app_events(s, pred, real, Time::ms(5))[1].ok);
  CHECK_FALSE(compare_app_events(s, pred, {}, Time::ms(5))[1].ok);
}

TEST_CASE("lab: the linux-conntrack profiles are re-enacted; what conntrack cannot do is refused") {
  for (const char* name : {"linux-conntrack", "linux-conntrack-strict", "linux-conntrack-reject", "kube-proxy"})
    CHECK_MESSAGE(conntrack_refusal(find_middlebox_profile(name)->config).empty(), name);
  CHECK(conntrack_refusal(find_middlebox_profile("openwrt")->config).find("NAT is not re-enacted") == 0);
  FirewallConfig f = find_middlebox_profile("linux-conntrack")->config;
  f.pickup = Pickup::kFromClient;
  CHECK(conntrack_refusal(f).find("one-sided pickup") == 0);
  f = FirewallConfig{};
  f.time_wait = Time::ms(1500);
  CHECK(conntrack_refusal(f) == "time_wait_timeout: conntrack timeouts are whole seconds from 1s to 2000000s, got 1.500s");
  f = FirewallConfig{};
  f.pickup = Pickup::kLoose;
  f.pickup_timeout = Time::ms(300);
  CHECK(conntrack_refusal(f).find("pickup_timeout:") == 0);
  f.pickup = Pickup::kStrict;  // a strict box never picks up: its pickup timeout does not matter
  CHECK(conntrack_refusal(f).empty());
}

TEST_CASE("lab: conntrack sysctls follow the scenario's firewall; rules kasim lacks are made inert") {
  auto value = [](const std::vector<LabSysctl>& v, const std::string& name) {
    auto it = std::find_if(v.begin(), v.end(), [&](const LabSysctl& c) { return c.name == "nf_conntrack_tcp_" + name; });
    REQUIRE(it != v.end());
    return it->value;
  };
  std::vector<LabSysctl> loose = conntrack_sysctls(find_middlebox_profile("linux-conntrack")->config);
  CHECK(value(loose, "loose") == 1);
  CHECK(value(loose, "timeout_established") == 432000);
  CHECK(value(loose, "timeout_time_wait") == 120);
  CHECK(value(loose, "timeout_close") == 10);
  CHECK(value(loose, "max_retrans") == 3);
  CHECK(value(loose, "timeout_max_retrans") == 300);
  CHECK(value(loose, "timeout_unacknowledged") == 300);

  FirewallConfig f;  // strict, no RETRANS rule
  f.established = Time::s(4);
  f.closing = Time::s(30);
  f.time_wait = Time::s(7);
  std::vector<LabSysctl> strict = conntrack_sysctls(f);
  CHECK(value(strict, "loose") == 0);
  CHECK(value(strict, "timeout_established") == 4);
  CHECK(value(strict, "timeout_fin_wait") == 30);
  CHECK(value(strict, "timeout_last_ack") == 30);
  CHECK(value(strict, "timeout_time_wait") == 7);
  CHECK(value(strict, "timeout_syn_sent") == 120);
  // Inert: no state's timeout is longer (the kernel only shortens to them).
  CHECK(value(strict, "max_retrans") == 255);
  CHECK(value(strict, "timeout_max_retrans") == 120);
  CHECK(value(strict, "timeout_unacknowledged") == 120);
}

TEST_CASE("lab: link transits pair a packet leaving one end of a link with its arrival at the other") {
  Scenario s = must_load(kFwScenario);
  const uint32_t client = 0, server = 1, fw = 2;
  auto rec = [](Time t, uint32_t node, CaptureDir d, Segment g) { return LabRecord{t, node, 0, d, g, {}}; };
  Segment syn = seg(true, kSyn, 1000, 0), synack = seg(false, kSyn | kAck, 5000, 1001);
  Segment rst = seg(true, kRst, 1001, 0);
  std::vector<LabRecord> recs{
      rec(Time(), client, CaptureDir::kOut, syn),
      rec(Time::us(25'040), fw, CaptureDir::kForward, syn),
      rec(Time::us(25'080), server, CaptureDir::kIn, syn),
      rec(Time::us(25'100), server, CaptureDir::kOut, synack),
      rec(Time::us(25'150), fw, CaptureDir::kForward, synack),
      rec(Time::us(50'230), client, CaptureDir::kIn, synack),
      rec(Time::s(5), fw, CaptureDir::kOut, rst),  // the firewall's own RST in the client's name, to the server
      rec(Time::s(5) + Time::us(60), server, CaptureDir::kIn, rst),
      rec(Time::s(6), client, CaptureDir::kOut, seg(true, kAck, 1001, 5001)),  // lost: no arrival
  };
  std::vector<std::vector<Time>> t = link_transits(s, recs);
  REQUIRE(t.size() == 2);
  CHECK(t[0] == std::vector<Time>{Time::us(25'040), Time::us(25'080)});  // client-fw: SYN, SYN-ACK
  CHECK(t[1] == std::vector<Time>{Time::us(40), Time::us(50), Time::us(60)});  // fw-server
  CHECK(median_time(t[1]) == Time::us(50));
  CHECK(median_time(t[0]) == Time::us(25'040));
  CHECK(median_time({}) == Time());
}
