// `kasim run --explain`: the run as a story for people learning keepalive.
//
// ExplainSink narrates each event of a run with the rule that produced it,
// in plain words with the numbers filled in ("server: no segment received
// for 7209.875747 s >= keepidle 7200 s = net.ipv4.tcp_keepalive_time ... ->
// keepalive probe 1 of 9"), then, per connection, what killed it and which
// setting would have saved it.
//
// What is narrated: every packet where it is created (the origin's `out`
// record), what a node did to it when that matters (drops, discards,
// firewalls refreshing or lacking state, RSTs accepted), scheduled faults,
// firewall entries expiring (as the simulator reports them from each
// box's own entry: the state and the timeout that ran out), and
// give-ups that send no packet (illumos keepalive, Linux and illumos
// retransmission), told at the time the connection's outcome gives. The
// sink sees only the capture points the simulator records, so run it on a
// scenario with an empty `capture` list (`kasim run --explain` does).
//
// Long runs of the same exchange (a probe answered every keepidle) are
// shortened: the first two rounds, one line counting the rest, the last.
// Everything is buffered and printed at end(); this sink is for learners'
// scenarios, not for fleets. Rules that differ per OS are phrased in
// explain_wording.h.
#pragma once

#include <cstdio>
#include <memory>

#include "kasim/trace.h"

namespace kasim {

class ExplainSink : public TraceSink {
 public:
  explicit ExplainSink(std::FILE* out);
  ~ExplainSink() override;
  ExplainSink(const ExplainSink&) = delete;
  ExplainSink& operator=(const ExplainSink&) = delete;

  void begin(const Scenario& s) override;
  void record(const TraceRecord& r) override;
  void expiry(const ExpiryRecord& e) override;
  void outcome(const ConnectionOutcome& o) override;
  void fleet(const FleetOutcome& f) override;
  void end(const RunSummary& s) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The worst-case amount Linux's timer wheel adds to a timer of `delay` at
// `hz` (one granule of the wheel level the delay falls in); zero for hz 0.
Time timer_wheel_granule(Time delay, int hz);

}  // namespace kasim
