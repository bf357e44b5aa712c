// TcpEndpoint on its own: two endpoints wired back to back by hand, so each
// segment and each sequence number can be checked.
#include "kasim/tcp_endpoint.h"

#include <fmt/format.h>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {
struct Pair {
  const OsProfile* os = find_os_profile("linux");
  HostTunables tun = os->defaults;
  LinuxClock clock;  // ideal
  TcpEndpointEnv env{os, &tun, &clock};
  TcpEndpoint c, s;
  TcpOutput out;
  Pair() {
    c = TcpEndpoint({&env, 1, 2, 40000, 80, 1000});
    s = TcpEndpoint({&env, 2, 1, 80, 40000, 5000});
    s.listen();
  }
  // Delivers every segment in `out` to `to`, returning what was sent.
  std::vector<EmittedSegment> take() {
    std::vector<EmittedSegment> v = out.segments;
    out.clear();
    return v;
  }
};
}  // namespace

TEST_CASE("handshake: SYN, SYN-ACK, ACK with the right numbers") {
  Pair p;
  p.c.connect(Time(), p.out);
  auto syn = p.take();
  REQUIRE(syn.size() == 1);
  CHECK(syn[0].seg.flags == kSyn);
  CHECK(syn[0].seg.seq == 1000);
  CHECK(p.c.state() == TcpState::kSynSent);

  p.s.on_segment(Time::ms(1), syn[0].seg, p.out);
  auto synack = p.take();
  REQUIRE(synack.size() == 1);
  CHECK(synack[0].seg.flags == (kSyn | kAck));
  CHECK(synack[0].seg.seq == 5000);
  CHECK(synack[0].seg.ack == 1001);

  p.c.on_segment(Time::ms(2), synack[0].seg, p.out);
  auto ack = p.take();
  REQUIRE(ack.size() == 1);
  CHECK(ack[0].seg.flags == kAck);
  CHECK(ack[0].seg.seq == 1001);
  CHECK(ack[0].seg.ack == 5001);
  CHECK(p.c.state() == TcpState::kEstablished);
  p.s.on_segment(Time::ms(3), ack[0].seg, p.out);
  CHECK(p.s.state() == TcpState::kEstablished);
  CHECK(p.take().empty());
}

TEST_CASE("data is segmented at the MSS and acknowledged cumulatively") {
  Pair p;
  p.c.connect(Time(), p.out);
  p.s.on_segment(Time::ms(1), p.take()[0].seg, p.out);
  p.c.on_segment(Time::ms(2), p.take()[0].seg, p.out);
  p.s.on_segment(Time::ms(3), p.take()[0].seg, p.out);
  p.c.send(Time::s(1), 3000, p.out);
  auto data = p.take();
  REQUIRE(data.size() == 3);
  CHECK(data[0].seg.seq == 1001);
  CHECK(data[0].seg.len == 1460);
  CHECK(data[1].seg.seq == 2461);
  CHECK(data[2].seg.len == 80);
  CHECK(data[2].seg.flags == (kPsh | kAck));
  CHECK(data[0].seg.flags == kAck);
  for (auto& d : data) p.s.on_segment(Time::s(1) + Time::ms(1), d.seg, p.out);
  auto acks = p.take();
  REQUIRE(acks.size() == 3);
  CHECK(acks[2].seg.ack == 4001);
  for (auto& a : acks) p.c.on_segment(Time::s(1) + Time::ms(2), a.seg, p.out);
  CHECK(p.c.snd_una() == 4001);
  CHECK(p.c.next_wakeup().is_never());  // nothing in flight: no retransmission timer
}

