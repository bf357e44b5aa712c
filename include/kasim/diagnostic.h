// Errors that point at the input: `file:line:col: message`.
//
// Errors cross module boundaries as values (Diagnostic), never as
// exceptions. Lines and columns are 1-based; 0 means "unknown".
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kasim {

struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  // "file:line:col: message" (parts that are unknown are left out).
  std::string to_string() const;
};

// The candidate closest to `word` by edit distance, if it is close enough to
// be a plausible typo (distance at most max(2, |word|/3)).
std::optional<std::string_view> nearest_word(std::string_view word,
                                             std::span<const std::string_view> candidates);
// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
// "a, b or c" for messages that list what was expected.
std::string join_alternatives(std::span<const std::string_view> words);

size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace kasim
