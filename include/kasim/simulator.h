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

#include "kasim/scenario.h"
#include "kasim/trace.h"

namespace kasim {

struct RunLimits {
  // A run that executes more events than this stops with an error instead of
  // running away (a retransmission storm, a pathological fleet).
  uint64_t max_events = 500'000'000;
  // Pending events (packets in flight plus timers) beyond this stop the run:
  // a storm that would otherwise grow memory until the OOM killer ends it.
  uint64_t max_pending_events = 50'000'000;
  // Events executed at one instant beyond this mean time has stopped
  // advancing (a loop of zero-delay events): the run stops.
  uint64_t max_events_per_instant = 10'000'000;
};

struct RunResult {
  RunSummary summary;
  bool stopped_by_limit = false;
  std::string error;  // set when stopped_by_limit
};

class Simulator {
 public:
  // REQUIRES: `scenario` was produced by load_scenario() (validated) and
  // outlives the simulator.
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