TEST_CASE("RST: exact sequence resets with ECONNRESET, in-window gets a challenge ACK, outside is ignored") {
  auto established = [] {
    auto p = std::make_unique<Pair>();
    p->c.connect(Time(), p->out);
    p->s.on_segment(Time::ms(1), p->take()[0].seg, p->out);
    p->c.on_segment(Time::ms(2), p->take()[0].seg, p->out);
    p->s.on_segment(Time::ms(3), p->take()[0].seg, p->out);
    p->out.clear();
    return p;
  };
  Segment rst;
  rst.src = 1; rst.dst = 2; rst.sport = 40000; rst.dport = 80; rst.flags = kRst;
  {
    auto p = established();
    rst.seq = 1001;  // server's rcv_nxt
    p->s.on_segment(Time::s(1), rst, p->out);
    CHECK(p->s.state() == TcpState::kClosed);
    CHECK(p->s.error() == SocketError::kEconnreset);
    REQUIRE(p->out.app.size() == 1);
    CHECK(p->out.app[0].error == SocketError::kEconnreset);
  }
  {
    auto p = established();
    rst.seq = 1100;  // inside the window, not exact
    p->s.on_segment(Time::s(1), rst, p->out);
    CHECK(p->s.state() == TcpState::kEstablished);
    auto v = p->take();
    REQUIRE(v.size() == 1);
    CHECK(v[0].seg.flags == kAck);  // RFC 5961 challenge ACK
  }
  {
    auto p = established();
    rst.seq = 900;  // before the window
    p->s.on_segment(Time::s(1), rst, p->out);
    CHECK(p->s.state() == TcpState::kEstablished);
    CHECK(p->take().empty());
  }
}

TEST_CASE("a closed socket answers with an RFC 9293 reset") {
  Pair p;
  Segment probe;
  probe.src = 1; probe.dst = 2; probe.sport = 40000; probe.dport = 80;
  probe.flags = kAck; probe.seq = 999; probe.ack = 777;
  p.c.on_segment(Time(), probe, p.out);
  auto v = p.take();
  REQUIRE(v.size() == 1);
  CHECK(v[0].seg.flags == kRst);
  CHECK(v[0].seg.seq == 777);
}

TEST_CASE("scenario: FIN close goes through FIN_WAIT and TIME_WAIT; the peer closes on EOF") {
  Run r = run_yaml(R"(
name: t
duration: 5m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 1s, from: client, action: close } ] }
)");
  auto fins = r.with(NoteKind::kFin, "a", CaptureDir::kOut);
  REQUIRE(fins.size() == 1);
  CHECK(fins[0].seg.flags == (kFin | kAck));
  CHECK(fins[0].seg.seq == 2);
  auto server_fin = r.with(NoteKind::kFin, "b", CaptureDir::kOut);
  REQUIRE(server_fin.size() == 1);
  CHECK(t(server_fin[0].t) == "1.001000");
  CHECK(r.outcome().fate == Fate::kClosed);
  CHECK(r.outcome().side[0].state == TcpState::kClosed);  // TIME_WAIT (60 s) is over at 5 min
}

TEST_CASE("data reaching a socket its application closed is answered with an RST; a FIN gets a loss probe") {
  // As tests/kernel/data-after-close.yaml, which matched the kernel: the client cannot hear the server's FIN
  // (input filter), so it does not close; its data at 2.1 s reaches a socket nobody can read any more.
  Run r = run_yaml(R"(
name: t
duration: 5s
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 0s } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 1s, from: server, action: close }, { at: 2.1s, from: client, bytes: 10 } ] }
faults:
  - { at: 0.5s, host: a, action: block-from, peer: b }
  - { at: 2s, host: a, action: unblock-from, peer: b }
)");
  // The FIN's first retransmission is a tail loss probe, then RTO retransmissions.
  auto tlp = r.with(NoteKind::kTailLossProbe, "b", CaptureDir::kOut);
  REQUIRE(tlp.size() == 1);
  CHECK(tlp[0].seg.flags == (kFin | kAck));
  CHECK(r.with(NoteKind::kDataRetransmit, "b", CaptureDir::kOut).size() == 2);
  auto rst = r.with(NoteKind::kRstDataAfterClose, "b", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "2.100000");
  CHECK(rst[0].seg.flags == kRst);  // no ACK flag: seq is the data's ack (tcp_v4_send_reset())
  CHECK(rst[0].seg.seq == 101);     // the server's FIN: the client had acknowledged nothing of it
  CHECK(r.outcome().fate == Fate::kReset);
  CHECK(r.outcome().side[0].error == SocketError::kEconnreset);
  CHECK(r.outcome().side[1].error == SocketError::kNone);  // its application is gone
  CHECK(r.outcome().side[1].state == TcpState::kClosed);
}

