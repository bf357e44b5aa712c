// Seeded randomness: one independent stream per component, derived from the
// scenario seed and the component's identity, so adding a link does not
// change the ISNs of existing connections. Never global.
#pragma once

#include <cstdint>
#include <string_view>

namespace kasim {

__extension__ using u128 = unsigned __int128;

// SplitMix64 (Steele, Lea, Flood 2014): tiny state, good statistical quality,
// identical output on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  // A stream for component (`what`, `index`) of a run seeded with `seed`.
  static Rng stream(uint64_t seed, std::string_view what, uint64_t index) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a of the component name
    for (char c : what) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    Rng r(seed ^ h);
    r.state_ += index * 0x9E3779B97F4A7C15ull;
    r.next();
    return r;
  }
  // Streams of neighbouring indices from stream() are one sequence shifted
  // by one draw (the index moves the state by one step), which is fine for
  // a component that draws once or twice but not for one that draws
  // throughout a run. This stream starts at a state hashed from (seed,
  // `what`, index) instead: sequences of different indices share nothing
  // in practice.
  static Rng long_stream(uint64_t seed, std::string_view what, uint64_t index) {
    return Rng(stream(seed, what, index).next());
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); REQUIRES n > 0. Lemire's multiply-shift (bias < 2^-32
  // for the ranges used here).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<u128>(next()) * n) >> 64); }
  // True with probability ppb / 1e9.
  bool chance_ppb(uint32_t ppb) { return ppb != 0 && below(1'000'000'000) < ppb; }

 private:
  uint64_t state_;
};

}  // namespace kasim
