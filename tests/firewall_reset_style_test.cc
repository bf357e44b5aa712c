// The firewall's reset_style option (firewall.h ResetStyle).
#include "kasim/firewall.h"

#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
Segment probe() {
  Segment s;
  s.src = 2;
  s.dst = 1;
  s.sport = 23;
  s.dport = 59098;
  s.seq = 1031;
  s.ack = 86;
  s.len = 1;
  s.flags = kAck;
  return s;
}
}  // namespace

TEST_CASE("firewall: reset_style rfc9293 answers a stateless ACK with RST seq = its ack, no ACK, no payload") {
  FirewallConfig cfg;
  cfg.on_no_state = NoStateAction::kResetSender;
  Firewall fw(cfg);
  Firewall::Verdict v = fw.process(Time::s(1), probe());
  REQUIRE(v.reply);
  CHECK(v.rst.flags == kRst);
  CHECK(v.rst.seq == 86);
  CHECK(v.rst.len == 0);
}

TEST_CASE("firewall: reset_style mirror answers '1031:1032(1) ack 86' with 'R 86:87(1) ack 1031' (seed 003)") {
  FirewallConfig cfg;
  cfg.on_no_state = NoStateAction::kResetSender;
  cfg.reset_style = ResetStyle::kMirror;
  Firewall fw(cfg);
  Firewall::Verdict v = fw.process(Time::s(1), probe());
  REQUIRE(v.reply);
  CHECK(v.rst.flags == (kRst | kAck));
  CHECK(v.rst.seq == 86);
  CHECK(v.rst.len == 1);
  CHECK(v.rst.ack == 1031);
  CHECK(v.rst.src == 1);
  CHECK(v.rst.dport == 23);
}

TEST_CASE("firewall: reset_style is read from the scenario and checked") {
  Scenario s = must_load(os_scenario({.os = "linux", .server_extra = ", hz: 0",
                                      .middlebox = "{ type: firewall, on_expiry: reset-sender, reset_style: mirror }"}));
  CHECK(s.middleboxes[0].firewall.reset_style == ResetStyle::kMirror);
  CHECK(load_error(os_scenario({.os = "linux", .middlebox = "{ type: firewall, reset_style: mirrored }"}))
            .find("reset_style must be rfc9293 or mirror, got 'mirrored' (did you mean 'mirror'?)") != std::string::npos);
}
