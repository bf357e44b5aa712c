// Private to the command line: each subcommand lives in its own sim/cmd_*.cc
// and registers itself on the CLI11 app. cli.cc holds only the table.
#pragma once

#include <cstdio>
#include <functional>

#include <CLI/CLI.hpp>

namespace kasim::cmd {

// What a registered subcommand runs once parsing succeeded; returns the exit
// code (0 ok, 1 failed, 2 bad input).
using Action = std::function<int(std::FILE* out, std::FILE* err)>;

struct Registration {
  CLI::App* app;
  Action action;
};

Registration add_run(CLI::App& app);
Registration add_profiles(CLI::App& app);
Registration add_middleboxes(CLI::App& app);
Registration add_check(CLI::App& app);
Registration add_tune(CLI::App& app);
Registration add_sweep(CLI::App& app);
Registration add_merge(CLI::App& app);
Registration add_lab(CLI::App& app);

}  // namespace kasim::cmd
