// The event queue: a monotone priority queue of small plain events.
//
// Events are ordered by (time, insertion order), so events at the same
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

#include <algorithm>
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
  kSample,          // periodic occupancy / load sample
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
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // REQUIRES: !empty(). Removes and returns the earliest event.
  Event pop();
  uint64_t pushed() const { return next_seq_; }
  size_t peak_size() const { return peak_; }
  void reserve(size_t) {}

 private:
  // A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990) with 8-bit digits,
  // keyed by time: in effect a hierarchical timing wheel that is exact to the
  // nanosecond. The popped time `last_` never decreases. An event lives at
  // level L = index of the highest 8-bit digit in which its time differs from
  // last_ (level 0 if equal), in the slot given by its own digit L. Level-0
  // slots therefore hold exactly one time each. Popping takes the first
  // non-empty slot of the lowest non-empty level (bitmaps make that a few
  // instructions); a level-L slot is spread over lower levels first. Each
  // event moves at most 7 times in its life. Events with equal times always
  // share a slot, in insertion order (pushes append, spreading keeps order),
  // which gives FIFO among equal times without comparing sequence numbers.
  static constexpr int kLevels = 8;
  static constexpr int kSlots = 256;
  static uint64_t key_of(const Event& e) { return static_cast<uint64_t>(e.at.count_ns()); }
  int level_of(uint64_t k) const { return k == last_ ? 0 : (63 - __builtin_clzll(k ^ last_)) / 8; }
  static int digit(uint64_t k, int level) { return static_cast<int>((k >> (8 * level)) & 255); }
  void put(const Event& e);
  // First occupied slot of `level` with index > `after` (-1: none).
  int next_slot(int level, int after) const;
  std::vector<Event> slots_[kLevels][kSlots];
  uint64_t occupied_[kLevels][kSlots / 64] = {};
  uint64_t last_ = 0;
  size_t head_ = 0;  // how much of the current level-0 slot has been popped
  size_t size_ = 0;
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
