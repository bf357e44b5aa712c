#include "kasim/topology.h"

#include <doctest/doctest.h>

using namespace kasim;

TEST_CASE("the route is the shortest path by total delay") {
  // 0 - 1 - 3 costs 2 ms + 2 ms; 0 - 2 - 3 costs 1 ms + 1 ms.
  Topology t(4);
  t.add_link(0, 1, Time::ms(2));
  t.add_link(1, 3, Time::ms(2));
  t.add_link(0, 2, Time::ms(1));
  t.add_link(2, 3, Time::ms(1));
  auto r = t.shortest_route(0, 3);
  REQUIRE(r);
  CHECK(r->nodes == std::vector<size_t>{0, 2, 3});
  CHECK(r->links == std::vector<size_t>{2, 3});
  CHECK(r->delay == Time::ms(2));
}

TEST_CASE("a direct link loses to a faster detour") {
  Topology t(3);
  t.add_link(0, 2, Time::ms(10));
  t.add_link(0, 1, Time::ms(1));
  t.add_link(1, 2, Time::ms(1));
  auto r = t.shortest_route(0, 2);
  REQUIRE(r);
  CHECK(r->nodes.size() == 3);
}

TEST_CASE("unreachable nodes have no route") {
  Topology t(3);
  t.add_link(0, 1, Time::ms(1));
  CHECK_FALSE(t.shortest_route(0, 2));
  CHECK(t.shortest_route(1, 0));
}

// --- Links in a run: random loss drawn from the scenario's seed.

#include <fmt/format.h>

#include "test_util.h"

namespace {

std::string lossy_link(uint64_t seed) {
  return fmt::format(R"(
name: lossy
duration: 300s
seed: {}
hosts:
  a: {{ os: linux, address: 10.0.0.1, hz: 0 }}
  b: {{ os: linux, address: 10.0.0.2, hz: 0 }}
links: [ {{ between: [a, b], delay: 1ms, loss: 30% }} ]
connections:
  - {{ name: c, client: a, server: b, port: 80, traffic: [ {{ every: 1s, at: 1s, from: a, bytes: 10 }} ] }}
)",
                     seed);
}

struct LossCount {
  size_t sent = 0;                // packets put on the link (either way, retransmissions included)
  std::vector<int64_t> lost_at;   // when each lost packet left its sender
};

LossCount count_losses(uint64_t seed) {
  test::Run r = test::run_yaml(lossy_link(seed));
  LossCount c;
  for (const TraceRecord& rec : r.sink.records) {
    if (rec.dir != CaptureDir::kOut) continue;
    ++c.sent;
    if (rec.fate == NoteKind::kDropLinkLoss) c.lost_at.push_back(rec.t.count_ns());
  }
  return c;
}

}  // namespace

TEST_CASE("link loss: each packet is lost with the link's probability, drawn from the seed") {
  LossCount one = count_losses(1);
  // Hundreds of packets cross the link (writes, ACKs, retransmissions); 30%
  // of them are lost. A binomial count with n >= 300 and p = 0.3 stays
  // within 0.2..0.4 of n with overwhelming probability; a wrong scale for
  // the probability (per cent vs per billion) lands far outside.
  REQUIRE(one.sent >= 300);
  double fraction = static_cast<double>(one.lost_at.size()) / static_cast<double>(one.sent);
  CHECK(fraction > 0.2);
  CHECK(fraction < 0.4);

  // Same seed: the same packets are lost. Another seed: other packets.
  LossCount again = count_losses(1);
  CHECK(again.sent == one.sent);
  CHECK(again.lost_at == one.lost_at);
  LossCount other = count_losses(2);
  CHECK(other.lost_at != one.lost_at);
}

TEST_CASE("link loss: a link without loss loses nothing") {
  std::string yaml = lossy_link(1);
  yaml.replace(yaml.find(", loss: 30%"), std::string(", loss: 30%").size(), "");
  test::Run r = test::run_yaml(yaml);
  for (const TraceRecord& rec : r.sink.records) CHECK(rec.fate != NoteKind::kDropLinkLoss);
  CHECK(r.outcome().fate == Fate::kAlive);
}
