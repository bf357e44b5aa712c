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
