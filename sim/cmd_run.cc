// `kasim run [FILE]`: run one scenario and print its trace and outcomes.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "kasim/cli.h"
#include "kasim/explain_sink.h"
#include "kasim/output_file.h"
#include "kasim/pcap_sink.h"
#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim::cmd {
namespace {

struct RunArgs {
  std::string file;
  std::string format = "text";
  std::string output;
  bool explain = false;   // --explain: the narrative instead of the trace
  std::string pcap;       // --pcap: base path of the capture files
  std::string pcap_node;  // --pcap-node: only this capture point, to exactly `pcap`
  uint64_t max_events = RunLimits{}.max_events;
};

int run(const RunArgs& a, std::FILE* out, std::FILE* err) {
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
  ExplainSink explain(dest);
  TeeSink sink;
  sink.add(a.explain ? static_cast<TraceSink*>(&explain)
                     : a.format == "json" ? static_cast<TraceSink*>(&json) : &text);
  std::unique_ptr<PcapSink> pcap;
  if (!a.pcap.empty()) {
    pcap = std::make_unique<PcapSink>(a.pcap, a.pcap_node);
    if (!pcap->open(*lr.scenario)) {
      fmt::print(err, "{}\n", pcap->error());
      return 2;
    }
    sink.add(pcap.get());
  }
  Simulator sim(*lr.scenario, RunLimits{a.max_events});
  RunResult r = sim.run(sink);
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
  if (pcap) {
    std::string why;
    if (!pcap->commit(&why)) {
      fmt::print(err, "{}\n", why);
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
  CLI::Option* format =
      c->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
  c->add_flag("--explain", args->explain,
              "Print the run as a story for learners: each event with the rule behind it, then what killed "
              "each connection and which setting would have saved it")
      ->excludes(format);
  c->add_option("-o,--output", args->output, "Write to this file (atomically) instead of standard output");
  CLI::Option* pcap = c->add_option(
      "--pcap", args->pcap,
      "Also write pcap files: one per capture point, named FILE with the node before the extension "
      "(out.pcap -> out.client.pcap, out.fw.pcap, ...)");
  c->add_option("--pcap-node", args->pcap_node, "With --pcap: write only this node's capture, to exactly FILE")
      ->needs(pcap);
  c->add_option("--max-events", args->max_events, "Stop with an error after this many events");
  return {c, [args](std::FILE* out, std::FILE* err) { return run(*args, out, err); }};
}

}  // namespace kasim::cmd
