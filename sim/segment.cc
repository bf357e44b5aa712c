#include "kasim/segment.h"

namespace kasim {

std::string format_ipv4(Ipv4 a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

bool parse_ipv4(const std::string& text, Ipv4* out) {
  uint32_t parts[4];
  size_t i = 0;
  for (int p = 0; p < 4; ++p) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<uint32_t>(text[i] - '0');
      if (++digits > 3 || v > 255) return false;
      ++i;
    }
    parts[p] = v;
    if (p < 3) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i != text.size()) return false;
  *out = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
  return true;
}

std::string format_flags(uint8_t flags) {
  std::string s;
  if (flags & tcp_flag::kSyn) s += 'S';
  if (flags & tcp_flag::kFin) s += 'F';
  if (flags & tcp_flag::kPsh) s += 'P';
  if (flags & tcp_flag::kRst) s += 'R';
  if (flags & tcp_flag::kAck) s += '.';
  if (s.empty()) s = "none";
  return s;
}

}  // namespace kasim
