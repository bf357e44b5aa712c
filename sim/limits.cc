#include "kasim/limits.h"

#include <charconv>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

namespace kasim {

std::optional<uint64_t> parse_size(std::string_view text, std::string* why) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit = text.substr(static_cast<size_t>(p - text.data()));
  if (ec != std::errc() || p == text.data()) {
    *why = fmt::format("'{}' is not a size: expected a whole number with an optional unit (512M, 2G, 4GiB)", text);
    return std::nullopt;
  }
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  for (auto [letter, s] : {std::pair{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}}) {
    for (char c : {letter, static_cast<char>(letter - 'A' + 'a')})
      if (unit == std::string(1, c) || unit == std::string(1, c) + "B" || unit == std::string(1, c) + "iB") shift = s;
  }
  if (shift < 0) {
    *why = fmt::format("'{}': unknown size unit '{}' (expected B, K, M, G or T, optionally with iB: 512M, 4GiB)", text,
                       unit);
    return std::nullopt;
  }
  if (n == 0) {
    *why = fmt::format("'{}': a size must be positive", text);
    return std::nullopt;
  }
  if (n > (uint64_t{1} << (63 - shift))) {
    *why = fmt::format("'{}' is too large", text);
    return std::nullopt;
  }
  return n << shift;
}

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  // Messages only: a double is exact enough for three digits.
  double v = static_cast<double>(bytes) / 1024.0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  if (v >= 1000.0) return fmt::format("{:.0f} {}", v, kUnits[u]);
  return fmt::format("{:.3g} {}", v, kUnits[u]);
}

uint64_t process_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int got = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  long page = ::sysconf(_SC_PAGESIZE);
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(page > 0 ? page : 4096);
}

}  // namespace kasim
