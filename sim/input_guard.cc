#include "kasim/input_guard.h"

#include <vector>

#include <fmt/format.h>

namespace kasim {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::optional<Diagnostic> check_input_text(std::string_view text, std::string_view file) {
  auto at = [&](int line, int col, std::string msg) {
    return Diagnostic{std::string(file), line, col, std::move(msg)};
  };
  if (text.size() > kMaxScenarioBytes)
    return at(0, 0, fmt::format("the file is {} bytes; scenario files may be at most {} bytes", text.size(),
                                kMaxScenarioBytes));
  int line = 1, col = 1;
  // Nesting: flow collections ([ {) and block indentation levels.
  int flow_depth = 0;
  std::vector<size_t> indents;
  bool line_start = true;
  size_t indent = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) return at(line, col, "the file contains a NUL byte; scenarios are UTF-8 text");
    size_t n = utf8_length(text, i);
    if (n == 0) return at(line, col, fmt::format("the file is not valid UTF-8 (byte 0x{:02x})", c));
    if (c == '\n') {
      ++line;
      col = 1;
      line_start = true;
      indent = 0;
      comment = false;
      if (quote == '\'') { /* single-quoted scalars may span lines */ }
      ++i;
      continue;
    }
    if (line_start) {
      if (c == ' ' || c == '-') {
        // "- - x" nests sequences on one line: each dash is a level.
        ++indent;
        ++col;
        ++i;
        continue;
      }
      line_start = false;
      if (c != '#') {
        while (!indents.empty() && indents.back() >= indent) indents.pop_back();
        indents.push_back(indent);
        if (static_cast<int>(indents.size()) > kMaxNesting)
          return at(line, col, fmt::format("nesting is deeper than {} levels", kMaxNesting));
      }
    }
    if (!comment) {
      if (quote != 0) {
        if (c == static_cast<unsigned char>(quote)) quote = 0;
        else if (c == '\\' && quote == '"') { ++i; ++col; }
      } else if (c == '"' || c == '\'') {
        quote = static_cast<char>(c);
      } else if (c == '#') {
        comment = true;
      } else if (c == '[' || c == '{') {
        if (++flow_depth + static_cast<int>(indents.size()) > kMaxNesting)
          return at(line, col, fmt::format("nesting is deeper than {} levels", kMaxNesting));
      } else if (c == ']' || c == '}') {
        if (flow_depth > 0) --flow_depth;
      }
    }
    i += n;
    ++col;
  }
  return std::nullopt;
}

}  // namespace kasim
