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
