#include "kasim/cli.h"

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "kasim/output_file.h"
#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim {
namespace {

struct RunArgs {
  std::string file;
  std::string format = "text";
  std::string output;
  uint64_t max_events = RunLimits{}.max_events;
  bool quiet = false;
};

int cmd_run(const RunArgs& a, std::FILE* out, std::FILE* err) {
  LoadResult lr = a.file.empty() ? load_scenario(default_scenario_text(), "<default scenario>")
                                 : load_scenario_file(a.file);
  if (!lr.scenario) {
    fmt::print(err, "{}\n", lr.error.to_string());
    return 2;
  }
  OutputFile file;
  std::FILE* dest = out;
  if (!a.output.empty()) {
    std::string why;
    if (!file.open(a.output, &why)) {
      fmt::print(err, "{}: cannot write the output: {}\n", a.output, why);
      return 2;
    }
    dest = file.stream();
  }
  TextSink text(dest);
  JsonSink json(dest);
  TraceSink* sink = a.format == "json" ? static_cast<TraceSink*>(&json) : &text;
  Simulator sim(*lr.scenario, RunLimits{a.max_events});
  RunResult r = sim.run(*sink);
  if (r.stopped_by_limit) {
    fmt::print(err, "{}: {}\n", a.file.empty() ? "<default scenario>" : a.file, r.error);
    return 1;  // the temporary output file is discarded
  }
  if (!a.output.empty()) {
    std::string why;
    if (!file.commit(&why)) {
      fmt::print(err, "{}: cannot write the output: {}\n", a.output, why);
      return 2;
    }
  }
  return 0;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::FILE* out, std::FILE* err) {
  CLI::App app{"kasim: a discrete-event TCP keepalive simulator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kasim ") + KASIM_VERSION);

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and print its packet trace and outcomes");
  run_cmd->add_option("file", run.file, "Scenario YAML file (default: the built-in firewall-expiry-reset scenario)");
  run_cmd->add_option("--format", run.format, "Output format")->check(CLI::IsMember({"text", "json"}));
  run_cmd->add_option("-o,--output", run.output, "Write to this file (atomically) instead of standard output");
  run_cmd->add_option("--max-events", run.max_events, "Stop with an error after this many events");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    fmt::print(out, "{}", app.help());
    return 0;
  } catch (const CLI::CallForVersion& e) {
    fmt::print(out, "kasim {}\n", KASIM_VERSION);
    return 0;
  } catch (const CLI::ParseError& e) {
    fmt::print(err, "kasim: {}\nRun 'kasim --help' for usage.\n", e.what());
    return 2;
  }
  if (run_cmd->parsed()) return cmd_run(run, out, err);
  return 2;
}

}  // namespace kasim
