// libFuzzer target: a whole short run. Any scenario that loads must run to
// its end (or stop at a limit) under ASan/UBSan, and its text output must be
// produced without crashing. Runs are bounded so the fuzzer stays fast.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kasim::LoadResult r = kasim::load_scenario(text, "fuzz.yaml");
  if (!r.scenario) return 0;
  if (r.scenario->connections.size() > 64) return 0;
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  kasim::TextSink sink(devnull);
  kasim::RunLimits limits;
  limits.max_events = 20'000;
  limits.max_pending_events = 20'000;
  limits.max_events_per_instant = 5'000;
  kasim::Simulator sim(*r.scenario, limits);
  sim.run(sink);
  return 0;
}
