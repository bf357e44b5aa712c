// libFuzzer target: a whole short run. Any scenario that loads must run to
// its end (or stop at a limit) under ASan/UBSan, and its text output must be
// produced without crashing. Runs are bounded so the fuzzer stays fast and
// inside libFuzzer's -rss_limit_mb and -timeout: a mutated `count` can ask
// for millions of connections, which would be allocated (and all opened)
// before the first event.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace {
// Connection instances per run: enough for fleets to be exercised, small
// enough that building and opening them stays in milliseconds.
constexpr uint64_t kMaxInstances = 10'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kasim::RunLimits limits;
  limits.max_events = 20'000;
  limits.max_pending_events = 20'000;
  limits.max_events_per_instant = 5'000;
  limits.max_memory = uint64_t{64} << 20;  // also refuses at load what the cap below would skip
  limits.max_process_rss = 0;    // libFuzzer's -rss_limit_mb watches the process
  kasim::LoadResult r = kasim::load_scenario(text, "fuzz.yaml", {}, limits.max_memory);
  if (!r.scenario) return 0;
  if (r.scenario->connections.size() > 64) return 0;
  uint64_t instances = 0;
  for (const kasim::ConnectionSpec& c : r.scenario->connections) instances += c.count;
  if (instances > kMaxInstances) return 0;
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  kasim::TextSink sink(devnull);
  kasim::Simulator sim(*r.scenario, limits);
  sim.run(sink);
  return 0;
}
