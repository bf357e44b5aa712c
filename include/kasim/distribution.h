// A random quantity of a scenario: a fixed value, uniform over a range, or
// exponential with a mean. Fleets use it for the gap between an instance's
// sends (`every`), the idle gap between bursts (`idle`), the number of sends
// in a burst (`burst`) and the opening delay (`open_within`).
//
// Values are whole int64_t units chosen by the user of the distribution:
// nanoseconds for durations, a plain count for `burst`. Drawing uses only
// integer arithmetic (the exponential's logarithm is computed in fixed
// point), so a draw from a seeded Rng is the same number on every platform
// and build type.
#pragma once

#include <cstdint>
#include <string>

#include "kasim/rng.h"

namespace kasim {

struct Distribution {
  enum class Kind : uint8_t {
    kFixed,        // always `a`
    kUniform,      // uniform over [a, b], both included (whole units)
    kExponential,  // exponential with mean `a` (by inversion), truncated to whole units
  };
  Kind kind = Kind::kFixed;
  int64_t a = 0, b = 0;

  static Distribution fixed(int64_t v) { return {Kind::kFixed, v, v}; }
  static Distribution uniform(int64_t lo, int64_t hi) { return {Kind::kUniform, lo, hi}; }
  static Distribution exponential(int64_t mean) { return {Kind::kExponential, mean, 0}; }

  bool is_fixed() const { return kind == Kind::kFixed; }
  // The smallest value a draw can take.
  int64_t lowest() const { return kind == Kind::kExponential ? 0 : a; }
  // The largest value a draw can take (the exponential: INT64_MAX, unbounded).
  int64_t highest() const;
  // The mean, rounded down (uniform: (a + b) / 2).
  int64_t mean() const;

  // One value. A fixed distribution draws nothing from `r` (so adding a
  // fixed key does not shift the stream); the others draw exactly one
  // 64-bit number. REQUIRES: uniform: a <= b; exponential: a >= 0.
  int64_t draw(Rng& r) const;
};

// -ln(u / 2^64) * mean, truncated to a whole unit and saturated at
// INT64_MAX: the exponential by inversion of a uniform 64-bit draw `u`
// (u == 0 is taken as 1). Fixed point with 48 fractional bits: the result
// is within a few units of the exact value for means up to 10^15 units
// (within 1 ns for means of minutes).
int64_t exponential_from_uniform(int64_t mean, uint64_t u);

// "75s", "uniform 1m..2m", "exponential, mean 90s" (durations) or
// "5", "uniform 3..10" (counts), for messages and documents.
std::string format_duration_distribution(const Distribution& d);
std::string format_count_distribution(const Distribution& d);

}  // namespace kasim
