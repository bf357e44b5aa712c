// Middlebox behaviours (firewall.h) and profiles (middlebox_profiles.h).
#include <filesystem>
#include <set>

#include "kasim/firewall.h"
#include "kasim/middlebox_profiles.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {

constexpr Ipv4 kClient = 1, kServer = 2;

// A segment of the flow 1:40000 <-> 2:80; `from_server` reverses it.
Segment seg(uint8_t flags, uint32_t seq, uint32_t ack, bool from_server = false, uint32_t len = 0) {
  Segment s;
  s.src = from_server ? kServer : kClient;
  s.dst = from_server ? kClient : kServer;
  s.sport = from_server ? 80 : 40000;
  s.dport = from_server ? 40000 : 80;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.len = len;
  return s;
}

Firewall::Verdict pass(Firewall& fw, Time t, Segment s) {
  return fw.process(t, s, s.src == kClient ? FlowDir::kFromClient : FlowDir::kFromServer);
}

// Client ISN 100, server ISN 900; after this the client's next seq is 101
// and the server's 901.
void handshake(Firewall& fw, Time t = Time()) {
  pass(fw, t, seg(kSyn, 100, 0));
  pass(fw, t, seg(kSyn | kAck, 900, 101, true));
  pass(fw, t, seg(kAck, 101, 901));
}

}  // namespace

TEST_CASE("middlebox: each state has its own idle timeout") {
  FirewallConfig c;
  c.syn = Time::s(5);
  c.established = Time::s(100);
  c.closing = Time::s(30);
  c.time_wait = Time::s(7);
  c.closed = Time::s(3);
  Firewall fw(c);
  pass(fw, Time(), seg(kSyn, 100, 0));
  CHECK(fw.state(0) == FlowState::kSyn);
  CHECK(fw.expiry_time(0) == Time::s(5));
  pass(fw, Time::s(1), seg(kSyn | kAck, 900, 101, true));
  CHECK(fw.state(0) == FlowState::kEstablished);
  CHECK(fw.expiry_time(0) == Time::s(101));
  pass(fw, Time::s(2), seg(kFin | kAck, 101, 901));
  CHECK(fw.state(0) == FlowState::kClosing);
  CHECK(fw.expiry_time(0) == Time::s(32));
  pass(fw, Time::s(3), seg(kFin | kAck, 901, 102, true));
  CHECK(fw.state(0) == FlowState::kTimeWait);
  CHECK(fw.expiry_time(0) == Time::s(10));
  pass(fw, Time::s(4), seg(kRst, 102, 0));
  CHECK(fw.state(0) == FlowState::kClosed);
  CHECK(fw.expiry_time(0) == Time::s(7));
  // A packet after the deadline finds no state even before the timer ran.
  auto v = pass(fw, Time::s(8), seg(kAck, 102, 902));
  CHECK_FALSE(v.forward);
  CHECK(v.note == NoteKind::kDropNoState);
  CHECK(v.a == Time::s(7).count_ns());
}

TEST_CASE("middlebox: the expiry log reports the state and timeout that ran out, and why") {
  FirewallConfig c;
  c.established = Time::s(100);
  c.closing = Time::s(30);
  c.max_entries = 1;
  c.when_full = WhenFull::kEvictOldest;
  SUBCASE("off by default") {
    Firewall fw(c);
    handshake(fw);
    CHECK(fw.check_expiry(Time::s(100), 0) == Time::never());
    CHECK(fw.expired().empty());
  }
  SUBCASE("idle, at the timer") {
    Firewall fw(c);
    fw.set_expiry_log(true);
    handshake(fw, Time::s(1));
    pass(fw, Time::s(5), seg(kFin | kAck, 101, 901));  // half-closed: the 30 s timeout applies
    CHECK(fw.check_expiry(Time::s(35), 0) == Time::never());
    REQUIRE(fw.expired().size() == 1);
    const ExpiredEntry& x = fw.expired()[0];
    CHECK(x.at == Time::s(35));
    CHECK(x.state == FlowState::kClosing);
    CHECK(x.timeout == Time::s(30));
    CHECK(x.last_seen == Time::s(5));
    CHECK(x.cause == ExpiryCause::kIdle);
    fw.clear_expired();
    CHECK(fw.expired().empty());
  }
  SUBCASE("idle, found by a late packet: at the deadline, not at the packet") {
    Firewall fw(c);
    fw.set_expiry_log(true);
    handshake(fw, Time::s(1));
    CHECK_FALSE(pass(fw, Time::s(500), seg(kAck, 101, 901)).forward);
    REQUIRE(fw.expired().size() == 1);
    CHECK(fw.expired()[0].at == Time::s(101));
    CHECK(fw.expired()[0].state == FlowState::kEstablished);
  }
  SUBCASE("evicted by a newcomer") {
    Firewall fw(c);
    fw.set_expiry_log(true);
    handshake(fw, Time::s(1));
    Segment other = seg(kSyn, 1, 0);
    other.sport = 40001;
    CHECK(pass(fw, Time::s(2), other).forward);
    REQUIRE(fw.expired().size() == 1);
    CHECK(fw.expired()[0].cause == ExpiryCause::kEvicted);
    CHECK(fw.expired()[0].at == Time::s(2));
  }
}

