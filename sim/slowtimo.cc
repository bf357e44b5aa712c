#include "kasim/slowtimo.h"

#include <cassert>

namespace kasim {

SlowtimoClock::SlowtimoClock(Time phase, Time period) : phase_(phase), period_(period) {
  assert(period > Time() && phase >= Time() && phase < period);
}

int64_t SlowtimoClock::tick_at_or_before(Time t) const {
  int64_t d = (t - phase_).count_ns();
  int64_t p = period_.count_ns();
  int64_t q = d / p;
  if (d % p != 0 && d < 0) --q;  // floor for instants before the first tick
  return q;
}

}  // namespace kasim
