// Engine benchmarks (not tests): the hold model on the event queue, and
// timer re-arming. Prints one line per benchmark; run with ./dev.sh bench.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "kasim/event_queue.h"
#include "kasim/rng.h"

using namespace kasim;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this process: on a shared machine wall time also counts the
// time other jobs had the core, CPU time does not (though their use of the
// shared caches still shows).
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Hold model: `pending` timers; repeatedly pop the earliest and push one at a
// random time up to 2 hours later (the shape of a keepalive-heavy run).
void hold(size_t pending, uint64_t operations) {
  EventQueue q;
  q.reserve(pending + 1);
  Rng rng(1);
  for (size_t i = 0; i < pending; ++i)
    q.push(Time::ns(static_cast<int64_t>(rng.below(7'200'000'000'000ull))), EventKind::kEndpointTimer,
           static_cast<uint32_t>(i));
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  uint64_t checksum = 0;
  for (uint64_t i = 0; i < operations; ++i) {
    Event e = q.pop();
    checksum += e.target;
    q.push(e.at + Time::ns(1 + static_cast<int64_t>(rng.below(7'200'000'000'000ull))), EventKind::kEndpointTimer,
           e.target);
  }
  double s = seconds_since(t0);
  double cpu = cpu_seconds() - c0;
  fmt::print("hold model: {} pending, {} pop+push in {:.3f} s = {:.1f} M events/s ({:.3f} s CPU = {:.1f} M/s) "
             "(checksum {})\n",
             pending, operations, s, static_cast<double>(operations) / s / 1e6, cpu,
             static_cast<double>(operations) / cpu / 1e6, checksum % 1000);
}

// Re-arming a timer later (the common case: each ACK pushes the deadline
// out) must not touch the queue; earlier re-arms push one event.
void rearm(uint64_t operations) {
  EventQueue q;
  TimerSlot slot;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < operations; ++i)
    slot.ensure(q, Time::ms(1000 + static_cast<int64_t>(i)), EventKind::kEndpointTimer, 0);
  double s = seconds_since(t0);
  fmt::print("timer re-arm (later): {} re-arms in {:.3f} s = {:.1f} ns each, queue size {}\n", operations, s,
             s / static_cast<double>(operations) * 1e9, q.size());
}
// Memory latency of this machine: a pointer chase through `bytes` of
// 64-byte records in random cyclic order, each load depending on the last.
// A simulator event on a big run starts with such a load (the connection,
// the packet's firewall entry, the event's block), so this figure, times
// the events a workload needs, bounds what any layout of its state can do.
void memory_latency(size_t bytes) {
  size_t n = bytes / 64;
  struct alignas(64) Rec {
    uint64_t next;
  };
  std::vector<Rec> recs(n);
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), uint64_t{0});
  Rng rng(7);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  for (size_t i = 0; i < n; ++i) recs[order[i]].next = order[(i + 1) % n];
  const uint64_t steps = 4'000'000;
  uint64_t at = order[0];
  double c0 = cpu_seconds();
  for (uint64_t i = 0; i < steps; ++i) at = recs[at].next;
  double s = cpu_seconds() - c0;
  fmt::print("memory latency: dependent loads over {} MiB: {:.0f} ns each (end {})\n", bytes >> 20,
             s / static_cast<double>(steps) * 1e9, at % 10);
}
}  // namespace

int main(int argc, char** argv) {
  size_t pending = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  uint64_t ops = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20'000'000;
  uint64_t rearms = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100'000'000;
  hold(pending, ops);
  if (rearms > 0) rearm(rearms);
  if (argc <= 1)
    for (size_t mib : {1, 16, 128, 1024}) memory_latency(mib << 20);
  return 0;
}