TEST_CASE("middlebox: reset-both sends each end an RST with the sequence it accepts, at expiry") {
  FirewallConfig c;
  c.established = Time::s(240);
  c.on_idle = IdleAction::kResetBoth;
  Firewall fw(c);
  handshake(fw);
  pass(fw, Time::s(1), seg(kAck | kPsh, 101, 901, false, 10));  // client sends 10 bytes
  pass(fw, Time::s(1), seg(kAck, 901, 111, true));
  std::vector<Firewall::Injection> out;
  CHECK(fw.check_expiry(Time::s(100), 0, &out) == Time::s(241));
  CHECK(out.empty());
  CHECK(fw.check_expiry(Time::s(241), 0, &out).is_never());
  REQUIRE(out.size() == 2);
  // To the client, in the server's name, seq = the client's RCV.NXT (901).
  CHECK(out[0].dir == FlowDir::kFromServer);
  CHECK(out[0].seg.src == kServer);
  CHECK(out[0].seg.dst == kClient);
  CHECK(out[0].seg.flags == kRst);
  CHECK(out[0].seg.seq == 901);
  // To the server, in the client's name, seq = the server's RCV.NXT (111).
  CHECK(out[1].dir == FlowDir::kFromClient);
  CHECK(out[1].seg.src == kClient);
  CHECK(out[1].seg.seq == 111);
  CHECK(out[1].why == NoteKind::kFirewallRstIdle);
  CHECK(fw.live_entries() == 0);
  // Without the option the same expiry is silent.
  c.on_idle = IdleAction::kForget;
  Firewall quiet(c);
  handshake(quiet);
  out.clear();
  CHECK(quiet.check_expiry(Time::s(240), 0, &out).is_never());
  CHECK(out.empty());
}

TEST_CASE("middlebox: DCD probes both ends at expiry and keeps the entry if both answer") {
  FirewallConfig c;
  c.established = Time::s(3600);
  c.on_idle = IdleAction::kProbe;
  c.probe_interval = Time::s(15);
  c.probe_count = 5;
  Firewall fw(c);
  handshake(fw);
  std::vector<Firewall::Injection> out;
  CHECK(fw.check_expiry(Time::s(3600), 0, &out) == Time::s(3615));
  REQUIRE(out.size() == 2);
  CHECK(fw.state(0) == FlowState::kProbing);
  // Keepalive-shaped: seq = RCV.NXT - 1 of the end probed, no payload.
  CHECK(out[0].seg.dst == kClient);
  CHECK(out[0].seg.seq == 900);
  CHECK(out[0].seg.ack == 101);
  CHECK(out[1].seg.dst == kServer);
  CHECK(out[1].seg.seq == 100);
  CHECK(out[0].why == NoteKind::kDcdProbe);
  // Both answer with a pure ACK: the box consumes them and refreshes.
  auto a = pass(fw, Time::s(3600) + Time::ms(1), seg(kAck, 101, 901));
  CHECK_FALSE(a.forward);
  CHECK(a.note == NoteKind::kDcdAnswer);
  CHECK(fw.state(0) == FlowState::kProbing);
  pass(fw, Time::s(3600) + Time::ms(2), seg(kAck, 901, 101, true));
  CHECK(fw.state(0) == FlowState::kEstablished);
  CHECK(fw.expiry_time(0) == Time::s(7200) + Time::ms(2));

  SUBCASE("one silent end: freed after the last probe") {
    out.clear();
    CHECK(fw.check_expiry(Time::s(7200) + Time::ms(2), 0, &out) == Time::s(7215) + Time::ms(2));
    pass(fw, Time::s(7201), seg(kAck, 101, 901));  // only the client answers
    Time t = Time::s(7215) + Time::ms(2);
    for (int i = 2; i <= 5; ++i) {
      out.clear();
      t = fw.check_expiry(t, 0, &out);
      REQUIRE(out.size() == 1);  // only the silent server is probed again
      CHECK(out[0].seg.dst == kServer);
      CHECK(out[0].a == i);
    }
    out.clear();
    CHECK(fw.check_expiry(t, 0, &out).is_never());
    CHECK(out.empty());
    CHECK(fw.state(0) == FlowState::kExpired);
  }
}

TEST_CASE("middlebox: refresh policies") {
  FirewallConfig c;
  c.established = Time::s(100);
  SUBCASE("data: a zero-byte probe does not refresh, a one-byte probe does") {
    c.refresh_on = RefreshOn::kData;
    Firewall fw(c);
    handshake(fw);
    auto v = pass(fw, Time::s(50), seg(kAck, 900, 101, true));
    CHECK(v.forward);
    CHECK(v.note == NoteKind::kNoRefresh);
    CHECK(fw.expiry_time(0) == Time::s(100));
    pass(fw, Time::s(60), seg(kAck, 900, 101, true, 1));
    CHECK(fw.expiry_time(0) == Time::s(160));
  }
  SUBCASE("new-data: no keepalive probe refreshes, new payload does") {
    c.refresh_on = RefreshOn::kNewData;
    Firewall fw(c);
    handshake(fw);
    pass(fw, Time::s(60), seg(kAck, 900, 101, true, 1));  // one-byte probe: old byte
    CHECK(fw.expiry_time(0) == Time::s(100));
    pass(fw, Time::s(70), seg(kAck | kPsh, 901, 101, true, 5));
    CHECK(fw.expiry_time(0) == Time::s(170));
  }
  SUBCASE("from one side only (FortiGate refresh-direction outgoing)") {
    c.refresh_from = Sides::kClient;
    Firewall fw(c);
    handshake(fw);
    auto v = pass(fw, Time::s(50), seg(kAck, 900, 101, true));  // server probe
    CHECK(v.forward);
    CHECK(v.note == NoteKind::kNoRefresh);
    CHECK(fw.expiry_time(0) == Time::s(100));
    pass(fw, Time::s(60), seg(kAck, 100, 901));  // client probe
    CHECK(fw.expiry_time(0) == Time::s(160));
  }
}