TEST_CASE("linux: black-hole write: TLP, then RTO doubling, then ETIMEDOUT with no RST (tcp_retries2)") {
  Run r = run_yaml(R"(
name: t
duration: 30m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: client, bytes: 10 } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  auto tlp = r.with(NoteKind::kTailLossProbe, "a", CaptureDir::kOut);
  REQUIRE(tlp.size() == 1);
  // srtt = 2 ms from the handshake: RTO = 2 ms + 200 ms; PTO = min(2*srtt + 200 ms, RTO) = 202 ms.
  CHECK(t(tlp[0].t) == "10.202000");
  auto rtx = r.with(NoteKind::kDataRetransmit, "a", CaptureDir::kOut);
  REQUIRE(rtx.size() >= 3);
  CHECK(t(rtx[0].t) == "10.404000");
  CHECK(t(rtx[1].t) == "10.808000");
  CHECK(t(rtx[2].t) == "11.616000");
  // Give-up (tcp_retransmit_timer() -> tcp_write_timeout() ->
  // retransmits_timed_out(sk, tcp_retries2, 0)): at each RTO expiry after the
  // first, the connection dies once now - retrans_stamp (the first RTO
  // retransmission, 10.404; the TLP does not set it) >= tcp_model_timeout(15,
  // TCP_RTO_MIN): linear_backoff_thresh = ilog2(120 s / 200 ms) = 9, and
  // 15 > 9, so timeout = (2^10 - 1) * 200 ms + (15 - 9) * 120 s = 924.6 s.
  // This connection's RTO is 202 ms, not 200: after the first retransmission
  // the waits are 404, 808, ..., 103424 ms (9 doublings, summing to 206.444 s),
  // then 120 s each. The expiry after the 15th retransmission comes at
  // 206.444 + 6 * 120 = 926.444 s >= 924.6 s (the one before, 806.444 s, is
  // short): ETIMEDOUT at 10.404 + 926.444 = 936.848 s, 15 RTO
  // retransmissions. (With an RTO of exactly 200 ms that expiry would be
  // at 924.4 s < 924.6 s and a 16th retransmission would go out.)
  const auto& o = r.outcome();
  CHECK(o.side[0].error == SocketError::kEtimedout);
  CHECK(rtx.size() == 15);
  CHECK(t(rtx.back().t) == "816.848000");
  CHECK(t(o.side[0].error_at) == "936.848000");
  CHECK(o.side[0].error_at - rtx[0].t == Time::ms(926444));
  CHECK(r.with(NoteKind::kRetransmitGiveUpRst, "a", CaptureDir::kOut).empty());
  CHECK(o.killer == "a (input filter)");
  // Backoff is capped at TCP_RTO_MAX (120 s).
  for (size_t i = 1; i < rtx.size(); ++i) CHECK(rtx[i].t - rtx[i - 1].t <= Time::s(120));
}

