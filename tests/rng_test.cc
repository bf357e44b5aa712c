// Seeded streams: the same identity gives the same numbers; long streams of
// neighbouring indices do not repeat each other.
#include <doctest/doctest.h>

#include <set>

#include "kasim/rng.h"

using namespace kasim;

TEST_CASE("rng: stream() neighbours are one sequence shifted by a draw; long_stream() neighbours share nothing") {
  Rng a = Rng::stream(1, "x", 0), b = Rng::stream(1, "x", 1);
  a.next();
  for (int i = 0; i < 5; ++i) CHECK(a.next() == b.next());  // why long_stream() exists
  std::set<uint64_t> seen;
  for (uint64_t index = 0; index < 50; ++index) {
    Rng r = Rng::long_stream(1, "x", index);
    for (int i = 0; i < 200; ++i) seen.insert(r.next());
  }
  CHECK(seen.size() == 50 * 200);
  Rng c = Rng::long_stream(1, "x", 7), d = Rng::long_stream(1, "x", 7);
  for (int i = 0; i < 5; ++i) CHECK(c.next() == d.next());
  CHECK(Rng::long_stream(2, "x", 7).next() != Rng::long_stream(1, "x", 7).next());
}