TEST_CASE("middlebox: pickup of mid-stream packets") {
  FirewallConfig c;
  c.established = Time::s(1000);
  SUBCASE("strict: dropped") {
    Firewall fw(c);
    CHECK_FALSE(pass(fw, Time(), seg(kAck, 101, 901)).forward);
  }
  SUBCASE("loose: a new entry, capped until a reply is seen") {
    c.pickup = Pickup::kLoose;
    c.pickup_timeout = Time::s(300);
    Firewall fw(c);
    auto v = pass(fw, Time(), seg(kAck, 101, 901, true));
    CHECK(v.forward);
    CHECK(v.picked_up);
    CHECK(v.note == NoteKind::kPickedUp);
    CHECK(fw.state(0) == FlowState::kEstablished);
    CHECK(fw.expiry_time(0) == Time::s(300));
    pass(fw, Time::s(10), seg(kAck, 901, 101));  // the reply lifts the cap
    CHECK(fw.expiry_time(0) == Time::s(1010));
    // FIN and RST never create state.
    Firewall fw2(c);
    CHECK_FALSE(pass(fw2, Time(), seg(kFin | kAck, 1, 1)).forward);
    CHECK_FALSE(pass(fw2, Time(), seg(kRst, 1, 0)).forward);
  }
  SUBCASE("from the client side only (GCP VPC firewall)") {
    c.pickup = Pickup::kFromClient;
    Firewall fw(c);
    CHECK_FALSE(pass(fw, Time(), seg(kAck, 901, 101, true)).forward);
    CHECK(pass(fw, Time::s(1), seg(kAck, 101, 901)).forward);
    CHECK(pass(fw, Time::s(2), seg(kAck, 901, 101, true)).forward);
  }
}

TEST_CASE("middlebox: sequence-window check treats a zero-byte probe as below the window") {
  FirewallConfig c;
  c.established = Time::s(100);
  SUBCASE("drop") {
    c.window_check = WindowCheck::kDrop;
    Firewall fw(c);
    handshake(fw);
    auto v = pass(fw, Time::s(50), seg(kAck, 900, 101, true));  // zero-byte probe at SND.UNA-1
    CHECK_FALSE(v.forward);
    CHECK(v.note == NoteKind::kDropBelowWindow);
    CHECK(pass(fw, Time::s(51), seg(kAck, 900, 101, true, 1)).forward);  // one-byte probe ends at SND.UNA
    CHECK(fw.expiry_time(0) == Time::s(151));
  }
  SUBCASE("ignore: passes without refreshing (conntrack's IGNORE path)") {
    c.window_check = WindowCheck::kIgnore;
    Firewall fw(c);
    handshake(fw);
    auto v = pass(fw, Time::s(50), seg(kAck, 900, 101, true));
    CHECK(v.forward);
    CHECK(v.note == NoteKind::kNoRefresh);
    CHECK(fw.expiry_time(0) == Time::s(100));
  }
}

TEST_CASE("middlebox: RETRANS rule shortens the timeout after identical unanswered packets") {
  FirewallConfig c;
  c.established = Time::s(432000);
  c.max_retrans = 3;
  c.retrans_timeout = Time::s(300);
  Firewall fw(c);
  handshake(fw);
  for (int i = 0; i < 3; ++i) pass(fw, Time::s(7200 + 75 * i), seg(kAck, 900, 101, true));
  CHECK(fw.expiry_time(0) == Time::s(7350 + 432000));  // two repeats: not yet
  pass(fw, Time::s(7425), seg(kAck, 900, 101, true));   // third repeat
  CHECK(fw.expiry_time(0) == Time::s(7425 + 300));
  pass(fw, Time::s(7426), seg(kAck, 101, 901));  // an answer resets the count
  CHECK(fw.expiry_time(0) == Time::s(7426 + 432000));
  SUBCASE("the expiry log says which rule set the timeout") {
    Firewall g(c);
    g.set_expiry_log(true);
    handshake(g);
    for (int i = 0; i < 4; ++i) pass(g, Time::s(7200 + 75 * i), seg(kAck, 900, 101, true));
    CHECK(g.check_expiry(Time::s(7425 + 300), 0).is_never());
    REQUIRE(g.expired().size() == 1);
    CHECK(g.expired()[0].rule == TimeoutRule::kRetrans);
    CHECK(g.expired()[0].timeout == Time::s(300));
    CHECK(g.expired()[0].state == FlowState::kEstablished);
  }
}

TEST_CASE("middlebox: no-state RST can be limited to one side (AWS NAT Gateway: inside only)") {
  FirewallConfig c;
  c.on_no_state = NoStateAction::kResetSender;
  c.reset_senders = Sides::kClient;
  Firewall fw(c);
  auto in = pass(fw, Time(), seg(kAck, 101, 901));
  CHECK(in.reply);
  CHECK(in.rst.seq == 901);
  auto out = pass(fw, Time(), seg(kAck, 901, 101, true));
  CHECK_FALSE(out.reply);
  CHECK(out.note == NoteKind::kDropNoState);
}

