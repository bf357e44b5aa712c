// Linux keepalive rules (net/ipv4/tcp_timer.c tcp_keepalive_timer()), each
// checked on a two-host path with ideal timers (hz: 0) so times are exact.
#include <fmt/format.h>

#include "test_util.h"

using namespace kasim;
using namespace kasim::test;

namespace {
// client --1ms-- server; `extra` is spliced into the connection.
std::string two_hosts(std::string_view keepalive, std::string_view traffic = "", std::string_view faults = "",
                      std::string_view duration = "1h") {
  return fmt::format(R"(
name: t
duration: {}
hosts:
  client: {{ os: linux, address: 10.0.0.1, hz: 0 }}
  server: {{ os: linux, address: 10.0.0.2, hz: 0 }}
links:
  - {{ between: [client, server], delay: 1ms }}
connections:
  - name: c
    client: client
    server: server
    port: 80
    isn: {{ client: 1000, server: 5000 }}
    keepalive: {}
    traffic: [{}]
faults: [{}]
)",
                     duration, keepalive, traffic, faults);
}
std::string subst(std::string s, std::string_view needle, std::string_view repl) {
  size_t at = s.find(needle);
  REQUIRE(at != std::string::npos);
  return s.replace(at, needle.size(), repl);
}
}  // namespace

TEST_CASE("linux: the probe is an ACK with seq snd_una-1, no payload, ack rcv_nxt") {
  Run r = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 3 } }"));
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() >= 1);
  const Segment& p = probes[0].seg;
  CHECK(p.flags == tcp_flag::kAck);
  CHECK(p.len == 0);
  CHECK(p.seq == 5000);  // ISS 5000, SYN took 5000, snd_una = 5001
  CHECK(p.ack == 1001);
}

TEST_CASE("linux: idle counts from the handshake; answered probes repeat every idle") {
  Run r = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 3 } }"));
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  // Handshake completes at the server at 3 ms; each reply arrives 2 ms after
  // its probe, and the next probe comes one idle after that reply.
  REQUIRE(probes.size() >= 3);
  CHECK(t(probes[0].t) == "60.003000");
  CHECK(t(probes[1].t) == "120.005000");
  CHECK(t(probes[2].t) == "180.007000");
  for (auto& p : probes) CHECK(p.why_a == 1);  // every reply resets the count
  auto acks = r.with(NoteKind::kAckOfProbe, "client", CaptureDir::kOut);
  CHECK(acks.size() == probes.size());
  CHECK(r.outcome().fate == Fate::kAlive);
}

TEST_CASE("linux: idle counts from the last data received") {
  Run r = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 3 } }", "{ at: 100s, from: client, bytes: 10 }"));
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() >= 2);
  CHECK(t(probes[0].t) == "60.003000");
  // Data arrives at 100.001; the probe after it is at 160.001, not 120.005.
  CHECK(t(probes[1].t) == "160.001000");
}

TEST_CASE("linux: cnt unanswered probes, then RST and ETIMEDOUT at first + cnt*intvl") {
  Run r = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 3 } }", "",
                             "{ at: 30s, host: server, action: block-from, peer: client }"));
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(probes.size() == 3);
  CHECK(t(probes[0].t) == "60.003000");
  CHECK(t(probes[1].t) == "70.003000");
  CHECK(t(probes[2].t) == "80.003000");
  CHECK(probes[2].why_a == 3);
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(rst.size() == 1);
  CHECK(t(rst[0].t) == "90.003000");
  CHECK(rst[0].seg.flags == (tcp_flag::kRst | tcp_flag::kAck));
  CHECK(rst[0].seg.seq == 5001);  // snd_nxt
  const auto& o = r.outcome();
  CHECK(o.fate == Fate::kTimedOut);
  CHECK(o.side[1].error == SocketError::kEtimedout);
  CHECK(t(o.side[1].error_at) == "90.003000");
  CHECK(o.killer == "server (input filter)");
  // The client received the RST and is reset too.
  CHECK(o.side[0].error == SocketError::kEconnreset);
}

