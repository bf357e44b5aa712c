#include "kasim/event_queue.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "kasim/rng.h"

using namespace kasim;

TEST_CASE("events pop in time order, equal times in insertion order") {
  EventQueue q;
  q.push(Time::s(3), EventKind::kFault, 1);
  q.push(Time::s(1), EventKind::kFault, 2);
  q.push(Time::s(3), EventKind::kFault, 3);
  q.push(Time::s(1), EventKind::kFault, 4);
  q.push(Time::s(2), EventKind::kFault, 5);
  std::vector<uint32_t> order;
  while (!q.empty()) order.push_back(q.pop().target);
  CHECK(order == std::vector<uint32_t>{2, 4, 5, 1, 3});
}

TEST_CASE("a random workload pops sorted and FIFO among ties") {
  EventQueue q;
  Rng rng(42);
  // target = insertion index, so FIFO among ties means increasing targets.
  for (uint32_t i = 0; i < 5000; ++i) q.push(Time::ms(static_cast<int64_t>(rng.below(100))), EventKind::kFault, i);
  Event prev = q.pop();
  while (!q.empty()) {
    Event e = q.pop();
    CHECK((e.at > prev.at || (e.at == prev.at && e.target > prev.target)));
    prev = e;
  }
}

namespace {
// The reference: a multiset ordered by (time, insertion index).
struct Reference {
  std::set<std::pair<int64_t, uint32_t>> pending;
  void push(EventQueue& q, int64_t at, uint32_t id) {
    q.push(Time::ns(at), EventKind::kFault, id);
    pending.insert({at, id});
  }
  // Pops one event from both, checks they agree, returns its time.
  int64_t pop(EventQueue& q) {
    REQUIRE_FALSE(q.empty());
    Event e = q.pop();
    auto first = pending.begin();
    CHECK(e.at.count_ns() == first->first);
    CHECK(e.target == first->second);
    pending.erase(first);
    CHECK(q.size() == pending.size());
    return e.at.count_ns();
  }
};
}  // namespace

TEST_CASE("interleaved pushes and pops across every level match a reference, ties FIFO") {
  // Delays from 0 ns to 2^50 ns put events at every level of the radix heap,
  // and a coarse grid of times makes many ties that are pushed at different
  // moments, so equal times meet after arriving through different levels.
  EventQueue q;
  Reference ref;
  Rng rng(7);
  int64_t now = 0;
  uint32_t id = 0;
  for (int round = 0; round < 20000; ++round) {
    int pushes = static_cast<int>(rng.below(3));
    for (int i = 0; i < pushes; ++i) {
      int bits = static_cast<int>(rng.below(51));
      int64_t delay = static_cast<int64_t>(rng.below(uint64_t{1} << bits));
      if (rng.below(2) == 0) delay -= delay % 1'000'000;  // ties on a 1 ms grid
      ref.push(q, now + delay, id++);
    }
    if (!q.empty() && rng.below(5) < 4) now = ref.pop(q);  // later pushes: never in the past

  }
  while (!q.empty()) ref.pop(q);
  CHECK(ref.pending.empty());
}

TEST_CASE("an event pushed at the instant being popped runs after the others of that instant") {
  EventQueue q;
  for (uint32_t i = 0; i < 100; ++i) q.push(Time::s(5), EventKind::kFault, i);  // more than one block
  q.push(Time::s(6), EventKind::kFault, 1000);
  for (uint32_t i = 0; i < 50; ++i) CHECK(q.pop().target == i);
  q.push(Time::s(5), EventKind::kFault, 100);
  for (uint32_t i = 50; i <= 100; ++i) CHECK(q.pop().target == i);
  // The instant's slot is empty now; pushing at it again still works.
  q.push(Time::s(5), EventKind::kFault, 101);
  CHECK(q.pop().target == 101);
  CHECK(q.pop().target == 1000);
  CHECK(q.empty());
}

TEST_CASE("large time jumps and Time::never") {
  EventQueue q;
  q.push(Time::never(), EventKind::kEndOfRun, 3);
  q.push(Time::ns(1), EventKind::kFault, 1);
  q.push(Time::ns(int64_t{1} << 62), EventKind::kFault, 2);
  q.push(Time::never(), EventKind::kEndOfRun, 4);
  CHECK(q.pop().target == 1);
  Event far = q.pop();
  CHECK(far.target == 2);
  CHECK(far.at == Time::ns(int64_t{1} << 62));
  // From far in the future, another jump to the very end.
  q.push(Time::ns((int64_t{1} << 62) + 1), EventKind::kFault, 5);
  CHECK(q.pop().target == 5);
  Event end = q.pop();
  CHECK(end.at.is_never());
  CHECK(end.target == 3);
  CHECK(q.pop().target == 4);
  CHECK(q.empty());
}