TEST_CASE("linux: black-hole write with tcp_retries2 = 5 gives up at the 7th RTO expiry (tcp_model_timeout 12.6 s)") {
  // tcp_model_timeout(5, 200 ms): 5 <= linear_backoff_thresh (9), so
  // timeout = (2^6 - 1) * 200 ms = 12.6 s after the first RTO retransmission
  // (10.404). With this connection's 202 ms RTO the expiries after it come
  // 0.404, 1.212, 2.828, 6.060, 12.524 s later (retransmissions 2..6: 12.524 s
  // is 76 ms short of 12.6 s), and the next, 25.452 s later, gives up:
  // 6 RTO retransmissions, ETIMEDOUT at 10.404 + 25.452 = 35.856 s, no RST.
  // (A 204 ms RTO, as at HZ=250, reaches 12.648 s at the 6th expiry and gives
  // up there: tests/kernel/blackhole-write-retries2.yaml.)
  Run r = run_yaml(R"(
name: t
duration: 2m
hosts:
  a: { hz: 0, sysctl: { net.ipv4.tcp_retries2: 5 } }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: client, bytes: 10 } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  auto rtx = r.with(NoteKind::kDataRetransmit, "a", CaptureDir::kOut);
  std::vector<std::string> got;
  for (const TraceRecord& x : rtx) got.push_back(t(x.t));
  CHECK(got == std::vector<std::string>{"10.404000", "10.808000", "11.616000", "13.232000", "16.464000", "22.928000"});
  const auto& o = r.outcome();
  CHECK(o.side[0].error == SocketError::kEtimedout);
  CHECK(t(o.side[0].error_at) == "35.856000");
  CHECK(r.with(NoteKind::kRetransmitGiveUpRst, "a", CaptureDir::kOut).empty());
}

TEST_CASE("linux: an orphan (FIN_WAIT1) gives up after tcp_orphan_retries (0 = 8), silently") {
  // The server closes; the client's input filter drops its FIN. The socket
  // is an orphan (its application closed it), so tcp_write_timeout() uses
  // tcp_orphan_retries() = 8 instead of tcp_retries2 (15): the time rule
  // becomes tcp_model_timeout(8, 200 ms) = 511 * 200 ms = 102.2 s after the
  // first RTO retransmission (10.404). With the 202 ms RTO the expiries after
  // it come 0.404, 1.212, ..., 51.308 s later (retransmissions 2..8), and the
  // next, 103.02 s later, gives up: 8 retransmissions, gone at 113.424, no
  // RST and no error (nobody holds the socket). tcp_retries2 would have sent
  // a 9th at 113.424. Measured: tests/kernel/orphan-retries.yaml.
  Run r = run_yaml(R"(
name: t
duration: 10m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: server, action: close } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  auto rtx = r.with(NoteKind::kDataRetransmit, "b", CaptureDir::kOut);
  std::vector<std::string> got;
  for (const TraceRecord& x : rtx) got.push_back(t(x.t));
  CHECK(got == std::vector<std::string>{"10.404000", "10.808000", "11.616000", "13.232000", "16.464000",
                                        "22.928000", "35.856000", "61.712000"});
  const auto& o = r.outcome();
  CHECK(o.side[1].error == SocketError::kNone);
  CHECK(o.side[1].state == TcpState::kClosed);
  CHECK(t(o.side[1].orphan_gave_up_at) == "113.424000");
  CHECK(o.side[0].orphan_gave_up_at.is_never());
  CHECK(o.side[0].state == TcpState::kEstablished);  // it never heard of the close
  CHECK(r.with(NoteKind::kRetransmitGiveUpRst, "b", CaptureDir::kOut).empty());
  // Nothing more from the server after its last retransmission.
  for (const TraceRecord& x : r.at("b", CaptureDir::kOut)) CHECK(x.t <= rtx.back().t);
}

