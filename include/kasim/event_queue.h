// The event queue: a monotone priority queue of small plain events.
//
// Events are ordered by (time, insertion order), so events at the same
// instant run in the order they were scheduled and every run repeats exactly.
// Events carry no closures: a kind and two integers that the simulator
// dispatches on, so pushing and popping never allocates once the heap has
// grown (see ns-3's scheduler; unlike ns-3 the queue is an object, not a
// global, and the insertion order is kept by the structure, not stored).
//
// Cancellation is by generation: a TimerSlot remembers the generation of its
// current event; older events of the slot are stale and are skipped without
// advancing time. TimerSlot::ensure only pushes when the new deadline is
// earlier than the pending event, so a timer pushed later than needed is
// re-armed when it fires (the way Linux's keepalive timer re-arms itself):
// re-arming to a later time costs nothing and leaves no garbage.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
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

// 24 bytes: the queue moves each event a few times (see EventQueue), so its
// size is most of the queue's memory traffic. No sequence number is stored:
// FIFO among equal times follows from where events are kept (see below).
struct Event {
  Time at;
  uint32_t target = 0;
  uint32_t aux = 0;
  uint32_t gen = 0;
  EventKind kind = EventKind::kEndOfRun;
};
static_assert(sizeof(Event) == 24, "Event is copied several times per push; keep it small");

class EventQueue {
 public:
  EventQueue();
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // REQUIRES: at >= the time of the last popped event (never in the past).
  // Time::never() is a valid time (it pops last).
  void push(Time at, EventKind kind, uint32_t target, uint32_t aux = 0, uint32_t gen = 0);
  bool empty() const { return size_ == 0; }
  // Pending events, stale ones (see TimerSlot) included.
  size_t size() const { return size_; }
  // REQUIRES: !empty(). Removes and returns the earliest event; among events
  // of equal time, the one pushed first.
  Event pop();
  // Events pushed so far.
  uint64_t pushed() const { return pushed_; }
  size_t peak_size() const { return peak_; }
  // Bytes of event storage held (blocks in use or free for reuse, and the
  // sorted run's two buffers): grows to about the peak number of pending
  // events times 24.4 bytes plus one partly filled block per occupied slot,
  // plus twice the largest run formed (at least 2 x 1024 events; see below),
  // and is kept until destruction.
  size_t storage_bytes() const {
    return blocks_allocated_ * sizeof(Block) + (run_.size() + scratch_.size()) * sizeof(Event);
  }
  // Makes room for `n` pending events, so pushes do not allocate (a hint).
  void reserve(size_t n);

