// Private to the scenario loader (scenario.cc, expect_loader.cc,
// scenario_overrides.cc): the yaml-cpp conversion helpers they share. Every
// helper reports a problem by throwing LoadFailure, which load_scenario()
// turns into a Diagnostic (`file:line:col: message`); nothing here escapes
// the loader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "kasim/expect.h"
#include "kasim/scenario.h"

namespace kasim::loader {

struct LoadFailure {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void fail_at(const YAML::Mark& m, std::string message);
[[noreturn]] void fail(const YAML::Node& n, std::string message);
SourceMark mark_of(const YAML::Node& n);
// "a mapping", "a list", ... for messages.
const char* type_name(const YAML::Node& n);

void expect_map(const YAML::Node& n, std::string_view what);
void expect_seq(const YAML::Node& n, std::string_view what);
std::string scalar(const YAML::Node& n, std::string_view what);
// Rejects duplicate keys and keys not in `allowed`, suggesting the nearest.
void check_keys(const YAML::Node& map, std::string_view what, std::span<const std::string_view> allowed);
void require(const YAML::Node& map, std::string_view key, std::string_view what);
Time duration(const YAML::Node& n, std::string_view what);
int64_t integer(const YAML::Node& n, std::string_view what, int64_t lo, int64_t hi);
bool boolean(const YAML::Node& n, std::string_view what);
uint32_t probability_ppb(const YAML::Node& n, std::string_view what);
// The scalar, which must be one of `options` (with did-you-mean).
std::string one_of(const YAML::Node& n, std::string_view what, std::span<const std::string_view> options);
// A node name that must exist in `s`; `hosts_only` rejects middleboxes.
// Returns the node index (hosts first, then middleboxes).
size_t node_ref(const Scenario& s, const YAML::Node& n, std::string_view what, bool hosts_only);

// expect_loader.cc: the `expect:` block of a scenario whose other parts are
// already loaded (node and connection names are resolved against them).
Expectations parse_expectations(const YAML::Node& block, const Scenario& s);

// scenario_overrides.cc: applies `--set KEY=VALUE` overrides to the parsed
// tree, before validation. Nodes created for override i carry marks on lines
// `first_line(i)` and after, so a later error can be attributed to it:
// override_at_line() maps a 0-based mark line back to the override index
// (or SIZE_MAX for the file itself). Path errors throw LoadFailure with a
// mark on the override's own lines.
class OverrideApplier {
 public:
  OverrideApplier(std::span<const Override> overrides, int file_lines);
  void apply(YAML::Node& root);
  size_t override_at_line(int line0) const;

 private:
  YAML::Node parse_value(size_t i, const std::string& text) const;
  std::span<const Override> overrides_;
  std::vector<int> first_line_;  // per override, 0-based
};

}  // namespace kasim::loader
