// Helpers shared by the tests: load a scenario from text, run it in memory.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "kasim/scenario.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim::test {

inline Scenario must_load(std::string_view yaml) {
  LoadResult r = load_scenario(yaml, "test.yaml");
  if (!r.scenario) FAIL("scenario did not load: " << r.error.to_string());
  return std::move(*r.scenario);
}

inline std::string load_error(std::string_view yaml) {
  LoadResult r = load_scenario(yaml, "test.yaml");
  if (r.scenario) return "(loaded without error)";
  return r.error.to_string();
}

struct Run {
  Scenario scenario;
  MemorySink sink;
  RunResult result;
  // Records captured at `node` sent (or received) by the node, in order.
  std::vector<TraceRecord> at(std::string_view node, CaptureDir dir) const {
    std::vector<TraceRecord> out;
    size_t n = scenario.node_index(node);
    for (const TraceRecord& r : sink.records)
      if (r.node == n && r.dir == dir) out.push_back(r);
    return out;
  }
  std::vector<TraceRecord> with(NoteKind why, std::string_view node, CaptureDir dir) const {
    std::vector<TraceRecord> out;
    for (const TraceRecord& r : at(node, dir))
      if (r.why == why) out.push_back(r);
    return out;
  }
  const ConnectionOutcome& outcome(size_t i = 0) const { return sink.outcomes.at(i); }
};

inline Run run_yaml(std::string_view yaml) {
  Run r{must_load(yaml), {}, {}};
  Simulator sim(r.scenario);
  r.result = sim.run(r.sink);
  return r;
}

// Runs `s` into a sink made by `make(FILE*)` and returns what it wrote.
template <typename MakeSink>
std::string render(const Scenario& s, MakeSink make) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    auto sink = make(f);
    Simulator sim(s);
    sim.run(*sink);
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

// The first line where two texts differ, for readable golden failures.
inline std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return "identical";
    if (ea != eb || la != lb) return "line " + std::to_string(n) + ":\n  expected: " + la + "\n  actual:   " + lb;
  }
}

// Seconds with microseconds, for readable comparisons.
inline std::string t(Time x) { return format_seconds_us(x); }

}  // namespace kasim::test
