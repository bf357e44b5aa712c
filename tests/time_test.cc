#include "kasim/time.h"

#include <doctest/doctest.h>

using kasim::parse_duration;
using kasim::Time;

namespace {
Time d(const char* s) {
  std::string err;
  auto v = parse_duration(s, &err);
  REQUIRE_MESSAGE(v.has_value(), err);
  return *v;
}
std::string bad(const char* s) {
  std::string err;
  auto v = parse_duration(s, &err);
  CHECK_FALSE(v.has_value());
  return err;
}
}  // namespace

TEST_CASE("durations parse exactly in every unit and combination") {
  CHECK(d("75s") == Time::s(75));
  CHECK(d("55") == Time::s(55));
  CHECK(d("1.5") == Time::ms(1500));
  CHECK(d("1h30m") == Time::min(90));
  CHECK(d("500us") == Time::us(500));
  CHECK(d("1.5s") == Time::ms(1500));
  CHECK(d("250ms") == Time::ms(250));
  CHECK(d("7ns") == Time::ns(7));
  CHECK(d("2d") == Time::h(48));
  CHECK(d("1h0m1s") == Time::s(3601));
  CHECK(d("0.000000001s") == Time::ns(1));
  CHECK(d("0") == Time());
}

TEST_CASE("bad durations say what was expected") {
  CHECK(bad("5 mins").find("spaces are not allowed") != std::string::npos);
  CHECK(bad("5mins").find("unknown unit 'mins'") != std::string::npos);
  CHECK(bad("-3s") == "invalid duration '-3s': durations cannot be negative");
  CHECK(bad("").find("it is empty") != std::string::npos);
  CHECK(bad("1.5ns").find("finer than one nanosecond") != std::string::npos);
  CHECK(bad("200y").find("unknown unit 'y'") != std::string::npos);
  CHECK(bad("36600d").find("too large") != std::string::npos);
  CHECK(bad("99999999999999999999999s").find("too large") != std::string::npos);
  CHECK(bad("1h30").find("every part after the first needs a unit") != std::string::npos);
  CHECK(bad("s").find("is not a number") != std::string::npos);
  CHECK(bad("1.s").find("must be followed by digits") != std::string::npos);
}

TEST_CASE("times format with microsecond precision and durations round-trip") {
  CHECK(kasim::format_seconds_us(Time::ns(7209878747123)) == "7209.878747");
  CHECK(kasim::format_seconds_us(Time::ms(-1500)) == "-1.500000");
  for (const char* s : {"2h", "1h30m", "1m15s", "1.500s", "2.150720s", "7279.520235448s", "150.720ms",
                        "1.000001ms", "500us", "444.500us", "250ms", "7ns", "0s"}) {
    CHECK(kasim::format_duration(d(s)) == s);
  }
  CHECK(kasim::format_duration(d("75s")) == "1m15s");
  for (const char* s : {"3601s", "1.25s", "7200", "123456789ns"}) CHECK(d(kasim::format_duration(d(s)).c_str()) == d(s));
}

TEST_CASE("time arithmetic stays integral") {
  CHECK(Time::s(1) / Time::ms(3) == 333);
  CHECK((Time::s(1) % Time::ms(3)) == Time::ms(1));
  CHECK(Time::ms(1) * 3 == Time::ms(3));
  CHECK(Time::never().is_never());
}
