#include "kasim/time.h"

#include <array>
#include <cstdlib>

namespace kasim {
namespace {

__extension__ using i128 = __int128;

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so "ms" is not read as "m" followed by "s".
constexpr std::array<Unit, 7> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000},
                                      {"d", 86'400'000'000'000}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Adds digits*unit (with an exact decimal fraction) to *total; false on
// overflow or a fraction finer than a nanosecond.
bool accumulate(std::string_view whole, std::string_view frac, int64_t unit_ns, i128* total,
                std::string* error, std::string_view text) {
  i128 w = 0;
  for (char c : whole) {
    w = w * 10 + (c - '0');
    if (w > (i128)INT64_MAX) {
      *error = fmt::format("duration '{}' is too large (at most 100 years)", text);
      return false;
    }
  }
  i128 value = w * unit_ns;
  // fraction: frac digits / 10^len * unit_ns must be an integer count of ns.
  i128 num = 0, den = 1;
  for (char c : frac) {
    num = num * 10 + (c - '0');
    den *= 10;
    if (den > (i128)1'000'000'000'000'000'000LL) {
      *error = fmt::format("duration '{}' has more decimals than nanosecond precision allows", text);
      return false;
    }
  }
  if (num != 0) {
    i128 scaled = num * unit_ns;
    if (scaled % den != 0) {
      *error = fmt::format("duration '{}' is finer than one nanosecond", text);
      return false;
    }
    value += scaled / den;
  }
  *total += value;
  if (*total > (i128)kMaxScenarioDuration.count_ns()) {
    *error = fmt::format("duration '{}' is too large (at most 100 years)", text);
    return false;
  }
  return true;
}

}  // namespace

std::optional<Time> parse_duration(std::string_view text, std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  auto expected = [&](std::string_view what) {
    *error = fmt::format(
        "invalid duration '{}': {} (expected a number with a unit ns, us, ms, s, m, h or d, "
        "e.g. 75s, 1h30m, 500ms; a bare number is seconds)",
        text, what);
    return std::nullopt;
  };
  if (text.empty()) return expected("it is empty");
  if (text[0] == '-') {
    *error = fmt::format("invalid duration '{}': durations cannot be negative", text);
    return std::nullopt;
  }
  i128 total = 0;
  size_t i = 0;
  bool any_part = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    std::string_view whole = text.substr(start, i - start);
    std::string_view frac;
    if (i < text.size() && text[i] == '.') {
      size_t fs = ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
      frac = text.substr(fs, i - fs);
      if (frac.empty()) return expected("a '.' must be followed by digits");
    }
    if (whole.empty() && frac.empty()) {
      if (text[i] == ' ') return expected("spaces are not allowed");
      return expected(fmt::format("'{}' is not a number", text.substr(i, 1)));
    }
    size_t us = i;
    while (i < text.size() && !is_digit(text[i]) && text[i] != '.') ++i;
    std::string_view unit = text.substr(us, i - us);
    if (unit.empty()) {
      // A bare number is seconds, but only as the whole text.
      if (any_part) return expected("every part after the first needs a unit");
      if (!accumulate(whole, frac, 1'000'000'000, &total, error, text)) return std::nullopt;
      return Time::ns(static_cast<int64_t>(total));
    }
    const Unit* found = nullptr;
    for (const Unit& u : kUnits)
      if (u.name == unit) found = &u;
    if (found == nullptr) {
      if (unit.find(' ') != std::string_view::npos) return expected("spaces are not allowed");
      return expected(fmt::format("unknown unit '{}'", unit));
    }
    if (!accumulate(whole, frac, found->ns, &total, error, text)) return std::nullopt;
    any_part = true;
  }
  return Time::ns(static_cast<int64_t>(total));
}

std::string format_seconds_us(Time t) {
  int64_t ns = t.count_ns();
  bool neg = ns < 0;
  // Avoid overflow on INT64_MIN by working in unsigned.
  uint64_t mag = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  uint64_t us = mag / 1000;
  return fmt::format("{}{}.{:06}", neg ? "-" : "", us / 1'000'000, us % 1'000'000);
}

std::string format_duration(Time t) {
  int64_t ns = t.count_ns();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns % 1'000'000'000 == 0) {
    int64_t s = ns / 1'000'000'000;
    int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
    if (h) out += fmt::format("{}h", h);
    if (m) out += fmt::format("{}m", m);
    if (sec) out += fmt::format("{}s", sec);
    return out;
  }
  // Seconds (or, below one second, milliseconds) with as many decimals as the
  // value's precision needs: 3 for ms, 6 for us, 9 for ns.
  int digits = ns % 1'000'000 == 0 ? 3 : ns % 1000 == 0 ? 6 : 9;
  if (ns >= 1'000'000'000) {
    int64_t frac = (ns % 1'000'000'000) / (digits == 3 ? 1'000'000 : digits == 6 ? 1000 : 1);
    return out + fmt::format("{}.{:0{}}s", ns / 1'000'000'000, frac, digits);
  }
  if (ns % 1'000'000 == 0) return out + fmt::format("{}ms", ns / 1'000'000);
  if (ns >= 1'000'000) {
    digits -= 3;
    int64_t frac = (ns % 1'000'000) / (digits == 3 ? 1000 : 1);
    return out + fmt::format("{}.{:0{}}ms", ns / 1'000'000, frac, digits);
  }
  if (ns % 1000 == 0) return out + fmt::format("{}us", ns / 1000);
  if (ns >= 1000) return out + fmt::format("{}.{:03}us", ns / 1000, ns % 1000);
  return out + fmt::format("{}ns", ns);
}

}  // namespace kasim
