// The command line: a table of subcommands over the library. main() only
// calls run_cli(); tests call it too, with their own streams.
#pragma once

#include <cstdio>
#include <string_view>

namespace kasim {

// Exit codes: 0 success, 1 the run or check failed, 2 bad input or usage.
int run_cli(int argc, const char* const* argv, std::FILE* out, std::FILE* err);

// The scenario `kasim run` uses without a file (firewall-expiry-reset.yaml).
std::string_view default_scenario_text();

}  // namespace kasim
