// `kasim tune`: keepalive settings for one connection of a scenario, derived
// from its path and confirmed with the simulator.
//
// The question: which idle / interval / count should one side's OS use so
// that (a) no middlebox on the path forgets the idle connection, even when
// one probe is lost, (b) a dead peer is noticed within a bound (if given),
// (c) as few probes as possible are sent. The answer is worked out from the
// boxes' timeouts and refresh rules, the OS's give-up rule and timer
// granularity, and then checked by running the simulator on the
// recommendation and on its nearest failing neighbour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kasim/scenario.h"
#include "kasim/time.h"
#include "kasim/trace.h"

namespace kasim {

struct TuneRequest {
  std::string connection;              // ConnectionSpec::name
  Side side = Side::kClient;           // whose OS is tuned
  std::optional<Time> detect_within;   // a dead peer must be noticed this soon after it stopped answering
  Time margin = Time::s(1);            // extra allowance for what kasim does not model
  bool confirm = true;                 // run the confirmation simulations
};

// One middlebox on the route, as seen from the tuned side.
struct BoxOnPath {
  size_t middlebox = 0;        // index into Scenario::middleboxes
  std::string name;
  Time timeout;                // ESTABLISHED idle timeout (never(): none)
  bool dcd = false;            // probes both ends at expiry and keeps live flows (ASA DCD)
  bool probe_refreshes = false;   // the tuned side's keepalive probe refreshes its timer
  bool answer_refreshes = false;  // the peer's answer to the probe does
  bool probe_dropped = false;     // the probe is dropped (sequence check): keepalive kills the flow
  std::string why;             // the rule behind the three flags, in words
  bool binds() const { return !timeout.is_never() && !dcd; }
  bool keepalive_helps() const { return !probe_dropped && (probe_refreshes || answer_refreshes); }
};

struct KeepaliveSetting {
  Time idle, interval;
  int count = 0;
};

// One confirmation run: the setting, with one steady-state probe lost.
struct TuneRun {
  KeepaliveSetting setting;
  Time heartbeat;               // > 0: an application heartbeat of 1 byte every this long instead
  bool survived = false;        // alive and no box expired the flow
  Fate fate = Fate::kAlive;
  Time at = Time::never();
  std::string killer;
  std::string what;             // what happened, in one line
  Time lost_probe_at = Time::never();  // the probe the run dropped
  int probes = 0;               // keepalive probes the tuned side sent
  Time duration;
  bool dead_peer = false;       // the peer crashed mid-idle: how soon is it noticed?
  Time detected_after = Time::never();  // dead-peer run: give-up minus the peer's last segment
};

struct TuneResult {
  enum class Verdict : uint8_t {
    kOk,                 // a setting meets every requirement
    kDetectTooTight,     // --detect-within is below what the OS can do; `setting` is the best achievable
    kKeepaliveUseless,   // a box is not refreshed by keepalive: an application heartbeat is needed
  };
  Verdict verdict = Verdict::kOk;
  std::string os;                        // profile name of the tuned side
  std::vector<BoxOnPath> boxes;          // route order from the tuned side
  std::optional<size_t> binding;         // index into boxes
  Time rtt;                              // round trip over the path (link delays)
  Time late_idle, late_interval;         // timer lateness allowed for, per timer
  KeepaliveSetting setting;
  Time idle_limit;                       // largest idle the survival rule allows (with `setting.interval`)
  Time detection;                        // dead peer noticed this long after its last segment (worst case)
  int probes_before_give_up = 0;
  Time cycle;                            // steady state: one probe + answer every this long
  uint64_t probes_per_hour_x100 = 0;     // per connection, x100
  uint64_t bytes_per_day = 0;            // probes + answers, IP level
  Time heartbeat;                        // kKeepaliveUseless: send data at least this often
  std::vector<std::string> reasoning;    // lines, in order
  std::vector<std::string> sysctl_lines, setsockopt_lines;
  std::vector<TuneRun> runs;             // confirmations: recommendation first, then its failing neighbour
};

// Works out the recommendation. `error` is set (and the result meaningless)
// when the request names no such connection.
TuneResult tune(const Scenario& s, const TuneRequest& req, std::string* error);
// The report `kasim tune` prints.
std::string format_tune(const Scenario& s, const TuneRequest& req, const TuneResult& r);

// Runs connection `conn` alone on its path (100 bytes at open + 1 s, then
// idle) with `setting` on `side` (the other side's keepalive off); drops the
// tuned side's second keepalive probe (the first of a steady-state cycle)
// if `lose_probe`. With `heartbeat` > 0 the tuned side sends 1 byte that
// often instead of relying on keepalive. Exposed for tests.
TuneRun simulate_setting(const Scenario& s, size_t conn, Side side, const KeepaliveSetting& setting, Time duration,
                         bool lose_probe, Time heartbeat = Time());

}  // namespace kasim
