// `kasim sweep`: one scenario run over a grid (or a random sample) of
// parameter values, one output row per run.
//
// Each point is the scenario with `--set` overrides (scenario.h Override:
// the same key paths as `kasim run --set`) and runs in its own Simulator, so
// points run in parallel and each is as deterministic as a single run.
// Rows are written in grid order whatever the scheduling, one per line and
// flushed as they are written. With an output file (run_sweep_to_file())
// they go to FILE.partial, renamed to FILE once every point has its row, so
// an interrupted sweep leaves FILE as it was and a prefix of finished rows in
// FILE.partial that `--resume` keeps; `--shard I/N` runs the points with
// index % N == I, and merge_sweep_outputs() joins shard files back into
// grid order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kasim/limits.h"
#include "kasim/scenario.h"

namespace kasim {

struct SweepAxis {
  std::string key;                  // an override key path
  std::vector<std::string> values;  // YAML texts, in order
};
// KEY=V1,V2,... or KEY=START..STOP:STEP (integers, or durations such as
// 60s..600s:30s; STOP is included when the steps land on it).
std::optional<SweepAxis> parse_vary(std::string_view spec, std::string* why);

enum class SweepFormat : uint8_t { kCsv, kJsonLines };

struct SweepOptions {
  std::vector<SweepAxis> axes;
  std::vector<Override> sets;        // fixed overrides, applied before the axis values
  uint64_t samples = 0;              // 0: the cartesian grid; else this many random points
  std::optional<uint64_t> seed;      // for --samples; default: the scenario's seed
  unsigned jobs = 1;                 // worker threads
  uint32_t shard = 0, shards = 1;    // run the points with index % shards == shard
  SweepFormat format = SweepFormat::kCsv;
  bool progress = false;             // a progress bar on the error stream
  // Every point's load and run (limits.h). A point stopped by a limit gets
  // its message in the error column. The process's resident set is shared by
  // the `jobs` runs in flight.
  RunLimits limits;
  // Called on the writing thread after each row is written and flushed,
  // with the number of rows written so far by this call: a seam for tests
  // that interrupt a sweep at a known row.
  std::function<void(uint64_t rows)> after_row;
};

// Points in the sweep: the grid size, or `samples`.
uint64_t sweep_size(const SweepOptions& o);
// The axis values of point `index` (grid: the last axis varies fastest;
// samples: drawn from Rng::stream(seed, "sweep-sample", index)).
std::vector<std::string> sweep_point(const SweepOptions& o, uint64_t index, uint64_t seed);

struct SweepStats {
  uint64_t points = 0;   // in this shard
  uint64_t skipped = 0;  // already in the output (resume)
  uint64_t ran = 0;
  uint64_t errors = 0;   // points whose overrides did not load or whose run stopped at a limit (an `error` column says why)
};

// The CSV header line (with newline) for `s`'s connections; empty for JSON lines.
std::string sweep_header(const SweepOptions& o, const Scenario& s);

// Runs the sweep of the scenario text. Rows whose index is in `done` are
// skipped. Writes the header first when `write_header`. Returns 0, or 2
// with a message on `err` when the scenario or an override is bad input.
int run_sweep(std::string_view yaml_text, std::string_view file, const SweepOptions& o, std::FILE* out,
              std::FILE* err, const std::set<uint64_t>& done, bool write_header, SweepStats* stats);

// Where run_sweep_to_file() writes rows until the sweep completes: FILE + ".partial".
std::string sweep_partial_path(const std::string& output);

// Runs the sweep into `output`, atomically: rows go to
// sweep_partial_path(output) as they finish (flushed one by one), and that
// file is renamed to `output` when every point of the shard has its row.
// An interrupted sweep (killed, out of disk) leaves `output` as it was
// (absent, or an earlier complete output), never truncated.
// Without `resume` the partial file is started afresh. With `resume` the
// complete rows of the partial file, or if there is none of `output`, are
// kept (an interrupted last row is dropped) and only the other points run;
// `output` itself is never written to in place. Returns 0, or 2 with a
// message on `err` (bad input, an output of another sweep, an unwritable
// path); then a partial file this call created is removed.
int run_sweep_to_file(std::string_view yaml_text, std::string_view file, const SweepOptions& o,
                      const std::string& output, bool resume, std::FILE* err, SweepStats* stats);

// Resume support: the indices of the complete rows of an earlier output
// (a last line without its newline is an interrupted row: *keep_bytes ends
// before it). nullopt with *why if the text is not a sweep output of this
// shape (`header` must match for CSV).
std::optional<std::set<uint64_t>> completed_rows(std::string_view text, SweepFormat format, std::string_view header,
                                                 size_t* keep_bytes, std::string* why);

// Joins shard outputs into one, in grid order (a row present in several
// inputs must be identical). nullopt with *why otherwise.
std::optional<std::string> merge_sweep_outputs(const std::vector<std::string>& texts, std::string* why);

}  // namespace kasim