TEST_CASE("a queue drained and refilled many times reuses its storage") {
  EventQueue q;
  Rng rng(3);
  int64_t now = 0;
  size_t storage = 0;
  for (int round = 0; round < 200; ++round) {
    if (round == 1) storage = q.storage_bytes();
    if (round > 1) CHECK(q.storage_bytes() == storage);  // freed blocks are taken again, none leak
    for (uint32_t i = 0; i < 1000; ++i)
      q.push(Time::ns(now + static_cast<int64_t>(rng.below(uint64_t{1} << 40))), EventKind::kFault, i);
    int64_t prev = now;
    while (!q.empty()) {
      Event e = q.pop();
      CHECK(e.at.count_ns() >= prev);
      prev = e.at.count_ns();
    }
    now = prev;
  }
  CHECK(storage > 0);
  CHECK(storage <= 1000 * 512);  // at worst a block per pending event (each in a slot of its own)
  CHECK(q.pushed() == 200'000);
  CHECK(q.peak_size() == 1000);
}

TEST_CASE("a timer slot pushes only when the deadline moves earlier") {
  EventQueue q;
  TimerSlot slot;
  slot.ensure(q, Time::s(10), EventKind::kEndpointTimer, 7);
  CHECK(q.size() == 1);
  // Later deadlines cost nothing: the pending event will re-arm.
  for (int i = 11; i < 1000; ++i) slot.ensure(q, Time::s(i), EventKind::kEndpointTimer, 7);
  CHECK(q.size() == 1);
  // An earlier deadline pushes a new event and makes the old one stale.
  slot.ensure(q, Time::s(5), EventKind::kEndpointTimer, 7);
  CHECK(q.size() == 2);
  Event first = q.pop();
  CHECK(first.at == Time::s(5));
  CHECK(slot.take(first));
  Event stale = q.pop();
  CHECK(stale.at == Time::s(10));
  CHECK_FALSE(slot.take(stale));
}

TEST_CASE("cancel makes the pending event stale") {
  EventQueue q;
  TimerSlot slot;
  slot.ensure(q, Time::s(1), EventKind::kEndpointTimer, 1);
  slot.cancel();
  CHECK_FALSE(slot.take(q.pop()));
  slot.ensure(q, Time::s(2), EventKind::kEndpointTimer, 1);
  CHECK(slot.take(q.pop()));
}

TEST_CASE("re-arming a million times leaves no garbage in the queue") {
  EventQueue q;
  TimerSlot slot;
  for (int i = 1; i <= 1'000'000; ++i) slot.ensure(q, Time::ms(1000 + i), EventKind::kEndpointTimer, 0);
  CHECK(q.size() == 1);
  CHECK(q.peak_size() == 1);
}

// The tests below check the sorted run (see EventQueue's private comment)
// against the reference: pop order must be exactly (time, push order).
namespace {
// A pending time of the reference at or after `now`, picked at random, so a
// push can tie with an event that is already in the run or in the heap.
int64_t pending_time_after(const Reference& ref, Rng& rng, int64_t now) {
  auto it = ref.pending.lower_bound({now + static_cast<int64_t>(rng.below(uint64_t{1} << 36)), 0});
  if (it == ref.pending.end()) it = ref.pending.lower_bound({now, 0});
  return it == ref.pending.end() ? now : it->first;
}
}  // namespace

TEST_CASE("hold-model workloads with ties against the run and the heap match a reference") {
  // Thousands of pending events up to 2^40 ns ahead fill level-3 slots with
  // dozens to hundreds of events, which become sorted runs; pushes land in
  // the run's range (small delays), at the instant being popped, and at
  // times already pending (in the run or in the heap).
  for (uint64_t seed : {1u, 2u, 3u}) {
    EventQueue q;
    Reference ref;
    Rng rng(seed);
    int64_t now = 0;
    uint32_t id = 0;
    for (int i = 0; i < 4000; ++i) ref.push(q, static_cast<int64_t>(rng.below(uint64_t{1} << 40)), id++);
    for (int round = 0; round < 40000; ++round) {
      int64_t at = now;
      switch (rng.below(6)) {
        case 0: at = now + static_cast<int64_t>(rng.below(uint64_t{1} << 40)); break;
        case 1: at = now + static_cast<int64_t>(rng.below(uint64_t{1} << (1 + rng.below(34)))); break;
        case 2: at = pending_time_after(ref, rng, now); break;
        case 3: at = now; break;
        case 4: at = now + static_cast<int64_t>(rng.below(uint64_t{1} << 40) >> 20 << 20); break;  // coarse grid
        default: at = now + static_cast<int64_t>(rng.below(64)); break;
      }
      ref.push(q, at, id++);
      if (rng.below(16) != 0) now = ref.pop(q);
    }
    while (!q.empty()) ref.pop(q);
    CHECK(ref.pending.empty());
  }
}

TEST_CASE("equal times straddling the run and the heap pop in push order") {
  // 200 events at 1 s and 200 at 1 s + 1 ns are pushed at level >= 1: the
  // first pop sorts them into a run. Pushes at those instants made while
  // the run is being read go to the heap and must come after the run's
  // events of the same instant, and before later instants.
  EventQueue q;
  Reference ref;
  uint32_t id = 0;
  const int64_t t = 1'000'000'000;
  for (int i = 0; i < 200; ++i) ref.push(q, t + (i % 2), id++);
  ref.push(q, t + 5000, id++);
  CHECK(ref.pop(q) == t);
  for (int i = 0; i < 50; ++i) {
    ref.push(q, t, id++);
    ref.push(q, t + 1, id++);
    ref.push(q, t + 2, id++);
    CHECK(ref.pop(q) == t);
  }
  while (!q.empty()) ref.pop(q);
}

TEST_CASE("huge equal-time groups pop in push order, with or without a run") {
  // 20,000 events at one instant fit a run (no sort pass: one instant);
  // 100,000 do not (the slot is spread instead). Both are mixed with
  // neighbours one nanosecond either side and with pushes at the instant
  // while it is being popped.
  for (int group : {20'000, 100'000}) {
    EventQueue q;
    Reference ref;
    Rng rng(static_cast<uint64_t>(group));
    uint32_t id = 0;
    const int64_t t = int64_t{5} << 33;
    ref.push(q, 1, id++);
    for (int i = 0; i < group; ++i) ref.push(q, t + (rng.below(100) == 0 ? static_cast<int64_t>(rng.below(3)) - 1 : 0), id++);
    int64_t now = 0;
    while (!q.empty()) {
      now = ref.pop(q);
      if (rng.below(50) == 0) ref.push(q, now, id++);
      if (rng.below(50) == 0) ref.push(q, t + 1, id++);
    }
    CHECK(ref.pending.empty());
  }
}

TEST_CASE("far-apart times and Time::never go through runs at the top levels") {
  // Times spread up to 2^62 ns put slots at levels 4 and 5 whose runs are
  // sorted on up to five digits; Time::never (and ties at it) must pop last,
  // in push order.
  EventQueue q;
  Reference ref;
  Rng rng(11);
  uint32_t id = 0;
  const int64_t never = Time::never().count_ns();
  for (int i = 0; i < 3000; ++i) {
    int bits = 40 + static_cast<int>(rng.below(23));
    int64_t at = rng.below(20) == 0 ? never : static_cast<int64_t>(rng.below(uint64_t{1} << bits));
    if (rng.below(4) == 0) at -= at % (int64_t{1} << 44);  // ties across the top digits
    ref.push(q, at, id++);
  }
  int64_t now = 0;
  for (int round = 0; round < 2500; ++round) {
    now = ref.pop(q);
    if (now == never) {
      ref.push(q, never, id++);
      continue;
    }
    int64_t room = never - now;
    int bits = static_cast<int>(rng.below(63));
    int64_t delay = static_cast<int64_t>(rng.below(uint64_t{1} << bits));
    ref.push(q, rng.below(10) == 0 || delay >= room ? never : now + delay, id++);
  }
  while (!q.empty()) ref.pop(q);
  CHECK(ref.pending.empty());
}

TEST_CASE("a sorted run's buffers count as storage, are reused, and stay small next to a huge slot") {
  // 5,000 events in one level-3 slot become one run, sorted through a second
  // buffer: both count, and a second identical round allocates nothing.
  EventQueue q;
  Rng rng(5);
  size_t first = 0;
  for (int round = 0; round < 2; ++round) {
    int64_t base = (int64_t{1} << 34) * (round + 1);
    for (uint32_t i = 0; i < 5000; ++i)
      q.push(Time::ns(base + static_cast<int64_t>(rng.below(uint64_t{1} << 33))), EventKind::kFault, i);
    int64_t prev = 0;
    while (!q.empty()) {
      int64_t at = q.pop().at.count_ns();
      CHECK(at >= prev);
      prev = at;
    }
    if (round == 0) first = q.storage_bytes();
  }
  CHECK(q.storage_bytes() == first);
  CHECK(first >= 3 * 5000 * sizeof(Event));  // blocks alone are about 25 bytes an event

  // A slot of 200,000 events at one instant is spread, not copied whole into
  // a run: popping grows storage by far less than the slot's size.
  EventQueue big;
  for (uint32_t i = 0; i < 200'000; ++i) big.push(Time::s(100), EventKind::kFault, i);
  big.push(Time::ns(1), EventKind::kFault, 200'000);
  size_t pushed = big.storage_bytes();
  CHECK(big.pop().target == 200'000);
  for (uint32_t i = 0; i < 200'000; ++i) REQUIRE(big.pop().target == i);
  CHECK(big.storage_bytes() - pushed < 200'000 * sizeof(Event) / 2);
}
