// Distributions: exact draws from a seeded stream, the fixed-point
// exponential against values worked out by hand.
#include <doctest/doctest.h>

#include "kasim/distribution.h"

using namespace kasim;

TEST_CASE("distribution: fixed draws nothing; uniform stays within its inclusive bounds and reaches both") {
  Rng r(42), untouched(42);
  CHECK(Distribution::fixed(7).draw(r) == 7);
  CHECK(r.next() == untouched.next());  // a fixed value leaves the stream where it was
  Distribution u = Distribution::uniform(3, 6);
  bool seen[4] = {};
  for (int i = 0; i < 200; ++i) {
    int64_t v = u.draw(r);
    REQUIRE(v >= 3);
    REQUIRE(v <= 6);
    seen[v - 3] = true;
  }
  CHECK((seen[0] && seen[1] && seen[2] && seen[3]));
  CHECK(u.lowest() == 3);
  CHECK(u.highest() == 6);
  CHECK(u.mean() == 4);
  // The same seed gives the same draws.
  Rng a(9), b(9);
  for (int i = 0; i < 10; ++i) CHECK(u.draw(a) == u.draw(b));
}

TEST_CASE("distribution: the exponential by inversion, in fixed point") {
  const int64_t mean = 90'000'000'000;  // 90 s in ns
  // u = 2^63 is one half: -ln(1/2) * 90 s = 62.383246250395... s.
  CHECK(exponential_from_uniform(mean, uint64_t{1} << 63) == 62'383'246'250);
  // u = 2^62 is one quarter: 2 ln 2 * 90 s = 124.766492500790... s.
  int64_t quarter = exponential_from_uniform(mean, uint64_t{1} << 62);
  CHECK(quarter >= 124'766'492'499);
  CHECK(quarter <= 124'766'492'501);
  // u = 3 * 2^62 is three quarters: ln(4/3) * 90 s = 25.891386520660... s.
  int64_t three_q = exponential_from_uniform(mean, uint64_t{3} << 62);
  CHECK(three_q >= 25'891'386'519);
  CHECK(three_q <= 25'891'386'521);
  // The smallest u (0 counts as 1): 64 ln 2 * 90 s = 3992.527...s; the largest: 0.
  CHECK(exponential_from_uniform(mean, 0) == exponential_from_uniform(mean, 1));
  CHECK(exponential_from_uniform(mean, 1) / 1'000'000'000 == 3992);
  CHECK(exponential_from_uniform(mean, ~uint64_t{0}) == 0);
  // Saturates instead of overflowing.
  CHECK(exponential_from_uniform(INT64_MAX, 1) == INT64_MAX);
  // 20000 draws: the sample mean is near 90 s (a seeded, fixed sample: the
  // standard error is 0.7%, so 3% is over four of them).
  Rng r(3);
  Distribution e = Distribution::exponential(mean);
  u128 sum = 0;
  for (int i = 0; i < 20000; ++i) sum += static_cast<u128>(e.draw(r));
  int64_t avg = static_cast<int64_t>(sum / 20000);
  CHECK(avg > mean / 100 * 97);
  CHECK(avg < mean / 100 * 103);
  CHECK(e.lowest() == 0);
  CHECK(e.highest() == INT64_MAX);
}

TEST_CASE("distribution: described in words") {
  CHECK(format_duration_distribution(Distribution::fixed(75'000'000'000)) == "1m15s");
  CHECK(format_duration_distribution(Distribution::uniform(60'000'000'000, 120'000'000'000)) == "uniform 1m..2m");
  CHECK(format_duration_distribution(Distribution::exponential(90'000'000'000)) == "exponential, mean 1m30s");
  CHECK(format_count_distribution(Distribution::uniform(3, 10)) == "uniform 3..10");
}
