#include "kasim/linux_timer.h"

#include <doctest/doctest.h>

using namespace kasim;

TEST_CASE("the wheel rounds up to the level's granularity, one granule on") {
  // Level 0 (delay < 63 jiffies): granularity 1, so expiry + 1.
  CHECK(wheel_bucket_expiry(1010, 1000, 9) == 1011);
  // Level 1 (63..503): granularity 8.
  CHECK(wheel_bucket_expiry(1000 + 500, 1000, 9) == 1504);
  // Level 2 (504..4031): granularity 64.
  CHECK(wheel_bucket_expiry(1500, 0, 9) == 1536);
  CHECK(wheel_bucket_expiry(1536, 0, 9) == 1600);
  // Level 3 (4032..32255): granularity 512. keepidle 55 s at HZ=250 = 13750.
  CHECK(wheel_bucket_expiry(13750, 0, 9) == 13824);
}

TEST_CASE("HZ=250 keepalive intervals come out as measured on a real kernel") {
  // Measured on this project's HZ=250 kernel: intvl 2 s -> 2.016 s gaps,
  // intvl 1 s -> 1.024 s gaps, when re-armed from the timer callback on a
  // grid-aligned jiffy.
  LinuxClock c(250, 8000, Time());
  Time now = c.time_of(8000);
  CHECK(c.timer_fire_time(now, c.from_seconds(2), ArmContext::kTimerCallback) - now == Time::ms(2016));
  CHECK(c.timer_fire_time(now, c.from_seconds(1), ArmContext::kTimerCallback) - now == Time::ms(1024));
}

TEST_CASE("ideal clocks do not round") {
  LinuxClock c;
  CHECK(c.ideal());
  CHECK(c.timer_fire_time(Time::s(3), c.from_seconds(75), ArmContext::kProcess) == Time::s(78));
}

TEST_CASE("jiffies and phase") {
  LinuxClock c(250, 100, Time::ms(1));
  CHECK(c.jiffies(Time()) == 100);
  CHECK(c.jiffies(Time::ms(3)) == 101);
  CHECK(c.time_of(101) == Time::ms(3));
  CHECK(c.from_ms_ceil(10) == 3);  // msecs_to_jiffies rounds up: 10 ms = 2.5 jiffies
}