TEST_CASE("linux: tcp_orphan_retries = 3 gives an orphan tcp_model_timeout(3) = 3 s; an open socket keeps tcp_retries2") {
  // (2^4 - 1) * 200 ms = 3 s after the first retransmission (10.404): the
  // expiry 2.828 s after it retransmits a 4th time, the one 6.06 s after it
  // (16.464) gives up. The same write on a socket still open (the client's
  // data) is bounded by tcp_retries2 and is still retransmitting then.
  Run r = run_yaml(R"(
name: t
duration: 1m
hosts:
  a: { hz: 0 }
  b: { hz: 0, sysctl: { net.ipv4.tcp_orphan_retries: 3 } }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: closed, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: server, action: close } ] }
  - { name: open, client: a, server: b, port: 81, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: server, bytes: 10 } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  int closed_rtx = 0, open_rtx = 0;
  for (const TraceRecord& x : r.with(NoteKind::kDataRetransmit, "b", CaptureDir::kOut))
    ++(x.seg.flags & kFin ? closed_rtx : open_rtx);
  CHECK(closed_rtx == 4);
  CHECK(open_rtx == 7);  // 10.404 ... 35.856, 61.712 is past the end
  CHECK(t(r.outcome(0).side[1].orphan_gave_up_at) == "16.464000");
  CHECK(r.outcome(1).side[1].orphan_gave_up_at.is_never());
  CHECK(r.outcome(1).side[1].state == TcpState::kEstablished);
}

TEST_CASE("a FIN received again in LAST_ACK is ACKed again (tcp_data_queue(): a retransmit)") {
  // The client closes, and its input filter drops everything from the
  // server: the server ACKs the FIN and closes (LAST_ACK), but the client
  // hears neither and retransmits its FIN. Each copy reaches the server,
  // which answers with an ACK (seq = its snd_nxt, past its own FIN).
  Run r = run_yaml(R"(
name: t
duration: 15s
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: client, action: close } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  size_t again = r.with(NoteKind::kTailLossProbe, "a", CaptureDir::kOut).size() +
                 r.with(NoteKind::kDataRetransmit, "a", CaptureDir::kOut).size();
  REQUIRE(again >= 3);
  std::vector<TraceRecord> acks;
  for (const TraceRecord& x : r.at("b", CaptureDir::kOut))
    if (x.seg.flags == kAck && x.t > Time::ms(10100)) acks.push_back(x);
  CHECK(acks.size() == again);
  for (const TraceRecord& x : acks) {
    CHECK(x.seg.seq == 102);  // after the server's FIN (seq 101)
    CHECK(x.seg.ack == 3);    // after the client's FIN (seq 2)
  }
}

TEST_CASE("an application that has closed reads no end-of-file: crossing FINs give EOF to nobody") {
  // Both close at 10 s; each FIN reaches a socket in FIN_WAIT1 (CLOSING).
  // Measured: tests/kernel/orphan-retries.yaml (`closing`): no EOF on either side.
  Run r = run_yaml(R"(
name: t
duration: 2m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 10ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      traffic: [ { at: 10s, from: client, action: close }, { at: 10s, from: server, action: close } ] }
)");
  CHECK(r.outcome().side[0].eof_at.is_never());
  CHECK(r.outcome().side[1].eof_at.is_never());
  CHECK(r.outcome().fate == Fate::kClosed);
}

TEST_CASE("linux: TCP_USER_TIMEOUT bounds the black-hole write") {
  Run r = run_yaml(R"(
name: t
duration: 5m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections:
  - { name: c, client: a, server: b, port: 80, isn: { client: 1, server: 100 },
      keepalive: { client: { enabled: false, user_timeout: 10s } },
      traffic: [ { at: 10s, from: client, bytes: 10 } ] }
faults: [ { at: 5s, host: a, action: block-from, peer: b } ]
)");
  auto rtx = r.with(NoteKind::kDataRetransmit, "a", CaptureDir::kOut);
  REQUIRE(!rtx.empty());
  // The RTO is clamped so the last check lands exactly UT after the first retransmission.
  CHECK(r.outcome().side[0].error_at == rtx[0].t + Time::s(10));
  CHECK(r.outcome().side[0].error == SocketError::kEtimedout);
}

