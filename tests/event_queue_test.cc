#include "kasim/event_queue.h"

#include <algorithm>
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
  for (uint32_t i = 0; i < 5000; ++i) q.push(Time::ms(static_cast<int64_t>(rng.below(100))), EventKind::kFault, i);
  Event prev = q.pop();
  while (!q.empty()) {
    Event e = q.pop();
    CHECK((e.at > prev.at || (e.at == prev.at && e.seq > prev.seq)));
    prev = e;
  }
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
