// Private to the command line: each subcommand lives in its own sim/cmd_*.cc
// and registers itself on the CLI11 app. cli.cc holds only the table.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "kasim/limits.h"

namespace kasim::cmd {

// What a registered subcommand runs once parsing succeeded; returns the exit
// code (0 ok, 1 failed, 2 bad input).
using Action = std::function<int(std::FILE* out, std::FILE* err)>;

struct Registration {
  CLI::App* app;
  Action action;
};

// The resource limits shared by the commands that run scenarios (run,
// check, sweep): --max-events, --max-pending, --max-events-per-instant and
// --max-memory SIZE (limits.h; a malformed size is a usage error, exit 2).
struct LimitArgs {
  uint64_t max_events = RunLimits{}.max_events;
  uint64_t max_pending = RunLimits{}.max_pending_events;
  uint64_t max_per_instant = RunLimits{}.max_events_per_instant;
  std::string max_memory = "4GiB";  // kDefaultMaxMemory
  // REQUIRES: parsing succeeded (the size was checked then).
  RunLimits limits() const;
};
void add_limit_options(CLI::App* command, LimitArgs& args);

Registration add_run(CLI::App& app);
Registration add_profiles(CLI::App& app);
Registration add_middleboxes(CLI::App& app);
Registration add_check(CLI::App& app);
Registration add_tune(CLI::App& app);
Registration add_sweep(CLI::App& app);
Registration add_merge(CLI::App& app);
Registration add_lab(CLI::App& app);

}  // namespace kasim::cmd
