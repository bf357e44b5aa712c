// `kasim run [FILE]`: run one scenario and print its trace and outcomes.
#include <chrono>
#include <memory>

#include <sys/resource.h>
#include <string>
#include <vector>

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

long peak_rss_kib() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct RunArgs {
  std::string file;
  std::string format = "text";
  std::string output;
  bool explain = false;   // --explain: the narrative instead of the trace
  std::string pcap;       // --pcap: base path of the capture files
  std::string pcap_node;  // --pcap-node: only this capture point, to exactly `pcap`
  LimitArgs limits;
  bool stats = false;
  bool no_trace = false;
  std::vector<std::string> sets;  // --set KEY=VALUE
};

// Discards packet records (nothing is formatted per packet) but passes
// outcomes and the summary on.
class OutcomesOnly : public TraceSink {
 public:
  explicit OutcomesOnly(TraceSink& inner) : inner_(inner) {}
  void begin(const Scenario& s) override { inner_.begin(s); }
  void outcome(const ConnectionOutcome& o) override { inner_.outcome(o); }
  void fleet(const FleetOutcome& f) override { inner_.fleet(f); }
  void sample(const SampleRecord& r) override { inner_.sample(r); }
  void end(const RunSummary& s) override { inner_.end(s); }
  bool wants_records() const override { return false; }

 private:
  TraceSink& inner_;
};

void print_stats(std::FILE* err, const RunSummary& s, double wall_s, size_t connections) {
  long rss_kib = peak_rss_kib();
  fmt::print(err,
             "stats: simulated {} s, events {}, wall {:.3f} s, {:.0f} events/s, packets {}, peak pending events {}, "
             "peak RSS {} KiB, {:.0f} bytes per connection\n",
             s.end, s.events, wall_s, wall_s > 0 ? static_cast<double>(s.events) / wall_s : 0.0, s.packets,
             s.peak_pending, rss_kib, connections ? static_cast<double>(rss_kib) * 1024.0 / static_cast<double>(connections) : 0.0);
}

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
  RunLimits limits = a.limits.limits();
  LoadResult lr = a.file.empty()
                      ? load_scenario(default_scenario_text(), "<default scenario>", overrides, limits.max_memory)
                      : load_scenario_file(a.file, overrides, limits.max_memory);
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
  TraceSink* main_sink = a.explain ? static_cast<TraceSink*>(&explain)
                         : a.format == "json" ? static_cast<TraceSink*>(&json)
                                              : &text;
  OutcomesOnly quiet(*main_sink);
  TeeSink sink;
  sink.add(a.no_trace ? &quiet : main_sink);
  std::unique_ptr<PcapSink> pcap;
  if (!a.pcap.empty()) {
    pcap = std::make_unique<PcapSink>(a.pcap, a.pcap_node);
    if (!pcap->open(*lr.scenario)) {
      fmt::print(err, "{}\n", pcap->error());
      return 2;
    }
    sink.add(pcap.get());
  }
  // The story needs every node's view (firewall expiries, drops), whatever
  // the scenario's capture list says; the pcap files above keep to that list.
  // (`capture: []` still means no packets at all: a fleet is told as a summary.)
  if (a.explain) lr.scenario->capture.clear();
  auto start = std::chrono::steady_clock::now();
  Simulator sim(*lr.scenario, limits);
  RunResult r = sim.run(sink);
  // Wall time is reported, never used in the simulation.
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (a.stats) {
    size_t connections = 0;
    for (const ConnectionSpec& c : lr.scenario->connections) connections += c.count;
    print_stats(err, r.summary, wall, connections);
  }
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
  add_limit_options(c, args->limits);
  c->add_flag("--stats", args->stats, "Print events, events/s, peak pending events, peak RSS and wall time to stderr");
  c->add_flag("--no-trace", args->no_trace, "Print only the outcomes (no per-packet records are formatted)");
  c->add_option("--set", args->sets,
                "Override a scenario key, KEY=VALUE (repeatable): e.g. middleboxes.fw.idle_timeout=30m, "
                "connections.0.keepalive.server.idle=45m, hosts.server.sysctl.net.ipv4.tcp_keepalive_time=600")
      ->allow_extra_args(false);
  return {c, [args](std::FILE* out, std::FILE* err) { return run(*args, out, err); }};
}

}  // namespace kasim::cmd
