// `kasim run [FILE]`: run one scenario and print its trace and outcomes.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "kasim/cli.h"
#include "kasim/output_file.h"
#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim::cmd {
namespace {

struct RunArgs {
  std::string file;
  std::string format = "text";
  std::string output;
  uint64_t max_events = RunLimits{}.max_events;
  std::vector<std::string> sets;  // --set KEY=VALUE
};

int run(const RunArgs& a, std::FILE* out, std::FILE* err) {
  std::vector<Override> overrides;
  for (const std::string& s : a.sets) {
    std::string why;
    std::optional<Override> o = parse_override(s, &why);
    if (!o) {
      fmt::print(err, "kasim run: {}\n", why);
      return 2;
    }
    overrides.push_back(*o);
  }
  LoadResult lr = a.file.empty() ? load_scenario(default_scenario_text(), "<default scenario>", overrides)
                                 : load_scenario_file(a.file, overrides);
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

Registration add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a scenario and print its packet trace and outcomes");
  c->add_option("file", args->file, "Scenario YAML file (default: the built-in firewall-expiry-reset scenario)");
  c->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  c->add_option("-o,--output", args->output, "Write to this file (atomically) instead of standard output");
  c->add_option("--max-events", args->max_events, "Stop with an error after this many events");
  c->add_option("--set", args->sets,
                "Override a scenario key, KEY=VALUE (repeatable): e.g. middleboxes.fw.idle_timeout=30m, "
                "connections.0.keepalive.server.idle=45m, hosts.server.sysctl.net.ipv4.tcp_keepalive_time=600")
      ->allow_extra_args(false);
  return {c, [args](std::FILE* out, std::FILE* err) { return run(*args, out, err); }};
}

}  // namespace kasim::cmd