TEST_CASE("linux: TCP_USER_TIMEOUT replaces the count, short and long") {
  // UT 25 s: fires at 60 (elapsed 60 >= 25 but no probe yet -> probe), 70: abort.
  Run shorter = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 9, user_timeout: 25s } }", "",
                                   "{ at: 30s, host: server, action: block-from, peer: client }"));
  CHECK(shorter.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).size() == 1);
  CHECK(t(shorter.outcome().side[1].error_at) == "70.003000");
  // UT 95 s with count 2: probes continue past the count until elapsed >= 95 s
  // (measured from the last ACK at 0.003): fires at 60,70,80,90 probe; 100 aborts.
  Run longer = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 2, user_timeout: 95s } }", "",
                                  "{ at: 30s, host: server, action: block-from, peer: client }"));
  CHECK(longer.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).size() == 4);
  CHECK(t(longer.outcome().side[1].error_at) == "100.003000");
}

TEST_CASE("linux: SO_KEEPALIVE enabled at S with sysctl idle puts the first probe at S+idle") {
  std::string y = two_hosts("{ server: { at: 500s } }");
  // sysctl default idle is 7200 s; use a shorter host tunable.
  y = subst(y, "hz: 0 }\nlinks", "hz: 0, sysctl: { net.ipv4.tcp_keepalive_time: 600 } }\nlinks");
  Run r = run_yaml(y);
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "1100.000000");
}

TEST_CASE("linux: TCP_KEEPIDLE set at S re-arms for what is left of idle since the last ACK") {
  Run r = run_yaml(two_hosts("{ server: { at: 30s, idle: 60s, interval: 10s, count: 3 } }"));
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!probes.empty());
  CHECK(t(probes[0].t) == "60.003000");
}

TEST_CASE("linux: no probe while data is unacknowledged; the timer re-arms a full idle") {
  // The server writes at 50 s into a blocked client: retransmissions run and
  // keepalive stays silent.
  Run r = run_yaml(two_hosts("{ server: { idle: 60s, interval: 10s, count: 3 } }",
                             "{ at: 50s, from: server, bytes: 100 }",
                             "{ at: 40s, host: server, action: block-from, peer: client }", "400s"));
  CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut).empty());
  CHECK(!r.with(NoteKind::kDataRetransmit, "server", CaptureDir::kOut).empty());
}

TEST_CASE("linux: the peer's zero-byte probes do not reset our own idle clock") {
  // Both sides probe; the client's probes (every 30 s) are answered by the
  // server, but the server still probes at 100 s after its last ACK.
  Run r = run_yaml(two_hosts(
      "{ client: { idle: 30s, interval: 5s, count: 3 }, server: { idle: 100s, interval: 10s, count: 3 } }"));
  auto server_probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  REQUIRE(!server_probes.empty());
  // The server's last acceptable ACK: the handshake (0.003); client probes do
  // not count, and the server's replies to them are not ACKs it receives.
  CHECK(t(server_probes[0].t) == "100.003000");
}

TEST_CASE("linux: answers to zero-byte probes are rate limited to one per 500 ms") {
  // A client with interval 100 ms probes a server that answers, while the
  // server never gets an answer to its own ACK... simplest: block the server's
  // replies at the client so the client keeps probing fast.
  Run r = run_yaml(two_hosts("{ client: { idle: 10s, interval: 1s, count: 5 } }", "",
                             "{ at: 1s, host: client, action: block-from, peer: server }", "30s"));
  auto at_server = r.at("server", CaptureDir::kIn);
  int probes = 0;
  for (auto& rec : at_server)
    if (rec.why == NoteKind::kKeepaliveProbe) ++probes;
  auto answers = r.with(NoteKind::kAckOfProbe, "server", CaptureDir::kOut);
  CHECK(probes == 5);
  CHECK(answers.size() == 5);  // 1 s apart: above the 500 ms limit
  std::string y = two_hosts("{ client: { idle: 10s, interval: 1s, count: 5 } }", "",
                            "{ at: 1s, host: client, action: block-from, peer: server }", "30s");
  y = subst(y, "address: 10.0.0.2, hz: 0", "address: 10.0.0.2, hz: 0, sysctl: { net.ipv4.tcp_invalid_ratelimit: 1500 }");
  Run limited = run_yaml(y);
  // 1 s apart but limited to one per 1.5 s: probes 1, 3, 5 answered.
  CHECK(limited.with(NoteKind::kAckOfProbe, "server", CaptureDir::kOut).size() == 3);
}

