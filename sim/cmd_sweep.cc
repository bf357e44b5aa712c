// `kasim sweep FILE --vary KEY=VALUES ...` and `kasim merge FILE...`
// (sweep.h): parameter sweeps, in parallel, resumable, sharded.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.h"
#include "kasim/output_file.h"
#include "kasim/sweep.h"

namespace kasim::cmd {
namespace {

struct SweepArgs {
  std::string file;
  std::vector<std::string> vary;
  std::vector<std::string> sets;
  uint64_t samples = 0;
  std::optional<uint64_t> seed;
  unsigned jobs = 0;
  std::string shard;
  std::string format = "csv";
  std::string output;
  bool resume = false;
  LimitArgs limits;
};

bool read_file(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

int sweep_main(const SweepArgs& a, std::FILE* out, std::FILE* err) {
  SweepOptions o;
  for (const std::string& v : a.vary) {
    std::string why;
    std::optional<SweepAxis> axis = parse_vary(v, &why);
    if (!axis) {
      fmt::print(err, "kasim sweep: {}\n", why);
      return 2;
    }
    o.axes.push_back(std::move(*axis));
  }
  for (const std::string& s : a.sets) {
    std::string why;
    std::optional<Override> ov = parse_override(s, &why);
    if (!ov) {
      fmt::print(err, "kasim sweep: {}\n", why);
      return 2;
    }
    o.sets.push_back(*ov);
  }
  o.samples = a.samples;
  o.seed = a.seed;
  o.jobs = a.jobs ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  o.format = a.format == "jsonl" ? SweepFormat::kJsonLines : SweepFormat::kCsv;
  if (!a.shard.empty()) {
    unsigned i = 0, n = 0;
    char slash = 0;
    std::istringstream ss(a.shard);
    if (!(ss >> i >> slash >> n) || slash != '/' || !ss.eof() || n == 0 || i >= n) {
      fmt::print(err, "kasim sweep: --shard '{}': expected I/N with 0 <= I < N\n", a.shard);
      return 2;
    }
    o.shard = i;
    o.shards = n;
  }
  o.progress = ::isatty(::fileno(err)) != 0;
  o.limits = a.limits.limits();
  std::string text;
  if (!read_file(a.file, &text)) {
    fmt::print(err, "{}: cannot read the file\n", a.file);
    return 2;
  }
  if (a.resume && a.output.empty()) {
    fmt::print(err, "kasim sweep: --resume needs -o FILE (the output of the interrupted sweep)\n");
    return 2;
  }
  SweepStats st;
  int code = a.output.empty() ? run_sweep(text, a.file, o, out, err, {}, true, &st)
                              : run_sweep_to_file(text, a.file, o, a.output, a.resume, err, &st);
  if (code != 0) return code;
  if (!a.output.empty() || !o.progress)
    fmt::print(err, "kasim sweep: {} points in this shard, {} already done, {} run{}\n", st.points, st.skipped, st.ran,
               st.errors ? fmt::format(", {} with errors (see the error column)", st.errors) : std::string());
  return st.errors ? 1 : 0;
}

struct MergeArgs {
  std::vector<std::string> files;
  std::string output;
};

int merge_main(const MergeArgs& a, std::FILE* out, std::FILE* err) {
  std::vector<std::string> texts;
  for (const std::string& f : a.files) {
    std::string t;
    if (!read_file(f, &t)) {
      fmt::print(err, "{}: cannot read the file\n", f);
      return 2;
    }
    texts.push_back(std::move(t));
  }
  std::string why;
  std::optional<std::string> merged = merge_sweep_outputs(texts, &why);
  if (!merged) {
    fmt::print(err, "kasim merge: {}\n", why);
    return 2;
  }
  if (a.output.empty()) {
    std::fputs(merged->c_str(), out);
    return 0;
  }
  OutputFile file;
  std::string error;
  if (!file.open(a.output, &error)) {
    fmt::print(err, "kasim merge: {}\n", error);
    return 2;
  }
  std::fputs(merged->c_str(), file.stream());
  if (!file.commit(&error)) {
    fmt::print(err, "kasim merge: {}\n", error);
    return 2;
  }
  return 0;
}

}  // namespace

Registration add_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* sub = app.add_subcommand("sweep", "Run a scenario over a grid (or random sample) of --set values, one row per run");
  sub->add_option("file", args->file, "Scenario file")->required();
  sub->add_option("--vary", args->vary, "KEY=V1,V2,... or KEY=START..STOP:STEP (repeatable: the grid is their product)")
      ->required()
      ->allow_extra_args(false);
  sub->add_option("--set", args->sets, "A fixed override, KEY=VALUE (repeatable)")->allow_extra_args(false);
  sub->add_option("--samples", args->samples, "Run this many random grid points instead of the whole grid");
  sub->add_option("--seed", args->seed, "Seed for --samples (default: the scenario's seed)");
  sub->add_option("--jobs,-j", args->jobs, "Parallel runs (default: all cores)");
  sub->add_option("--shard", args->shard, "I/N: run only the points with index % N == I");
  sub->add_option("--format", args->format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  sub->add_option("-o,--output", args->output,
                  "Write rows to FILE.partial as they finish, renamed to FILE when the sweep completes");
  sub->add_flag("--resume", args->resume,
                "Keep the complete rows of FILE.partial (or else of FILE) and run only the others");
  add_limit_options(sub, args->limits);
  return {sub, [args](std::FILE* out, std::FILE* err) { return sweep_main(*args, out, err); }};
}

Registration add_merge(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* sub = app.add_subcommand("merge", "Join sweep shard outputs into one, in grid order");
  sub->add_option("files", args->files, "Shard outputs")->required();
  sub->add_option("-o,--output", args->output, "Write here (atomically) instead of stdout");
  return {sub, [args](std::FILE* out, std::FILE* err) { return merge_main(*args, out, err); }};
}

}  // namespace kasim::cmd