TEST_CASE("linux: SYN retransmission: 1 s linear five times, then doubling; ETIMEDOUT after syn_retries + linear") {
  // Measured on this project's 6.18 kernel (tcp_syn_linear_timeouts = 4): an
  // unanswered SYN went out again 1.02 s apart five times, then 2.02, 4.03,
  // 8.19, 16.13 s apart (the extra ms are timer-wheel rounding at HZ=250).
  Run r = run_yaml(R"(
name: t
duration: 5m
hosts:
  a: { hz: 0 }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
faults: [ { at: 0s, link: [a, b], state: down } ]
)");
  auto syns = r.with(NoteKind::kSyn, "a", CaptureDir::kOut);
  REQUIRE(syns.size() == 11);  // the SYN and 6 + 4 retransmissions
  const char* want[] = {"0.000000", "1.000000", "2.000000",  "3.000000",  "4.000000", "5.000000",
                        "7.000000", "11.000000", "19.000000", "35.000000", "67.000000"};
  for (size_t i = 0; i < syns.size(); ++i) CHECK(t(syns[i].t) == want[i]);
  CHECK(t(r.outcome().side[0].error_at) == "131.000000");
  CHECK(r.outcome().fate == Fate::kTimedOut);
}

TEST_CASE("linux: tcp_syn_linear_timeouts 0 gives the classic doubling from 1 s") {
  Run r = run_yaml(R"(
name: t
duration: 5m
hosts:
  a: { hz: 0, sysctl: { net.ipv4.tcp_syn_linear_timeouts: 0 } }
  b: { hz: 0 }
links: [ { between: [a, b], delay: 1ms } ]
connections: [ { name: c, client: a, server: b, port: 80 } ]
faults: [ { at: 0s, link: [a, b], state: down } ]
)");
  auto syns = r.with(NoteKind::kSyn, "a", CaptureDir::kOut);
  REQUIRE(syns.size() == 7);
  CHECK(t(syns[2].t) == "3.000000");
  CHECK(t(syns[6].t) == "63.000000");
  CHECK(t(r.outcome().side[0].error_at) == "127.000000");
}

TEST_CASE("retransmission: the RTO is whole jiffies and backoff doubles the jiffies (Linux icsk_rto)") {
  // RTT 3 ms: srtt + rttvar = 203 ms -> usecs_to_jiffies = 51 jiffies at HZ=250
  // = 204 ms, then 408, 816, 1632 ms. Measured on Linux 6.18 (`kasim lab`,
  // tests/kernel/blackhole-write-uto.yaml): the 4th RTO fires 416 jiffies
  // after the 3rd (408 rounded up on the wheel's 8-jiffy level), not 408.
  Run r = kasim::test::run_yaml(R"(
name: t
duration: 10s
hosts:
  a: { hz: 250 }
  b: { hz: 250 }
links: [ { between: [a, b], delay: 1500us } ]
connections:
  - name: c
    client: a
    server: b
    port: 80
    traffic: [ { at: 1s, from: server, bytes: 10 } ]
faults:
  - { at: 500ms, host: b, action: block-from, peer: a }
)");
  auto rtx = r.with(NoteKind::kDataRetransmit, "b", CaptureDir::kOut);
  REQUIRE(rtx.size() >= 4);
  CHECK(rtx[0].why_b == 204000);
  CHECK(rtx[1].why_b == 408000);
  CHECK(rtx[2].why_b == 816000);
  CHECK(rtx[3].why_b == 1632000);
}