TEST_CASE("middlebox: NAT translates both directions and re-maps after expiry") {
  FirewallConfig c;
  c.established = Time::s(100);
  c.pickup = Pickup::kFromClient;
  c.nat.enabled = true;
  c.nat.address = 77;
  c.nat.port_lo = 2000;
  c.nat.port_hi = 2999;
  Firewall fw(c, Rng(5));
  Segment syn = seg(kSyn, 100, 0);
  auto v = fw.process(Time(), syn, FlowDir::kFromClient);
  CHECK(v.note == NoteKind::kNatTranslated);
  CHECK(v.a == pack_endpoint(kClient, 40000));
  CHECK(syn.src == 77);
  uint16_t port = syn.sport;
  CHECK(port >= 2000);
  CHECK(port <= 2999);
  // The server answers the mapped address; the box restores the client's.
  Segment reply = seg(kSyn | kAck, 900, 101, true);
  reply.dst = 77;
  reply.dport = port;
  CHECK(fw.process(Time::ms(1), reply, FlowDir::kFromServer).forward);
  CHECK(reply.dst == kClient);
  CHECK(reply.dport == 40000);
  // After expiry the next inside packet gets a new mapping; the old one is dead.
  CHECK(fw.check_expiry(Time::s(200), 0).is_never());
  Segment late = seg(kAck, 101, 901);
  auto w = fw.process(Time::s(300), late, FlowDir::kFromClient);
  CHECK(w.forward);
  CHECK(w.note == NoteKind::kPickedUpNat);
  CHECK(late.sport != port);
  Segment old = seg(kAck, 901, 101, true);
  old.dst = 77;
  old.dport = port;
  auto x = fw.process(Time::s(301), old, FlowDir::kFromServer);
  CHECK_FALSE(x.forward);
  CHECK(x.a == (Time::s(100) + Time::ms(1)).count_ns());
  SUBCASE("port preservation reuses the old port when it is free") {
    c.nat.preserve_port = true;
    c.nat.port_lo = 1024;
    c.nat.port_hi = 65535;
    Firewall p(c, Rng(5));
    Segment s1 = seg(kSyn, 100, 0);
    p.process(Time(), s1, FlowDir::kFromClient);
    CHECK(s1.sport == 40000);
  }
}

TEST_CASE("middlebox: after a NAT pickup the connection's packets use the new entry, not the expired one") {
  // The expired entry keeps its slot and its keys; a lookup must not find
  // it again. Otherwise the server's answer to a preserved port is dropped
  // as stateless and every client retransmission gets yet another mapping.
  FirewallConfig c;
  c.established = Time::s(100);
  c.pickup = Pickup::kLoose;
  c.nat.enabled = true;
  c.nat.address = 77;
  c.nat.preserve_port = true;
  Firewall fw(c, Rng(5));
  const uint32_t tag = 3;
  Segment syn = seg(kSyn, 100, 0);
  fw.process(Time(), syn, FlowDir::kFromClient, tag);
  Segment synack = seg(kSyn | kAck, 900, 101, true);
  synack.dst = 77;
  CHECK(fw.process(Time::ms(1), synack, FlowDir::kFromServer, tag).forward);
  CHECK(fw.check_expiry(Time::s(200), 0, nullptr).is_never());
  Segment late = seg(kAck, 101, 901);
  auto v = fw.process(Time::s(300), late, FlowDir::kFromClient, tag);
  CHECK(v.note == NoteKind::kPickedUpNat);
  CHECK(late.sport == 40000);  // the original port was free again
  Segment answer = seg(kAck, 901, 102, true);
  answer.dst = 77;
  auto w = fw.process(Time::s(301), answer, FlowDir::kFromServer, tag);
  CHECK(w.forward);
  CHECK(answer.dst == kClient);
  Segment again = seg(kAck, 102, 901);
  auto x = fw.process(Time::s(302), again, FlowDir::kFromClient, tag);
  CHECK(x.forward);
  CHECK(x.note == NoteKind::kNatTranslated);  // the same mapping, not a new pickup
  CHECK(fw.live_entries() == 1);
}

TEST_CASE("middlebox: a full table drops new flows or evicts the least recently active") {
  FirewallConfig c;
  c.max_entries = 2;
  Segment a = seg(kSyn, 1, 0), b = seg(kSyn, 1, 0), d = seg(kSyn, 1, 0);
  b.sport = 40001;
  d.sport = 40002;
  SUBCASE("drop") {
    Firewall fw(c);
    CHECK(pass(fw, Time(), a).forward);
    CHECK(pass(fw, Time::s(1), b).forward);
    auto v = pass(fw, Time::s(2), d);
    CHECK_FALSE(v.forward);
    CHECK(v.note == NoteKind::kDropTableFull);
    CHECK(fw.live_entries() == 2);
  }
  SUBCASE("evict-oldest") {
    c.when_full = WhenFull::kEvictOldest;
    Firewall fw(c);
    pass(fw, Time(), a);
    pass(fw, Time::s(1), b);
    pass(fw, Time::s(2), seg(kSyn | kAck, 9, 2, true));  // refreshes a: b is now the oldest
    CHECK(pass(fw, Time::s(3), d).forward);
    CHECK(fw.live_entries() == 2);
    CHECK(fw.state(1) == FlowState::kExpired);
    CHECK(fw.state(0) == FlowState::kEstablished);
  }
}

