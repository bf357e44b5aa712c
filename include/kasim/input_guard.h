// Checks on a scenario's raw text before any YAML parsing, so hostile or
// broken files fail fast with a position instead of exhausting the parser:
// size, encoding (UTF-8 without NUL bytes) and nesting depth.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "kasim/diagnostic.h"

namespace kasim {

inline constexpr size_t kMaxScenarioBytes = 4u << 20;  // 4 MiB: scenarios are small text files
inline constexpr int kMaxNesting = 64;                 // collections inside collections

// nullopt if the text may be parsed; otherwise what is wrong and where.
std::optional<Diagnostic> check_input_text(std::string_view text, std::string_view file);

}  // namespace kasim