TEST_CASE("scenario: initial sequence numbers come from the seed unless the scenario sets them") {
  auto syn_isns = [](uint64_t seed, std::string_view isn_line) {
    std::string yaml = fmt::format(R"(
name: isn
duration: 1s
seed: {}
hosts:
  a: {{ os: linux, address: 10.0.0.1, hz: 0 }}
  b: {{ os: linux, address: 10.0.0.2, hz: 0 }}
links: [ {{ between: [a, b], delay: 1ms }} ]
connections:
  - name: c
    client: a
    server: b
    port: 80
{}
)",
                                   seed, isn_line);
    Run r = run_yaml(yaml);
    std::vector<TraceRecord> syn = r.at("a", CaptureDir::kOut);
    std::vector<TraceRecord> synack = r.at("b", CaptureDir::kOut);
    REQUIRE(!syn.empty());
    REQUIRE(!synack.empty());
    REQUIRE(syn[0].seg.flags == kSyn);
    REQUIRE(synack[0].seg.flags == (kSyn | kAck));
    return std::pair{syn[0].seg.seq, synack[0].seg.seq};
  };
  auto s1 = syn_isns(1, "");
  CHECK(syn_isns(1, "") == s1);  // the same seed: the same numbers
  auto s2 = syn_isns(2, "");
  CHECK(s2.first != s1.first);
  CHECK(s2.second != s1.second);
  CHECK(s1.first != s1.second);  // each side has its own
  // Set in the scenario: whatever the seed.
  CHECK(syn_isns(1, "    isn: { client: 1000, server: 5000 }") == std::pair{1000u, 5000u});
  CHECK(syn_isns(2, "    isn: { client: 1000, server: 5000 }") == std::pair{1000u, 5000u});
}

namespace {
// An established pair whose server has keepalive on (idle 60 s, ideal
// timers). The server wrote 100 bytes at 10 s and the client's ACK arrived at
// 10.002: snd_una = snd_nxt = 5101, rcv_nxt = 1001, and the last acceptable
// ACK (the idle reference) is 10.002.
std::unique_ptr<Pair> idle_server() {
  auto p = std::make_unique<Pair>();
  KeepaliveOptions ka;
  ka.enabled = true;
  ka.idle_s = 60;
  ka.interval_s = 10;
  ka.count = 3;
  p->s.set_keepalive(Time(), ka);  // in LISTEN: armed when established
  p->c.connect(Time(), p->out);
  p->s.on_segment(Time::ms(1), p->take().at(0).seg, p->out);
  p->c.on_segment(Time::ms(2), p->take().at(0).seg, p->out);
  p->s.on_segment(Time::ms(3), p->take().at(0).seg, p->out);
  p->out.clear();
  p->s.send(Time::s(10), 100, p->out);
  p->c.on_segment(Time::s(10) + Time::ms(1), p->take().at(0).seg, p->out);
  p->s.on_segment(Time::s(10) + Time::ms(2), p->take().at(0).seg, p->out);
  p->out.clear();
  REQUIRE(p->s.snd_una() == 5101);
  REQUIRE(p->s.rcv_nxt() == 1001);
  return p;
}
// A segment from the client to the server.
Segment from_client(uint32_t seq, uint32_t ack, uint32_t len, uint8_t flags = kAck) {
  Segment s;
  s.src = 1; s.dst = 2; s.sport = 40000; s.dport = 80;
  s.seq = seq; s.ack = ack; s.len = len; s.flags = flags; s.window = 64240;
  return s;
}
// Runs the server's timers until its first keepalive probe; its send time.
Time first_probe(Pair& p, Time until = Time::s(600)) {
  for (Time w = p.s.next_wakeup(); w <= until; w = p.s.next_wakeup()) {
    p.s.on_timer(w, p.out);
    for (const EmittedSegment& e : p.take())
      if (e.note == NoteKind::kKeepaliveProbe) return w;
  }
  return Time::never();
}
}  // namespace

