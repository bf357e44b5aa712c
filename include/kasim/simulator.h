// The simulator: builds the runtime model of a scenario and runs its events.
//
// A Simulator is an ordinary object (no globals), so one process can run many
// simulations, one after another or on several threads. run() is
// deterministic: the same scenario (including its seed) gives the same
// records in the same order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kasim/limits.h"
#include "kasim/scenario.h"
#include "kasim/trace.h"

namespace kasim {

struct RunResult {
  RunSummary summary;
  bool stopped_by_limit = false;
  std::string error;  // set when stopped_by_limit
};

// The memory a run of `s` allocates before its first event, in bytes:
// the state of every connection instance (both endpoints, timers, outcome
// bookkeeping), its traffic steps, its first pending events and an entry in
// each middlebox on its route. The simulator computes it from the sizes of
// its own structures; `s` needs only its hosts, middleboxes, links and
// connections (the loader calls it before the rest is loaded). Growth while
// running (packets in flight, timers) is checked separately (RunLimits).
uint64_t estimated_memory(const Scenario& s);

class Simulator {
 public:
  // REQUIRES: `scenario` was produced by load_scenario() (validated) and
  // outlives the simulator. When estimated_memory(scenario) is beyond
  // `limits.max_memory` nothing is allocated, and run() returns at once,
  // stopped by that limit.
  explicit Simulator(const Scenario& scenario, RunLimits limits = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  RunResult run(TraceSink& sink);

  // Inspection, for tests: valid after construction and after run().
  const TcpEndpoint& endpoint(size_t connection, Side side) const;
  const Firewall& firewall(size_t middlebox) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kasim
