// The BSD protocol timer grid (AIX, 4.4BSD): tcp_slowtimo() runs every
// 500 ms (PR_SLOWHZ = 2) for all connections at once and decrements each
// connection's timers, which count ticks. A timer armed with n ticks fires
// on the n-th tick after the arm, whenever within the tick the arm happened,
// so every timer is quantised to one global grid and can fire up to one tick
// EARLY relative to the event that armed it.
//
// The grid is ticks at phase + k * period (k any integer). The phase is a
// host property (drawn from the scenario seed, or the host's `tick_phase`);
// the period is nominally 500 ms, and a host's `tick_period` can model a
// machine whose timer runs slightly slow (the callout is re-armed after each
// run, so latency accumulates).
#pragma once

#include <cstdint>

#include "kasim/time.h"

namespace kasim {

class SlowtimoClock {
 public:
  SlowtimoClock() = default;
  // REQUIRES: period > 0, 0 <= phase < period.
  SlowtimoClock(Time phase, Time period);

  bool valid() const { return period_ > Time(); }
  Time period() const { return period_; }
  Time phase() const { return phase_; }
  // The index of the last tick at or before t (floor((t - phase) / period)).
  int64_t tick_at_or_before(Time t) const;
  // The instant of tick k.
  Time time_of(int64_t k) const { return phase_ + period_ * k; }
  // The instant a timer armed at `now` with `ticks` (>= 1) ticks fires.
  Time fire_time(Time now, int64_t ticks) const { return time_of(tick_at_or_before(now) + ticks); }

 private:
  Time phase_;
  Time period_;
};

}  // namespace kasim