TEST_CASE("middlebox: early drop evicts an entry that is not ASSURED, else drops (Linux conntrack)") {
  // Measured on Linux 6.18 (tools/conntrack-compare/RESULTS.md): with every
  // entry ASSURED the new SYN is dropped; an unreplied entry is evicted.
  FirewallConfig c;
  c.max_entries = 2;
  c.when_full = WhenFull::kEarlyDrop;
  // The segment `s` on the flow whose client port is `port`.
  auto on = [](Segment s, uint16_t port) {
    (s.src == kClient ? s.sport : s.dport) = port;
    return s;
  };
  Firewall fw(c);
  handshake(fw);  // slot 0, port 40000: ASSURED at the handshake's last ACK
  SUBCASE("an unanswered SYN is evicted even though an ASSURED entry is older") {
    CHECK(pass(fw, Time::s(1), on(seg(kSyn, 5, 0), 40001)).forward);  // slot 1: SYN_SENT
    auto v = pass(fw, Time::s(2), on(seg(kSyn, 7, 0), 40002));
    CHECK(v.forward);
    CHECK(fw.state(1) == FlowState::kExpired);
    CHECK(fw.state(0) == FlowState::kEstablished);
    CHECK(fw.live_entries() == 2);
  }
  SUBCASE("a SYN-ACK without the last ACK (SYN_RECV) is not ASSURED") {
    pass(fw, Time::s(1), on(seg(kSyn, 5, 0), 40001));
    pass(fw, Time::s(1), on(seg(kSyn | kAck, 50, 6, true), 40001));
    CHECK(pass(fw, Time::s(2), on(seg(kSyn, 7, 0), 40002)).forward);
    CHECK(fw.state(1) == FlowState::kExpired);
  }
  SUBCASE("every entry ASSURED: the new flow is dropped") {
    pass(fw, Time::s(1), on(seg(kSyn, 5, 0), 40001));
    pass(fw, Time::s(1), on(seg(kSyn | kAck, 50, 6, true), 40001));
    pass(fw, Time::s(1), on(seg(kAck, 6, 51), 40001));
    auto v = pass(fw, Time::s(2), on(seg(kSyn, 7, 0), 40002));
    CHECK_FALSE(v.forward);
    CHECK(v.note == NoteKind::kDropTableFull);
    CHECK(v.a == 2);
    CHECK(fw.state(0) == FlowState::kEstablished);
    CHECK(fw.state(1) == FlowState::kEstablished);
  }
  SUBCASE("a picked-up flow is ASSURED only after a packet that follows the reply") {
    c.pickup = Pickup::kLoose;
    Firewall lf(c);
    handshake(lf);
    pass(lf, Time::s(1), on(seg(kAck, 5, 50), 40001));        // picked up
    pass(lf, Time::s(1), on(seg(kAck, 50, 5, true), 40001));  // the reply: SEEN_REPLY, not yet ASSURED
    SUBCASE("not yet") {
      CHECK(pass(lf, Time::s(2), on(seg(kSyn, 7, 0), 40002)).forward);
      CHECK(lf.state(1) == FlowState::kExpired);
    }
    SUBCASE("after one more packet") {
      pass(lf, Time::s(1), on(seg(kAck, 5, 50), 40001));
      CHECK_FALSE(pass(lf, Time::s(2), on(seg(kSyn, 7, 0), 40002)).forward);
    }
  }
}

TEST_CASE("middlebox: the linux-conntrack profiles early-drop when the table is full") {
  for (const char* name : {"linux-conntrack", "linux-conntrack-strict", "linux-conntrack-reject"}) {
    CAPTURE(name);
    const MiddleboxProfile* p = find_middlebox_profile(name);
    REQUIRE(p != nullptr);
    CHECK(p->config.when_full == WhenFull::kEarlyDrop);
  }
}

TEST_CASE("middlebox: pf adaptive timeouts shrink as the table fills") {
  FirewallConfig c;
  c.established = Time::s(1000);
  c.adaptive_start = 2;
  c.adaptive_end = 6;
  Firewall fw(c);
  handshake(fw);
  CHECK(fw.expiry_time(0) == Time::s(1000));  // 1 entry: below start
  for (uint16_t p = 1; p <= 3; ++p) {
    Segment s = seg(kSyn, 1, 0);
    s.sport = static_cast<uint16_t>(41000 + p);
    pass(fw, Time(), s);
  }
  // 4 entries: scaled by (6 - 4) / (6 - 2) = 1/2.
  CHECK(fw.expiry_time(0) == Time::s(500));
  auto v = pass(fw, Time::s(600), seg(kAck, 101, 901));
  CHECK_FALSE(v.forward);
}

TEST_CASE("middlebox: flush forgets everything at once") {
  Firewall fw(FirewallConfig{});
  handshake(fw);
  fw.flush(Time::s(5));
  auto v = pass(fw, Time::s(6), seg(kAck, 101, 901));
  CHECK_FALSE(v.forward);
  CHECK(v.a == Time::s(5).count_ns());
}

// ---------------------------------------------------------------- profiles

