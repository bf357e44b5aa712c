#include "kasim/firewall.h"

#include <fmt/format.h>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
Segment seg(uint8_t flags, uint32_t seq, uint32_t ack, bool reverse = false) {
  Segment s;
  s.src = reverse ? 2 : 1;
  s.dst = reverse ? 1 : 2;
  s.sport = reverse ? 80 : 40000;
  s.dport = reverse ? 40000 : 80;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  return s;
}
// Host 1 is the client, host 2 the server.
Firewall::Verdict process(Firewall& fw, Time t, Segment s) {
  return fw.process(t, s, s.src == 1 ? FlowDir::kFromClient : FlowDir::kFromServer);
}
}  // namespace

TEST_CASE("firewall: only a SYN creates state; strict pickup drops the rest") {
  Firewall fw(FirewallConfig{});
  auto v = process(fw, Time(), seg(kAck, 1, 1));
  CHECK_FALSE(v.forward);
  CHECK(v.note == NoteKind::kDropNoState);
  CHECK(v.a == -1);
  v = process(fw, Time(), seg(kSyn, 1, 0));
  CHECK(v.forward);
  CHECK(v.new_entry == 0);
  CHECK(fw.live_entries() == 1);
  CHECK(process(fw, Time::ms(1), seg(kSyn | kAck, 9, 2, true)).forward);
}

TEST_CASE("firewall: every forwarded packet refreshes the idle timer") {
  FirewallConfig cfg;
  cfg.established = Time::s(100);
  Firewall fw(cfg);
  process(fw, Time(), seg(kSyn, 1, 0));
  process(fw, Time::ms(1), seg(kSyn | kAck, 9, 2, true));
  CHECK(fw.check_expiry(Time::s(50), 0) == Time::s(100) + Time::ms(1));
  process(fw, Time::s(60), seg(kAck, 2, 10));
  // The check at the old deadline finds the refresh and asks again later.
  CHECK(fw.check_expiry(Time::s(100) + Time::ms(1), 0) == Time::s(160));
  CHECK(fw.check_expiry(Time::s(160), 0).is_never());
  CHECK(fw.live_entries() == 0);
}

TEST_CASE("firewall: after expiry, drop or RST to the sender with seq from the ACK field") {
  for (NoStateAction action : {NoStateAction::kDrop, NoStateAction::kResetSender}) {
    FirewallConfig cfg;
    cfg.established = Time::s(10);
    cfg.on_no_state = action;
    Firewall fw(cfg);
    process(fw, Time(), seg(kSyn, 1, 0));
    process(fw, Time::ms(1), seg(kSyn | kAck, 9, 2, true));
    CHECK(fw.check_expiry(Time::s(20), 0).is_never());
    auto v = process(fw, Time::s(30), seg(kAck, 9, 2, true));  // server's probe
    CHECK_FALSE(v.forward);
    CHECK(v.a == (Time::s(10) + Time::ms(1)).count_ns());
    if (action == NoStateAction::kDrop) {
      CHECK_FALSE(v.reply);
      CHECK(v.note == NoteKind::kDropNoState);
    } else {
      REQUIRE(v.reply);
      CHECK(v.rst.flags == kRst);
      CHECK(v.rst.seq == 2);         // the probe's ACK field
      CHECK(v.rst.src == 1);         // in the client's name
      CHECK(v.rst.dport == 80);      // back to the sender (the server's port)
      CHECK(v.note == NoteKind::kFirewallRstNoState);
    }
  }
}

TEST_CASE("firewall: a segment without ACK gets RST|ACK with ack = seq + len") {
  FirewallConfig cfg;
  cfg.on_no_state = NoStateAction::kResetSender;
  Firewall fw(cfg);
  Segment s = seg(kPsh, 100, 0);
  s.len = 10;
  auto v = process(fw, Time(), s);
  REQUIRE(v.reply);
  CHECK(v.rst.flags == (kRst | kAck));
  CHECK(v.rst.seq == 0);
  CHECK(v.rst.ack == 110);
}

TEST_CASE("firewall: RST and FIN move the entry to the shorter close timers") {
  FirewallConfig cfg;
  cfg.established = Time::h(1);
  Firewall fw(cfg);
  process(fw, Time(), seg(kSyn, 1, 0));
  process(fw, Time(), seg(kSyn | kAck, 9, 2, true));
  process(fw, Time::s(1), seg(kRst, 2, 0));
  CHECK(fw.expiry_time(0) == Time::s(11));
}

TEST_CASE("scenario: keepalive shorter than the firewall timeout keeps the entry alive") {
  Run r = run_yaml(R"(
name: t
duration: 1d
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
middleboxes:
  fw: { type: firewall, idle_timeout: 1h, on_expiry: drop }
links: [ { between: [a, fw], delay: 1ms }, { between: [fw, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, keepalive: { client: { idle: 50m, interval: 10s, count: 3 } } }
)");
  CHECK(r.outcome().fate == Fate::kAlive);
  CHECK(r.outcome().side[0].keepalive_probes == 28);  // every 50 m (+4 ms) over 24 h
}

TEST_CASE("scenario: a silent firewall expiry ends in ETIMEDOUT blamed on the firewall") {
  Run r = run_yaml(R"(
name: t
duration: 4h
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
middleboxes:
  fw: { type: firewall, idle_timeout: 1h, on_expiry: drop }
links: [ { between: [a, fw], delay: 1ms }, { between: [fw, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, keepalive: { server: { } } }
)");
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kTimedOut);
  CHECK(o.killer == "fw");
  CHECK(o.half_open);
  CHECK(o.side[1].keepalive_probes == 9);
  CHECK(t(o.side[1].error_at) == "7875.006000");
  auto drops = r.at("fw", CaptureDir::kDrop);
  CHECK(drops.size() == 10);  // 9 probes + the RST
}

TEST_CASE("firewall: an entry past its deadline is expired at lookup, before its expiry check runs") {
  // The check was scheduled for the SYN timeout (120 s); the established
  // timeout (4 s) is shorter, so the lookup itself must find the entry dead
  // (conntrack's nf_ct_is_expired() at lookup). Found by `kasim lab`.
  FirewallConfig cfg;
  cfg.established = Time::s(4);
  Firewall fw(cfg);
  process(fw, Time(), seg(kSyn, 1, 0));
  process(fw, Time::ms(1), seg(kSyn | kAck, 9, 2, true));
  CHECK(process(fw, Time::s(4), seg(kAck, 2, 10)).forward);  // refreshed at 4.000 s, due 8.000 s
  CHECK(fw.live_entries() == 1);
  auto v = process(fw, Time::s(8), seg(kAck, 10, 2, true));
  CHECK_FALSE(v.forward);
  CHECK(v.note == NoteKind::kDropNoState);
  CHECK(v.a == Time::s(8).count_ns());
  CHECK(fw.live_entries() == 0);
  CHECK(fw.check_expiry(Time::s(120), 0).is_never());
  CHECK(fw.live_entries() == 0);
}

TEST_CASE("scenario: a firewall timeout shorter than the SYN timeout expires on time") {
  Run r = run_yaml(R"(
name: t
duration: 9s
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
middleboxes:
  fw: { type: firewall, idle_timeout: 4s, on_expiry: drop }
links: [ { between: [a, fw], delay: 0s }, { between: [fw, b], delay: 0s } ]
connections:
  - { name: c, client: a, server: b, port: 80, keepalive: { server: { idle: 5s, interval: 1s, count: 2 } } }
)");
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kTimedOut);
  CHECK(o.killer == "fw");
  CHECK(r.at("fw", CaptureDir::kDrop).size() == 3);  // 2 probes + the RST
}
