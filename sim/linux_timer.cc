#include "kasim/linux_timer.h"

#include <cassert>

namespace kasim {
namespace {
constexpr unsigned kClkShift = 3;  // LVL_CLK_SHIFT
constexpr uint64_t kLvlSize = 64;  // LVL_SIZE
uint64_t lvl_start(int n) { return (kLvlSize - 1) << ((n - 1) * kClkShift); }
unsigned lvl_shift(int n) { return static_cast<unsigned>(n) * kClkShift; }
}  // namespace

uint64_t wheel_bucket_expiry(uint64_t expires, uint64_t clk, int depth) {
  uint64_t delta = expires - clk;
  if (static_cast<int64_t>(delta) < 0) return clk;  // already due
  int lvl = depth - 1;
  for (int n = 1; n < depth; ++n) {
    if (delta < lvl_start(n)) {
      lvl = n - 1;
      break;
    }
  }
  if (lvl == depth - 1) {
    uint64_t cutoff = lvl_start(depth);                   // WHEEL_TIMEOUT_CUTOFF
    uint64_t max = cutoff - (uint64_t{1} << lvl_shift(depth - 1));  // WHEEL_TIMEOUT_MAX
    if (delta >= cutoff) expires = clk + max;
  }
  // calc_index(): round up to the level's granularity, always one granule on.
  return ((expires >> lvl_shift(lvl)) + 1) << lvl_shift(lvl);
}

LinuxClock::LinuxClock(int hz, uint64_t start_jiffies, Time phase) : hz_(hz) {
  assert(hz >= 0 && hz <= 1'000'000);
  if (hz == 0) return;
  tick_ = Time::ns(1'000'000'000 / hz);
  depth_ = hz > 100 ? 9 : 8;  // LVL_DEPTH
  assert(phase >= Time() && phase < tick_);
  offset_ns_ = static_cast<int64_t>(start_jiffies) * tick_.count_ns() + phase.count_ns();
}

uint64_t LinuxClock::jiffies(Time t) const {
  return static_cast<uint64_t>((t.count_ns() + offset_ns_) / tick_.count_ns());
}

Time LinuxClock::time_of(uint64_t j) const {
  return Time::ns(static_cast<int64_t>(j) * tick_.count_ns() - offset_ns_);
}

uint64_t LinuxClock::from_seconds(int64_t s) const {
  return hz_ == 0 ? static_cast<uint64_t>(s) * 1'000'000'000ull : static_cast<uint64_t>(s) * static_cast<uint64_t>(hz_);
}

uint64_t LinuxClock::from_ms_ceil(int64_t ms) const { return from_us_ceil(ms * 1000); }

uint64_t LinuxClock::from_us_ceil(int64_t us) const {
  if (hz_ == 0) return static_cast<uint64_t>(us) * 1000ull;
  uint64_t per = 1'000'000ull / static_cast<uint64_t>(hz_);
  return (static_cast<uint64_t>(us) + per - 1) / per;
}

Time LinuxClock::timer_fire_time(Time now, uint64_t delay, ArmContext ctx) const {
  if (hz_ == 0) return now + Time::ns(static_cast<int64_t>(delay));
  uint64_t j = jiffies(now);
  uint64_t clk = ctx == ArmContext::kTimerCallback ? j + 1 : j;
  uint64_t fire = wheel_bucket_expiry(j + delay, clk, depth_);
  if (fire <= j) fire = j + 1;  // an expired timer runs on the next tick
  return time_of(fire);
}

Time LinuxClock::granule(uint64_t delay) const {
  if (hz_ == 0) return Time();
  int lvl = depth_ - 1;
  for (int n = 1; n < depth_; ++n)
    if (delay < lvl_start(n)) {
      lvl = n - 1;
      break;
    }
  return to_time(uint64_t{1} << lvl_shift(lvl));
}

}  // namespace kasim
