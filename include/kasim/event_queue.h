// The event queue: a 4-ary min-heap of small plain events.
//
// Events are ordered by (time, insertion sequence), so events at the same
// instant run in the order they were scheduled and every run repeats exactly.
// Events carry no closures: a kind and two integers that the simulator
// dispatches on, so pushing and popping never allocates once the heap has
// grown (see ns-3's scheduler; unlike ns-3 the sequence is 64-bit and the
// queue is an object, not a global).
//
// Cancellation is by generation: a TimerSlot remembers the generation of its
// current event; older events of the slot are stale and are skipped without
// advancing time. TimerSlot::ensure only pushes when the new deadline is
// earlier than the pending event, so a timer pushed later than needed is
// re-armed when it fires (the way Linux's keepalive timer re-arms itself):
// re-arming to a later time costs nothing and leaves no garbage.
#pragma once

#include <cstdint>
#include <vector>

#include "kasim/time.h"

namespace kasim {

enum class EventKind : uint8_t {
  kPacketArrival,   // target: packet slot
  kEndpointTimer,   // target: endpoint index
  kMiddleboxTimer,  // target: middlebox index, aux: entry slot
  kAppAction,       // target: traffic-step index
  kFault,           // target: fault index
  kConnectionOpen,  // target: connection index
  kEndOfRun,
};

struct Event {
  Time at;
  uint64_t seq = 0;
  uint32_t target = 0;
  uint32_t aux = 0;
  uint32_t gen = 0;
  EventKind kind = EventKind::kEndOfRun;
};

class EventQueue {
 public:
  void push(Time at, EventKind kind, uint32_t target, uint32_t aux = 0, uint32_t gen = 0);
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // REQUIRES: !empty().
  const Event& top() const { return heap_.front(); }
  // REQUIRES: !empty(). Removes and returns the earliest event.
  Event pop();
  uint64_t pushed() const { return next_seq_; }
  size_t peak_size() const { return peak_; }
  void reserve(size_t n) { heap_.reserve(n); }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.at < b.at || (a.at == b.at && a.seq < b.seq);
  }
  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
  size_t peak_ = 0;
};

// One logical timer whose event may be pushed lazily (see above).
struct TimerSlot {
  Time scheduled = Time::never();  // time of the current pending event, never if none
  uint32_t gen = 0;

  // Makes sure an event fires at or before `deadline`. Pushes only when the
  // pending event (if any) is later than `deadline`.
  void ensure(EventQueue& q, Time deadline, EventKind kind, uint32_t target, uint32_t aux = 0) {
    if (deadline.is_never() || scheduled <= deadline) return;
    ++gen;
    scheduled = deadline;
    q.push(deadline, kind, target, aux, gen);
  }
  // True if `e` is this slot's current event; then the slot has no pending
  // event any more (the caller re-ensures if the timer is still wanted).
  bool take(const Event& e) {
    if (e.gen != gen) return false;
    scheduled = Time::never();
    return true;
  }
  void cancel() {
    ++gen;
    scheduled = Time::never();
  }
};

}  // namespace kasim
