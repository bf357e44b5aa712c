// Bounded resources: the limits at which a run stops with a message instead
// of running away or being ended by the OOM killer, and the byte sizes the
// command line gives them (`--max-memory 2G`).
//
// Every limit has a default a user can raise from the command line
// (`kasim run/check/sweep --max-events --max-pending
// --max-events-per-instant --max-memory`). A limit reached is an error of the
// run (exit 1), except the memory a scenario needs before anything runs,
// which the loader refuses as bad input (exit 2) pointing at the fleet's
// `count` (scenario.h load_scenario(), simulator.h estimated_memory()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kasim {

inline constexpr uint64_t kGiB = uint64_t{1} << 30;
inline constexpr uint64_t kDefaultMaxMemory = 4 * kGiB;

// Connection instances a scenario may hold whatever the memory: the engine
// names an endpoint's timer by connection * 2 + side in 32 bits.
inline constexpr uint64_t kMaxConnections = (uint64_t{1} << 31) - 1;

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
  // Bytes this run's own state may take: refused before anything is
  // allocated when estimated_memory() is larger, and checked while running
  // against what the engine has grown to (connection state, pending events,
  // packets in flight, middlebox entries).
  uint64_t max_memory = kDefaultMaxMemory;
  // The whole process's resident set (Linux /proc/self/statm) beyond which
  // the run stops, sampled every 65,536 events: catches what the engine does
  // not count (an output sink holding records, other runs of a sweep).
  // 0: not checked. Unlike the limits above, when it trips depends on the
  // process, not only on the scenario.
  uint64_t max_process_rss = kDefaultMaxMemory;
};

// A byte size: a whole number with an optional unit, B, K, M, G or T, each
// optionally followed by "iB" or "B" ("512M", "2G", "4GiB", "1048576").
// Units are binary (K = 1024) whatever the spelling, as for memory sizes
// elsewhere (ulimit, JVM -Xmx). nullopt with *why when malformed, zero or
// beyond 2^63.
std::optional<uint64_t> parse_size(std::string_view text, std::string* why);

// "4 GiB", "1.5 GiB", "512 MiB", "800 bytes": three significant digits at
// most, for messages.
std::string format_size(uint64_t bytes);

// The resident set of this process in bytes (0 where /proc is unavailable).
uint64_t process_rss_bytes();

}  // namespace kasim
