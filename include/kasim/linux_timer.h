// A Linux host's jiffies clock and the timer wheel's rounding.
//
// Linux keeps TCP timestamps (rcv_tstamp, lrcvtime) in jiffies and arms its
// TCP timers on the timer wheel (kernel/time/timer.c), which rounds every
// expiry *up* to the granularity of the wheel level the delay falls in:
//   level n holds delays in [63<<3(n-1), 63<<3n) jiffies, granularity 8^n.
// At HZ=250 that is 4 ms below 252 ms, 32 ms below 2.016 s, 256 ms below
// 16.128 s, 2.048 s below 129 s, 16.384 s below 1032 s, ... A timer armed at
// jiffy J for d jiffies fires at the first multiple of the granularity that is
// strictly greater than J+d (calc_index() adds one granule). The grid is
// absolute, so the jiffies count at the start of the run (the "phase") moves
// every timer; the simulator draws it from the scenario seed per host.
//
// hz == 0 selects ideal timers: jiffies are nanoseconds and nothing is
// rounded (for teaching: probes exactly at idle, idle+intvl, ...).
#pragma once

#include <cstdint>

#include "kasim/time.h"

namespace kasim {

// Where a timer is armed from. A timer callback runs after the wheel's clock
// has advanced past the current jiffy (__run_timers increments base->clk
// before expiring), so a timer re-armed from its own callback picks its level
// from a delay one jiffy shorter.
enum class ArmContext : uint8_t { kProcess, kTimerCallback };

class LinuxClock {
 public:
  LinuxClock() = default;
  // REQUIRES: hz == 0 or 1 <= hz <= 1000000. `start_jiffies` is the jiffies
  // value at simulated time 0, `phase` in [0, tick) is how far into that
  // jiffy time 0 lies.
  LinuxClock(int hz, uint64_t start_jiffies, Time phase);

  int hz() const { return hz_; }
  bool ideal() const { return hz_ == 0; }
  Time tick() const { return tick_; }

  // Jiffies at time t (floor).
  uint64_t jiffies(Time t) const;
  // The instant jiffies becomes j.
  Time time_of(uint64_t j) const;
  // Conversions the kernel does: seconds * HZ; msecs_to_jiffies rounds up.
  uint64_t from_seconds(int64_t s) const;
  uint64_t from_ms_ceil(int64_t ms) const;
  uint64_t from_us_ceil(int64_t us) const;
  Time to_time(uint64_t jiffies_delta) const { return tick_ * static_cast<int64_t>(jiffies_delta); }

  // The time at which a timer armed at `now` with a delay of `delay` jiffies
  // fires, after the wheel's rounding.
  Time timer_fire_time(Time now, uint64_t delay, ArmContext ctx) const;
  // The wheel level's granularity for a timer armed `delay` jiffies ahead:
  // it fires more than 0 and at most this much after its nominal expiry
  // (zero for ideal timers). For margins (`kasim tune`).
  Time granule(uint64_t delay) const;

 private:
  int hz_ = 0;
  Time tick_ = Time::ns(1);
  // time t corresponds to jiffies floor((t + offset_) / tick_)
  int64_t offset_ns_ = 0;
  int depth_ = 9;
};

// kernel/time/timer.c's bucket choice, exposed for tests: the jiffy at which a
// timer with absolute expiry `expires` fires when the wheel clock is `clk`.
uint64_t wheel_bucket_expiry(uint64_t expires, uint64_t clk, int depth);

}  // namespace kasim