TEST_CASE("profiles: the catalogue has the issue's devices with their documented timeouts") {
  std::set<std::string_view> names;
  for (const MiddleboxProfile& p : middlebox_profiles()) {
    CHECK(names.insert(p.name).second);
    CHECK_FALSE(p.sources.empty());
  }
  struct Want {
    const char* name;
    int64_t established_s;
  };
  for (Want w : {Want{"linux-conntrack", 432000}, Want{"pf", 86400}, Want{"cisco-asa", 3600},
                 Want{"palo-alto", 3600}, Want{"fortigate", 3600}, Want{"checkpoint", 3600},
                 Want{"juniper-srx", 1800}, Want{"aws-nlb", 350}, Want{"aws-nat-gateway", 350}, Want{"aws-alb", 60},
                 Want{"azure-lb", 240}, Want{"azure-lb-tcp-reset", 240}, Want{"azure-nat-gateway", 240},
                 Want{"gcp-cloud-nat", 1200}, Want{"gcp-vpc-firewall", 600}, Want{"home-nat", 7440}}) {
    CAPTURE(w.name);
    const MiddleboxProfile* p = find_middlebox_profile(w.name);
    REQUIRE(p != nullptr);
    CHECK(p->config.established == Time::s(w.established_s));
  }
  CHECK(find_middlebox_profile("azure-lb-tcp-reset")->config.on_idle == IdleAction::kResetBoth);
  CHECK(find_middlebox_profile("azure-lb")->config.on_idle == IdleAction::kForget);
  CHECK(find_middlebox_profile("aws-nat-gateway")->config.reset_senders == Sides::kClient);
  CHECK(find_middlebox_profile("aws-alb")->config.refresh_on == RefreshOn::kNewData);
  CHECK(find_middlebox_profile("gcp-vpc-firewall")->config.pickup == Pickup::kFromClient);
  CHECK(find_middlebox_profile("linux-conntrack")->config.pickup_timeout == Time::s(300));
  CHECK(find_middlebox_profile("pf")->config.adaptive_start == 60000);
  CHECK(find_middlebox_profile("cisco-asa-dcd")->config.on_idle == IdleAction::kProbe);
  CHECK(find_middlebox_profile("home-nat")->config.nat.enabled);
  // From the reference's table: GCP's external Application LB keeps idle
  // backend connections 600 s and, as a proxy, counts only data; Cisco
  // RV120W's TCP session timeout is 1800 s.
  CHECK(find_middlebox_profile("gcp-external-alb")->config.established == Time::s(600));
  CHECK(find_middlebox_profile("gcp-external-alb")->config.refresh_on == RefreshOn::kNewData);
  CHECK(find_middlebox_profile("cisco-rv120w")->config.established == Time::s(1800));
  CHECK(find_middlebox_profile("cisco-rv120w")->config.nat.enabled);
  std::string listing = describe_middlebox_profiles();
  for (std::string_view n : names) CHECK(listing.find(std::string(n) + ": ") != std::string::npos);
}

TEST_CASE("profiles: the listing marks kasim's assumptions UNVERIFIED, profile by profile") {
  std::string listing = describe_middlebox_profiles();
  // The UNVERIFIED lines of one profile: between its heading and the next blank line.
  auto marks = [&](std::string_view name) {
    size_t at = listing.find("\n" + std::string(name) + ": ");
    REQUIRE_MESSAGE(at != std::string::npos, name);
    size_t end = listing.find("\n\n", at + 1);
    std::string block = listing.substr(at, end - at);
    int n = 0;
    for (size_t p = block.find("\n  UNVERIFIED: "); p != std::string::npos; p = block.find("\n  UNVERIFIED: ", p + 1))
      ++n;
    return n;
  };
  CHECK(marks("linux-conntrack") == 0);  // every value from the kernel source
  CHECK(marks("linux-ipvs") == 1);
  CHECK(marks("juniper-srx") == 2);
  CHECK(marks("cisco-rv120w") == 3);
  CHECK(listing.find("  UNVERIFIED: packets without state: dropped silently (IPVS expiry behaviour not read)") !=
        std::string::npos);
  size_t total = 0;
  for (const MiddleboxProfile& p : middlebox_profiles()) total += p.unverified.size();
  CHECK(total >= 19);
}