TEST_CASE("linux HZ=250: the seed timings agree with the real kernel on this machine") {
  // Measured on kernel 6.18 (CONFIG_HZ=250) in network namespaces, keepidle
  // 55 s, intvl 6 s, cnt 2, client silenced after the first answered probe:
  // probe 1 at 55.573..56.983 s after the handshake, probe 2 55.292..55.296 s
  // after probe 1, then 6.144 s, 6.144 s to the RST: RST = probe 1 + 67.584 s.
  // The model must give the same for any jiffies phase (seed).
  for (int seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Run r = run_yaml(fmt::format(R"(
name: t
duration: 10m
seed: {}
hosts:
  client: {{ address: 10.0.0.1 }}
  server: {{ address: 10.0.0.2, hz: 250 }}
links: [ {{ between: [client, server], delay: 1ms }} ]
connections:
  - {{ name: c, client: client, server: server, port: 6699, keepalive: {{ server: {{ idle: 55, interval: 6, count: 2 }} }} }}
faults: [ {{ at: 60s, host: server, action: block-from, peer: client }} ]
)",
                                 seed));
    auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
    auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
    REQUIRE(probes.size() == 3);
    REQUIRE(rst.size() == 1);
    Time established = Time::ms(3);
    CHECK(probes[0].t - established >= Time::s(55));
    CHECK(probes[0].t - established <= Time::ms(57048 + 4));
    CHECK(probes[1].t - probes[0].t == Time::ms(55296));
    CHECK(probes[2].t - probes[1].t == Time::ms(6144));
    CHECK(rst[0].t - probes[2].t == Time::ms(6144));
    CHECK(rst[0].t - probes[0].t == Time::ms(67584));
  }
}

TEST_CASE("linux HZ=250: cadences measured on the real kernel (keepidle 5, intvl 2)") {
  // Measured: answered probes every 5.120 s; unanswered probes and the RST 2.016 s apart.
  Run r = run_yaml(R"(
name: t
duration: 2m
seed: 3
hosts:
  client: { address: 10.0.0.1 }
  server: { address: 10.0.0.2, hz: 250 }
links: [ { between: [client, server], delay: 1ms } ]
connections:
  - { name: c, client: client, server: server, port: 6699, keepalive: { server: { idle: 5, interval: 2, count: 3 } } }
faults: [ { at: 30s, host: server, action: block-from, peer: client } ]
)");
  auto probes = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kOut);
  auto rst = r.with(NoteKind::kKeepaliveGiveUpRst, "server", CaptureDir::kOut);
  REQUIRE(probes.size() >= 6);
  REQUIRE(rst.size() == 1);
  size_t answered = 0;
  while (answered + 1 < probes.size() && probes[answered + 1].why_a == 1) ++answered;
  for (size_t i = 1; i <= answered; ++i) CHECK(probes[i].t - probes[i - 1].t == Time::ms(5120));
  for (size_t i = answered + 1; i < probes.size(); ++i) CHECK(probes[i].t - probes[i - 1].t == Time::ms(2016));
  CHECK(rst[0].t - probes.back().t == Time::ms(2016));
}

namespace {
// A client of `os` probes a Linux server (hz: 0) 1 ms away; from 1 s the
// client drops everything from the server, so none of its probes is ever
// answered (as far as it knows) and it keeps probing at its interval. The
// server's answers still leave it and are in the trace.
Run probed_linux_server(std::string_view os, std::string_view client_extra, std::string_view keepalive = "{}") {
  return run_yaml(fmt::format(R"(
name: t
duration: 1m
hosts:
  client: {{ os: {}, address: 10.0.0.1{} }}
  server: {{ os: linux, address: 10.0.0.2, hz: 0 }}
links:
  - {{ between: [client, server], delay: 1ms }}
connections:
  - name: c
    client: client
    server: server
    port: 80
    isn: {{ client: 1000, server: 5000 }}
    keepalive: {}
faults: [ {{ at: 1s, host: client, action: block-from, peer: server }} ]
)",
                              os, client_extra, keepalive));
}
struct ProbesAtServer {
  std::vector<std::string> arrived;   // probes reaching the server
  std::vector<std::string> answered;  // the server's ACKs to them
  std::vector<std::string> limited;   // probes it left unanswered (tcp_invalid_ratelimit)
};
ProbesAtServer probes_at_server(const Run& r) {
  ProbesAtServer p;
  for (const TraceRecord& rec : r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kIn)) {
    p.arrived.push_back(t(rec.t));
    if (rec.fate == NoteKind::kDupAckRateLimited) p.limited.push_back(t(rec.t));
  }
  for (const TraceRecord& rec : r.with(NoteKind::kAckOfProbe, "server", CaptureDir::kOut)) p.answered.push_back(t(rec.t));
  return p;
}
using Times = std::vector<std::string>;
}  // namespace

