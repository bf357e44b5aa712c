// Simulated time: a strong type over int64_t nanoseconds. Start here.
//
// One type serves for instants (time since the start of the run) and for
// durations, as in ns-3. There is no floating point anywhere in time:
// durations are parsed exactly from text and printed exactly.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace kasim {

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time ns(int64_t v) { return Time(v); }
  static constexpr Time us(int64_t v) { return Time(v * 1'000); }
  static constexpr Time ms(int64_t v) { return Time(v * 1'000'000); }
  static constexpr Time s(int64_t v) { return Time(v * 1'000'000'000); }
  static constexpr Time min(int64_t v) { return s(v * 60); }
  static constexpr Time h(int64_t v) { return s(v * 3600); }
  // The largest representable time; used as "never".
  static constexpr Time never() { return Time(INT64_MAX); }

  constexpr int64_t count_ns() const { return ns_; }
  // Truncating conversions (toward zero).
  constexpr int64_t count_us() const { return ns_ / 1'000; }
  constexpr int64_t count_ms() const { return ns_ / 1'000'000; }
  constexpr int64_t count_s() const { return ns_ / 1'000'000'000; }
  constexpr bool is_never() const { return ns_ == INT64_MAX; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Time o) const { return Time(ns_ + o.ns_); }
  constexpr Time operator-(Time o) const { return Time(ns_ - o.ns_); }
  constexpr Time& operator+=(Time o) { ns_ += o.ns_; return *this; }
  constexpr Time& operator-=(Time o) { ns_ -= o.ns_; return *this; }
  constexpr Time operator*(int64_t k) const { return Time(ns_ * k); }
  constexpr Time operator/(int64_t k) const { return Time(ns_ / k); }
  constexpr int64_t operator/(Time o) const { return ns_ / o.ns_; }
  constexpr Time operator%(Time o) const { return Time(ns_ % o.ns_); }

 private:
  constexpr explicit Time(int64_t v) : ns_(v) {}
  int64_t ns_ = 0;
};

// The longest duration a scenario may name: 100 years. Longer values are
// rejected as input errors rather than risking overflow in arithmetic.
inline constexpr Time kMaxScenarioDuration = Time::h(24 * 365 * 100 + 24 * 25);

// Parses a duration: a bare number is seconds ("55", "1.5"); otherwise one or
// more <number><unit> parts with units ns us ms s m h d ("1h30m", "500us",
// "1.5s"). Fractions are exact decimals and must resolve to whole nanoseconds.
// Negative values are rejected. On failure returns nullopt and sets *error to
// a message that says what was expected.
std::optional<Time> parse_duration(std::string_view text, std::string* error);

// "12.345678" seconds with microsecond precision, truncated toward zero
// (the precision traces use). Negative values get a leading '-'.
std::string format_seconds_us(Time t);
// An exact spelling that parse_duration reads back, for people: "2h", "1h30m",
// "1m15s", "0s"; a fraction of a second as seconds with the decimals its
// precision needs ("1.500s", "2.150720s", "7279.520235448s"), below one
// second milliseconds ("250ms", "150.720ms"), below one millisecond microseconds
// ("500us", "444.500us"), below one microsecond "7ns".
std::string format_duration(Time t);

}  // namespace kasim

template <>
struct fmt::formatter<kasim::Time> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(kasim::Time t, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(kasim::format_seconds_us(t), ctx);
  }
};