TEST_CASE("linux: old ACKs and out-of-window data do not reset keepalive idle; acceptable ACKs and in-order data do") {
  // tcp_validate_incoming() drops out-of-window segments (with a dupack)
  // before tcp_ack() runs; tcp_ack() sets rcv_tstamp only for an ACK in
  // [snd_una, snd_nxt] ("old_ack" skips it); tcp_event_data_recv() sets
  // lrcvtime for in-order data. Idle = now - max(rcv_tstamp, lrcvtime), so
  // the probe is at 10.002 + 60 s unless the segment at 30 s counted.
  const Time untouched = Time::s(70) + Time::ms(2);
  const Time reset = Time::s(90);
  SUBCASE("old ACK (ack 5001 < snd_una 5101): ignored, no answer") {
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(1001, 5001, 0), p->out);
    CHECK(p->take().empty());
    CHECK(first_probe(*p) == untouched);
  }
  SUBCASE("data beyond the window (with an acceptable ACK field): dupack, dropped") {
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(1001 + 64240 + 100, 5101, 10), p->out);
    auto v = p->take();
    REQUIRE(v.size() == 1);
    CHECK(v[0].seg.ack == 1001);
    CHECK(p->s.rcv_nxt() == 1001);
    CHECK(first_probe(*p) == untouched);
  }
  SUBCASE("old data wholly below rcv_nxt: dupack, dropped") {
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(900, 5101, 10), p->out);
    CHECK(p->take().size() == 1);
    CHECK(first_probe(*p) == untouched);
  }
  SUBCASE("ACK of data never sent (ack 6000 > snd_nxt), with in-order data: the whole segment is dropped") {
    // tcp_ack() returns -SKB_DROP_REASON_TCP_ACK_UNSENT_DATA after a
    // challenge ACK; the data is not queued.
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(1001, 6000, 10), p->out);
    CHECK(p->out.discarded == NoteKind::kDropOutOfWindow);
    auto v = p->take();
    REQUIRE(v.size() == 1);  // the challenge ACK
    CHECK(v[0].seg.ack == 1001);
    CHECK(p->s.rcv_nxt() == 1001);
    CHECK(first_probe(*p) == untouched);
  }
  SUBCASE("contrast: a duplicate ACK (ack == snd_una) is acceptable and resets idle") {
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(1001, 5101, 0), p->out);
    CHECK(first_probe(*p) == reset);
  }
  SUBCASE("contrast: in-order data with an old ACK resets idle (lrcvtime)") {
    auto p = idle_server();
    p->s.on_segment(Time::s(30), from_client(1001, 5001, 10), p->out);
    CHECK(p->s.rcv_nxt() == 1011);
    CHECK(first_probe(*p) == reset);
  }
}

TEST_CASE("linux: challenge ACKs and 0-byte out-of-window answers share one 500 ms per-socket limit; data does not count") {
  // __tcp_oow_rate_limited() guards both tcp_send_dupack() for unacceptable
  // 0-byte segments and tcp_send_challenge_ack(); tcp_oow_rate_limited()
  // lets data through without touching last_oow_ack_time.
  auto p = idle_server();
  Segment probe = from_client(1000, 5101, 0);         // a 0-byte keepalive probe
  Segment rst = from_client(1100, 0, 0, kRst);        // in window, not exact
  Segment old_data = from_client(900, 5101, 10);      // wholly old data
  p->s.on_segment(Time::s(20), probe, p->out);
  CHECK(p->take().size() == 1);                       // answered; the 500 ms start
  p->s.on_segment(Time::s(20) + Time::ms(100), old_data, p->out);
  CHECK(p->take().size() == 1);                       // data: answered anyway
  p->s.on_segment(Time::s(20) + Time::ms(200), rst, p->out);
  CHECK(p->out.discarded == NoteKind::kDupAckRateLimited);
  CHECK(p->take().empty());                           // challenge ACK limited
  p->s.on_segment(Time::s(20) + Time::ms(500), rst, p->out);
  CHECK(p->take().size() == 1);                       // 500 ms after the first answer
  CHECK(p->s.state() == TcpState::kEstablished);
  p->s.on_segment(Time::s(20) + Time::ms(700), probe, p->out);
  CHECK(p->out.discarded == NoteKind::kDupAckRateLimited);
  CHECK(p->take().empty());                           // 200 ms after the challenge ACK
}

TEST_CASE("size: an endpoint stays small (a fleet of a million holds two million)") {
  // Pinned on purpose: growing the endpoint grows every fleet's memory (and
  // --max-memory's estimate). Shrink it or move the new field somewhere
  // cold (OsState, a shared TcpEndpointEnv) before changing this number.
  CHECK(sizeof(TcpEndpoint) == 248);
  CHECK(sizeof(TcpEndpointConfig) == 24);
}
