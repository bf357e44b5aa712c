#include "kasim/distribution.h"

#include <climits>

#include <fmt/format.h>

#include "kasim/time.h"

namespace kasim {

int64_t Distribution::highest() const {
  switch (kind) {
    case Kind::kFixed: return a;
    case Kind::kUniform: return b;
    case Kind::kExponential: return INT64_MAX;
  }
  return a;
}

int64_t Distribution::mean() const { return kind == Kind::kUniform ? a + (b - a) / 2 : a; }

int64_t Distribution::draw(Rng& r) const {
  switch (kind) {
    case Kind::kFixed: return a;
    case Kind::kUniform: return a + static_cast<int64_t>(r.below(static_cast<uint64_t>(b - a) + 1));
    case Kind::kExponential: return exponential_from_uniform(a, r.next());
  }
  return a;
}

int64_t exponential_from_uniform(int64_t mean, uint64_t u) {
  constexpr int kFrac = 48;                           // fractional bits of the logarithm
  constexpr uint64_t kLn2Q64 = 0xB17217F7D1CF79ABull; // ln 2 * 2^64, truncated
  if (u == 0) u = 1;
  // log2(u) = e + log2(m) with e the top bit's index and m = u / 2^e in [1, 2).
  int e = 63 - __builtin_clzll(u);
  uint64_t m = u << (63 - e);  // m in Q63: [2^63, 2^64)
  // The fractional bits of log2(m), one per squaring: m^2 >= 2 gives a 1 bit
  // (and m^2 / 2 carries on), else a 0 bit.
  uint64_t frac = 0;
  for (int i = 0; i < kFrac; ++i) {
    u128 sq = static_cast<u128>(m) * m;  // Q126, in [1, 4)
    frac <<= 1;
    if (sq >> 127) {
      frac |= 1;
      m = static_cast<uint64_t>(sq >> 64);
    } else {
      m = static_cast<uint64_t>(sq >> 63);
    }
  }
  // -log2(u / 2^64) = 64 - e - frac / 2^48, in Q48 (positive: frac < 2^48).
  u128 neg_log2 = (static_cast<u128>(64 - e) << kFrac) - frac;
  u128 neg_ln = (neg_log2 * kLn2Q64) >> 64;  // -ln(u / 2^64), Q48, below 45 * 2^48
  u128 v = (static_cast<u128>(mean) * neg_ln) >> kFrac;
  return v > static_cast<u128>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

std::string format_duration_distribution(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::kFixed: return format_duration(Time::ns(d.a));
    case Distribution::Kind::kUniform:
      return fmt::format("uniform {}..{}", format_duration(Time::ns(d.a)), format_duration(Time::ns(d.b)));
    case Distribution::Kind::kExponential: return fmt::format("exponential, mean {}", format_duration(Time::ns(d.a)));
  }
  return "";
}

std::string format_count_distribution(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::kFixed: return fmt::format("{}", d.a);
    case Distribution::Kind::kUniform: return fmt::format("uniform {}..{}", d.a, d.b);
    case Distribution::Kind::kExponential: return fmt::format("exponential, mean {}", d.a);
  }
  return "";
}

}  // namespace kasim