TEST_CASE("profiles: every profile in the catalogue has a scenario in scenarios/") {
  // A new profile must come with a scenario that shows its defining
  // behaviour (issue 4 item 5): this fails until one uses it.
  namespace fs = std::filesystem;
  std::set<std::string> used;
  for (const auto& e : fs::directory_iterator(fs::path(KASIM_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    LoadResult lr = load_scenario_file(e.path().string());
    REQUIRE_MESSAGE(lr.scenario, lr.error.to_string());
    for (const MiddleboxSpec& m : lr.scenario->middleboxes) used.insert(m.profile);
  }
  REQUIRE(used.size() > 1);
  for (std::string_view name : middlebox_profile_names()) {
    CAPTURE(name);
    CHECK_MESSAGE(used.count(std::string(name)) == 1, "no scenario uses profile ", name);
  }
}

TEST_CASE("profiles: selected by name, overridden key by key, typos suggested") {
  Scenario s = must_load(R"(
duration: 1h
hosts: { a: {}, b: {} }
middleboxes:
  nlb: { profile: aws-nlb, idle_timeout: 600s }
  nat: { profile: home-nat, nat: { address: 198.51.100.7 } }
links: [ { between: [a, nlb], delay: 1ms }, { between: [nlb, nat], delay: 1ms }, { between: [nat, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)");
  CHECK(s.middleboxes[0].profile == "aws-nlb");
  CHECK(s.middleboxes[0].firewall.established == Time::s(600));
  CHECK(s.middleboxes[0].firewall.on_no_state == NoStateAction::kResetSender);
  CHECK(s.middleboxes[1].firewall.nat.address == ((198u << 24) | (51u << 16) | (100u << 8) | 7u));
  CHECK(s.middleboxes[1].firewall.established == Time::s(7440));
  std::string err = load_error(R"(
duration: 1h
hosts: { a: {}, b: {} }
middleboxes:
  fw: { profile: azure-lb-tcp-rst }
links: [ { between: [a, fw], delay: 1ms }, { between: [fw, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)");
  CHECK(err.rfind("test.yaml:5:18: unknown middlebox profile 'azure-lb-tcp-rst' (did you mean 'azure-lb-tcp-reset'?)", 0) == 0);
}

// ------------------------------------------------------------- scenarios

namespace {
std::string two_box_path(const std::string& fw_spec, const std::string& extra = "") {
  return R"(
duration: 3h
hosts:
  a: { hz: 0, address: 10.0.0.1 }
  b: { hz: 0, address: 10.0.1.1 }
middleboxes:
  fw: )" + fw_spec + R"(
links: [ { between: [a, fw], delay: 1ms }, { between: [fw, b], delay: 1ms } ]
connections:
  - name: c
    client: a
    server: b
    port: 80
)" + extra;
}
}  // namespace

TEST_CASE("scenario: Azure LB TCP reset on idle resets both ends at the moment of expiry") {
  Run r = run_yaml(two_box_path("{ profile: azure-lb-tcp-reset }",
                                "    traffic: [ { at: 1s, from: client, bytes: 10 } ]\n"));
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kReset);
  CHECK(o.killer == "fw");
  CHECK(o.side[0].error == SocketError::kEconnreset);
  CHECK(o.side[1].error == SocketError::kEconnreset);
  // Last activity: the server's ACK passes fw at 1.003 s; + 240 s; RSTs arrive 1 ms later.
  CHECK(t(o.side[0].error_at) == "241.004000");
  CHECK(t(o.side[1].error_at) == "241.004000");
  CHECK(r.with(NoteKind::kFirewallRstIdle, "fw", CaptureDir::kOut).size() == 2);
  CHECK_FALSE(o.half_open);
}

TEST_CASE("scenario: ASA DCD keeps an idle but healthy connection, frees a dead one") {
  Run alive = run_yaml(two_box_path("{ profile: cisco-asa-dcd }"));
  CHECK(alive.outcome().fate == Fate::kAlive);
  CHECK(alive.with(NoteKind::kDcdProbe, "fw", CaptureDir::kOut).size() == 4);  // two rounds of two
  CHECK(alive.at("fw", CaptureDir::kDrop).size() == 4);                         // the four answers consumed
  Run dead = run_yaml(two_box_path("{ profile: cisco-asa-dcd }", R"(faults: [ { at: 30m, host: b, action: crash } ]
)"));
  // 1 h: probes to both, the client answers; then 4 more probes to the server: 6 probes in all.
  CHECK(dead.with(NoteKind::kDcdProbe, "fw", CaptureDir::kOut).size() == 6);
  size_t to_server = 0;
  for (const TraceRecord& rec : dead.with(NoteKind::kDcdProbe, "fw", CaptureDir::kOut))
    to_server += rec.seg.dst == (10u << 24 | 1u << 8 | 1u) ? 1 : 0;
  CHECK(to_server == 5);  // max-retries 5, then the connection is freed
}

TEST_CASE("scenario: a NAT re-mapping makes the server answer RST, blamed on the NAT") {
  Run r = run_yaml(two_box_path("{ profile: home-nat, idle_timeout: 30m }",
                                "    traffic: [ { at: 1h, from: client, bytes: 10 } ]\n"));
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kReset);
  CHECK(o.killer == "fw");
  CHECK(o.side[0].error == SocketError::kEconnreset);
  CHECK(o.side[0].error_cause.find("new mapping") != std::string::npos);
  CHECK(o.side[1].error == SocketError::kNone);  // the server's own socket never saw it
  auto in = r.at("b", CaptureDir::kIn);
  REQUIRE_FALSE(in.empty());
  CHECK(in.back().fate == NoteKind::kUnknownTuple);
  // The server always sees the NAT's address, never the client's.
  for (const TraceRecord& rec : in) CHECK(rec.seg.src != (10u << 24 | 1u));
}

TEST_CASE("scenario: with several boxes the outcome names the one that killed the connection") {
  Run r = run_yaml(R"(
duration: 3h
hosts: { a: { hz: 0 }, b: { hz: 0 } }
middleboxes:
  home: { profile: home-nat }
  nlb: { profile: aws-nlb }
links: [ { between: [a, home], delay: 1ms }, { between: [home, nlb], delay: 10ms }, { between: [nlb, b], delay: 1ms } ]
connections:
  - name: c
    client: a
    server: b
    port: 80
    traffic: [ { at: 1s, from: client, bytes: 10 }, { at: 20m, from: client, bytes: 10 } ]
)");
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kReset);
  CHECK(o.killer == "nlb");
  CHECK(o.side[0].error_cause.find("RST from nlb") == 0);
}

TEST_CASE("scenario: the sink hears each expiry from the box's own entry, NAT or not") {
  // Behind a NAT the packets a box forwards carry translated addresses; the
  // expiry must still be the real one (last refresh = the server's ACK
  // passing back, ESTABLISHED timeout), not one re-derived from them.
  Run r = run_yaml(R"(
duration: 1h
hosts: { a: { hz: 0, address: 10.0.0.1 }, b: { hz: 0, address: 10.0.9.9 } }
middleboxes:
  nat: { profile: gcp-cloud-nat, nat: { address: 203.0.113.5 } }
  nlb: { profile: aws-nlb }
links: [ { between: [a, nat], delay: 10ms }, { between: [nat, nlb], delay: 1ms }, { between: [nlb, b], delay: 1ms } ]
connections:
  - name: c
    client: a
    server: b
    port: 80
    traffic: [ { at: 1s, from: client, bytes: 10 }, { at: 30m, from: client, bytes: 10 } ]
)");
  REQUIRE(r.sink.expiries.size() == 2);
  const ExpiryRecord& nlb = r.sink.expiries[0];
  const ExpiryRecord& nat = r.sink.expiries[1];
  CHECK(nlb.node == r.scenario.node_index("nlb"));
  // The write reaches b at 1.012 (10 + 1 + 1 ms); b's ACK passes nlb at
  // 1.013 and the NAT at 1.014: each box's last refresh.
  CHECK(t(nlb.t) == "351.013000");
  CHECK(nat.node == r.scenario.node_index("nat"));
  CHECK(nat.state == FlowState::kEstablished);
  CHECK(nat.timeout == Time::s(1200));
  CHECK(t(nat.last_seen) == "1.014000");
  CHECK(t(nat.t) == "1201.014000");
  // The drop of the later write reports the same expiry.
  auto drops = r.at("nat", CaptureDir::kDrop);
  REQUIRE_FALSE(drops.empty());
  CHECK(drops[0].fate_a == nat.t.count_ns());
  CHECK(r.outcome().killer == "nat");
}

TEST_CASE("scenario: a TIME_WAIT timeout drops a late FIN; both applications closed, so the fate is closed") {
  // FortiGate keeps a session 1 s after FINs from both sides; the client's
  // last ACK is lost, and the server's FIN retransmitted 1.632 s after the
  // previous one finds no state.
  Run r = run_yaml(R"(
duration: 1m
hosts: { a: { hz: 0 }, b: { hz: 0 } }
middleboxes: { fgt: { profile: fortigate } }
links: [ { between: [a, fgt], delay: 1ms }, { between: [fgt, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, traffic: [ { at: 10s, from: client, action: close } ] }
faults:
  - { at: 10.0035s, link: [a, fgt], loss: 100%, until: 12s }
)");
  auto drops = r.at("fgt", CaptureDir::kDrop);
  REQUIRE_FALSE(drops.empty());
  CHECK(drops[0].seg.has(kFin));
  CHECK(drops[0].fate == NoteKind::kDropNoState);
  REQUIRE(r.sink.expiries.size() == 1);
  CHECK(r.sink.expiries[0].state == FlowState::kTimeWait);
  CHECK(r.sink.expiries[0].timeout == Time::s(1));
  CHECK(drops[0].fate_a == r.sink.expiries[0].t.count_ns());
  CHECK(drops[0].t - r.sink.expiries[0].last_seen > Time::s(1));
  // The server is in LAST_ACK, but its application closed: not half-open.
  CHECK(r.outcome().side[1].state == TcpState::kLastAck);
  CHECK(r.outcome().fate == Fate::kClosed);
  CHECK_FALSE(r.outcome().half_open);
}

TEST_CASE("scenario: ALB ignores keepalives: only data keeps the connection") {
  Run r = run_yaml(two_box_path("{ profile: aws-alb }", R"(    keepalive: { client: { idle: 20s, interval: 5s, count: 3 } }
)"));
  CHECK(r.outcome().fate == Fate::kReset);
  CHECK(r.outcome().killer == "fw");
  CHECK(r.outcome().side[0].keepalive_probes >= 2);
}

TEST_CASE("scenario: killing a process that stopped reading resets the peer; loss bursts drop only inside their window") {
  // process_kill_test.cc has the FIN/RST rule per OS.
  Run k = run_yaml(two_box_path("{ type: firewall }", "    traffic: [ { at: 1s, from: client, bytes: 10 } ]\n"
                                                       "faults: [ { at: 10m, host: b, action: kill, unread_data: true } ]\n"));
  CHECK(k.outcome().fate == Fate::kReset);
  CHECK(k.outcome().killer == "b");
  CHECK(t(k.outcome().side[0].error_at) == "600.002000");
  CHECK(k.with(NoteKind::kAbortRst, "b", CaptureDir::kOut).size() == 1);

  Run l = run_yaml(two_box_path("{ type: firewall }", R"(    traffic: [ { every: 1s, from: client, bytes: 10, until: 100s } ]
faults: [ { at: 20s, link: [a, fw], loss: 100%, until: 30s } ]
)"));
  size_t lost = 0;
  for (const TraceRecord& rec : l.sink.records)
    if (rec.fate == NoteKind::kDropLinkLoss) {
      ++lost;
      CHECK(rec.t >= Time::s(20));
      CHECK(rec.t < Time::s(30));
    }
  CHECK(lost >= 10);
  CHECK(l.outcome().fate == Fate::kAlive);
}

TEST_CASE("bad input: middlebox and fault keys say what was expected") {
  auto with_fw = [](const std::string& fw, const std::string& faults = "") {
    return load_error(R"(
duration: 1h
hosts: { a: {}, b: {} }
middleboxes:
  fw: )" + fw + R"(
links: [ { between: [a, fw], delay: 1ms }, { between: [fw, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
)" + faults);
  };
  CHECK(with_fw("{ type: firewall, pickup: lose }") ==
        "test.yaml:5:33: pickup must be strict, loose, from-client or from-server, got 'lose' (did you mean 'loose'?)");
  CHECK(with_fw("{ type: firewall, adaptive: { start: 10, end: 5 } }") ==
        "test.yaml:5:53: adaptive end must be above start");
  CHECK(with_fw("{ type: firewall, nat: { address: 10.0.1.1 } }") ==
        "test.yaml:5:30: the NAT address 10.0.1.1 of middlebox 'fw' is host 'b's address");
  CHECK(with_fw("{ type: firewall }", "faults: [ { at: 1m, link: [a, fw], state: down, loss: 1% } ]\n") ==
        "test.yaml:8:55: a link fault sets either 'state' or 'loss', not both");
  CHECK(with_fw("{ type: firewall }", "faults: [ { at: 1m, link: [a, fw], loss: 1%, until: 30s } ]\n") ==
        "test.yaml:8:53: until must be after at");
}