 private:
  // Two parts: a radix heap that takes every push, and a sorted run that
  // pop fills from it, one slot at a time.
  //
  // The radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990) has kBits-bit
  // digits and is keyed by time: in effect a hierarchical timing wheel that
  // is exact to the nanosecond. Its base `last_` never decreases and is at
  // most every pending time. An event lives at level L = index of the
  // highest digit in which its time differs from last_ (level 0 if equal),
  // in the slot given by its own digit L. Level-0 slots therefore hold
  // exactly one time each, and every event of a level is earlier than every
  // event of the levels above it. The heap's minimum is found in the first
  // occupied slot of the lowest occupied level (two-level bitmaps make that
  // a few instructions); a slot of level >= 1 keeps its minimum as events
  // arrive. To pop from a level-L slot of several events, it is spread over
  // the levels below, with last_ set to the slot's minimum. Events with
  // equal times always share a slot, in insertion order (pushes append,
  // spreading keeps order), which gives FIFO among equal times without
  // comparing sequence numbers.
  //
  // The sorted run: spreading a big slot gives each event a block of its own
  // at the level below (at a million pending events, two hours ahead, a
  // level-3 slot of 8.6 s holds ~1,200 events and a level-2 slot of 4 ms
  // less than one), and the events are written and read back through cold
  // memory. So when pop would spread a slot and the run is empty, the slot's
  // events are instead copied into one contiguous buffer (`run_`) and
  // sorted stably by time (an LSD radix sort on the digits in which the
  // keys differ, none for an instant's worth of events; insertion sort when
  // few), and pop reads them in order. The slot was the lowest occupied one,
  // so the run holds every pending event of its time range; later pushes
  // into that range go to the radix heap (they are at or after the popped
  // time, hence at or after last_). Pop takes the earlier of the run's head
  // and the heap's minimum, the run on a tie: the run's events were pushed
  // before any event the heap holds in the run's range, so FIFO among equal
  // times still holds exactly. Popping from the run advances last_ to the
  // popped time unless that time falls inside the heap's first occupied
  // slot (whose events would then belong lower); the heap stays valid
  // either way. While the run is not empty, slots are spread as above.
  // A slot bigger than max(kRunCap, pending / 16) events is spread instead,
  // so the run (and the sort's second buffer) stays small next to the
  // blocks.
  //
  // Each event moves once per level it passes through, so wide digits mean
  // few moves: with 11 bits an event due in 2 hours (2^43 ns) is pushed at
  // level 3, and its slot is sorted into a run: two moves plus the sort's.
  // The cost of wide digits is a bigger slot table (6 x 2048 slots, 288 KiB).
  //
  // A slot is a singly linked list of fixed-size blocks taken from a free
  // stack (an array of pointers: taking a block does not read the block):
  // appending never reallocates or copies, a spread slot gives each block
  // back as soon as it is read (so a spread never doubles memory), and the
  // block just freed is the next one taken, while still in cache.
  static constexpr int kBits = 11;
  static constexpr int kLevels = (64 + kBits - 1) / kBits;
  static constexpr uint32_t kSlots = 1u << kBits;
  static constexpr uint32_t kWords = kSlots / 64;  // bitmap words per level
  static_assert(kWords >= 1 && kWords <= 64, "one summary word per level");
  static constexpr size_t kBlockBytes = 512;
  static constexpr uint32_t kBlockEvents = (kBlockBytes - sizeof(void*)) / sizeof(Event);  // 21
  // Runs of up to this many events are always allowed (768 KiB a buffer).
  static constexpr size_t kRunCap = size_t{1} << 15;
  // The run buffers never shrink below this, so small queues settle at once.
  static constexpr size_t kRunMinCapacity = 1024;
  // Runs this short are sorted by insertion.
  static constexpr size_t kInsertionSortMax = 32;
  // Blocks are aligned to their size, so a slot's append position tells
  // both its block and whether the block is full (it points at the end).
  struct alignas(kBlockBytes) Block {
    Block* next;
    Event ev[kBlockEvents];
  };
  struct Slot {
    Block* head;    // null: the slot is empty
    Event* tail;    // where the next event goes, in the last block
    uint64_t min;   // least key in the slot (not kept at level 0)
  };
  static bool full(const Event* tail) {
    return (reinterpret_cast<uintptr_t>(tail) - offsetof(Block, ev)) % kBlockBytes ==
           kBlockEvents * sizeof(Event) % kBlockBytes;
  }
  // Starts loading all of block `b` (the next one of a list being read).
  static void prefetch_block(const Block* b) {
    for (size_t off = 0; off < kBlockBytes; off += 64) __builtin_prefetch(reinterpret_cast<const char*>(b) + off);
  }
  static Block* block_of(const Event* tail) {  // REQUIRES: tail after the block's first event
    return reinterpret_cast<Block*>((reinterpret_cast<uintptr_t>(tail) - 1) & ~uintptr_t{kBlockBytes - 1});
  }
  static uint64_t key_of(const Event& e) { return static_cast<uint64_t>(e.at.count_ns()); }
  // (`| 1` maps equal keys to bit 0, that is level 0, without a branch.)
  int level_of(uint64_t k) const { return (63 - __builtin_clzll((k ^ last_) | 1)) / kBits; }
  static uint32_t digit(uint64_t k, int level) { return static_cast<uint32_t>(k >> (kBits * level)) & (kSlots - 1); }
  Slot& slot(int level, uint32_t d) { return slots_[static_cast<size_t>(level) * kSlots + d]; }
  void put(const Event& e);
  void mark(int level, uint32_t d);
  void unmark(int level, uint32_t d);
  // First occupied slot of `level`. REQUIRES: the level is not empty.
  uint32_t first_slot(int level) const;
  // Starts loading the first block of the next occupied slot after `d`.
  void prefetch_next(int level, uint32_t d) const;
  // Puts the events of the block list from `b` (the last block ending at
  // `tail`) back in, relative to last_, freeing each block as it is read.
  void spread(Block* b, Event* tail);
  // Moves the events of the block list from `head` into the run and sorts
  // it; or, when there are too many, spreads them. REQUIRES: the run is
  // empty, last_ is the slot's minimum.
  void fill_run(Block* head, Event* tail);
  void sort_run(size_t n, uint64_t differing_bits);
  bool run_empty() const { return run_head_ == run_end_; }
  Event take_run() {
    Event e;
    std::memcpy(static_cast<void*>(&e), &run_[run_head_++], sizeof(Event));  // whole: see move_event
    if (run_head_ == run_end_) run_head_ = run_end_ = 0;
    return e;
  }
  Block* take_block();
  void give_block(Block* b) { free_.push_back(b); }  // never reallocates: capacity is reserved
  void grow_pool(size_t blocks);

  std::unique_ptr<Slot[]> slots_;        // kLevels * kSlots, all zero when empty
  std::unique_ptr<uint64_t[]> occupied_;  // kLevels * kWords: bit per occupied slot
  uint64_t summary_[kLevels] = {};        // bit w: occupied_ word w of the level is not zero
  uint32_t levels_ = 0;                   // bit L: level L has an occupied slot
  uint64_t last_ = 0;
  uint32_t head_ = 0;  // events of the current level-0 slot's head block already popped
  size_t size_ = 0;
  uint64_t pushed_ = 0;
  size_t peak_ = 0;
  // The run: run_[run_head_, run_end_) in pop order. Both buffers keep their
  // size (their capacity in events) and only grow, so filling them does not
  // construct events.
  std::vector<Event> run_;
  std::vector<Event> scratch_;  // the radix sort's other buffer
  size_t run_head_ = 0;
  size_t run_end_ = 0;
  std::unique_ptr<uint32_t[]> counts_;  // radix sort histograms, kLevels * kSlots, made on first use
  std::vector<Block*> free_;
  struct FreeChunk {
    void operator()(Block* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<Block[], FreeChunk>> chunks_;
  size_t blocks_allocated_ = 0;
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