TEST_CASE("linux: a 0-byte probe every 200 ms gets an answer only every 500 ms (tcp_invalid_ratelimit default)") {
  // net/ipv4/tcp_input.c: a 0-byte probe (seq rcv_nxt-1, end_seq = seq) fails
  // tcp_sequence(), so tcp_validate_incoming() answers it with
  // tcp_send_dupack() unless tcp_oow_rate_limited(): the answer is skipped
  // while jiffies - last_oow_ack_time < tcp_invalid_ratelimit (500 ms). Only
  // answers that were sent restart the 500 ms.
  // FreeBSD client, keepidle 5 s, keepintvl 200 ms (both ms), 8 probes: its
  // last segment from the server is the SYN-ACK at 0.002, so the probes leave
  // at 5.002 + 0.2k and reach the server 1 ms later.
  Run r = probed_linux_server("freebsd", ", sysctl: { net.inet.tcp.keepidle: 5000, net.inet.tcp.keepintvl: 200 }");
  ProbesAtServer p = probes_at_server(r);
  CHECK(p.arrived == Times{"5.003000", "5.203000", "5.403000", "5.603000", "5.803000", "6.003000", "6.203000",
                           "6.403000"});
  // Answered: 5.003 (first), 5.603 (600 ms after it), 6.203 (600 ms after that).
  CHECK(p.answered == Times{"5.003000", "5.603000", "6.203000"});
  CHECK(p.limited == Times{"5.203000", "5.403000", "5.803000", "6.003000", "6.403000"});
  // Exactly 500 ms since the last answer is no longer limited (elapsed < limit
  // is the test): probes 250 ms apart get every second one answered.
  Run edge = probed_linux_server("freebsd", ", sysctl: { net.inet.tcp.keepidle: 5000, net.inet.tcp.keepintvl: 250 }");
  ProbesAtServer e = probes_at_server(edge);
  REQUIRE(e.arrived.size() == 8);
  CHECK(e.answered == Times{"5.003000", "5.503000", "6.003000", "6.503000"});
  CHECK(e.limited.size() == 4);
}

TEST_CASE("linux: 1-byte probes are answered at once however fast they come (data is not rate limited)") {
  // A 1-byte probe at rcv_nxt-1 ends at rcv_nxt, so tcp_sequence() accepts it
  // and tcp_data_queue() ACKs the old byte at once; tcp_oow_rate_limited()
  // exempts segments with payload anyway ("Data packets without SYNs are not
  // likely part of an ACK loop").
  SUBCASE("windows client, KeepAliveInterval 200 ms: all 10 probes answered") {
    Run r = probed_linux_server("windows", ", sysctl: { KeepAliveTime: 5000, KeepAliveInterval: 200 }",
                                "{ client: { enabled: true } }");
    ProbesAtServer p = probes_at_server(r);
    REQUIRE(p.arrived.size() == 10);
    CHECK(r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kIn)[0].seg.len == 1);
    CHECK(p.answered == p.arrived);
    CHECK(p.limited.empty());
    const auto in = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kIn);
    CHECK(in[1].t - in[0].t == Time::ms(200));
  }
  SUBCASE("solaris client: the 2nd probe one RTO (400 ms) after the 1st, both answered") {
    Run r = probed_linux_server("solaris", ", sysctl: { _keepalive_interval: 10000 }", "{ client: { enabled: true } }");
    const auto in = r.with(NoteKind::kKeepaliveProbe, "server", CaptureDir::kIn);
    REQUIRE(in.size() >= 3);
    CHECK(in[0].seg.len == 1);
    CHECK(in[1].t - in[0].t == Time::ms(400));
    ProbesAtServer p = probes_at_server(r);
    CHECK(p.answered == p.arrived);
    CHECK(p.limited.empty());
  }
}
