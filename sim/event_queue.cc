#include "kasim/event_queue.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace kasim {

namespace {
// Moves whole 24-byte events: a member-wise copy moves 21 bytes in two
// overlapping pieces, and reading such a copy back soon after stalls (the
// store cannot be forwarded to the load).
inline void move_event(Event* to, const Event* from) { std::memcpy(static_cast<void*>(to), from, sizeof(Event)); }
}  // namespace

EventQueue::EventQueue()
    : slots_(std::make_unique<Slot[]>(static_cast<size_t>(kLevels) * kSlots)),
      occupied_(std::make_unique<uint64_t[]>(static_cast<size_t>(kLevels) * kWords)) {}

EventQueue::~EventQueue() = default;

void EventQueue::grow_pool(size_t blocks) {
  // Chunks of 2 MB and more are aligned to 2 MB and offered huge pages: a
  // big queue's blocks are spread over tens of MB and touched at random, and
  // with 4 KB pages most touches would also miss the TLB.
  constexpr size_t kHuge = size_t{2} << 20;
  size_t bytes = blocks * sizeof(Block);
  size_t align = bytes >= kHuge ? kHuge : kBlockBytes;
  bytes = (bytes + align - 1) / align * align;
  void* mem = std::aligned_alloc(align, bytes);
  if (mem == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (align == kHuge) madvise(mem, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
  blocks = bytes / sizeof(Block);
  chunks_.emplace_back(static_cast<Block*>(mem));
  Block* c = chunks_.back().get();
  blocks_allocated_ += blocks;
  free_.reserve(blocks_allocated_);
  // Stacked in reverse so the chunk's blocks are taken in address order.
  for (size_t i = blocks; i-- > 0;) give_block(&c[i]);
}

EventQueue::Block* EventQueue::take_block() {
  if (free_.empty()) {
    // Chunks grow with the queue (8 blocks at first, at most 2 MB at a
    // time), so a small run allocates little and a fleet few times.
    size_t n = blocks_allocated_ < 8 ? 8 : blocks_allocated_;
    grow_pool(n < 4096 ? n : 4096);
  }
  Block* b = free_.back();
  free_.pop_back();
  b->next = nullptr;
  return b;
}

void EventQueue::reserve(size_t n) {
  size_t want = n / kBlockEvents + 1;
  if (want > blocks_allocated_) grow_pool(want - blocks_allocated_);
}

void EventQueue::mark(int level, uint32_t d) {
  uint64_t& word = occupied_[static_cast<size_t>(level) * kWords + d / 64];
  word |= uint64_t{1} << (d % 64);
  summary_[level] |= uint64_t{1} << (d / 64);
  levels_ |= 1u << level;
}

void EventQueue::unmark(int level, uint32_t d) {
  uint64_t& word = occupied_[static_cast<size_t>(level) * kWords + d / 64];
  word &= ~(uint64_t{1} << (d % 64));
  if (word != 0) return;
  summary_[level] &= ~(uint64_t{1} << (d / 64));
  if (summary_[level] == 0) levels_ &= ~(1u << level);
}

uint32_t EventQueue::first_slot(int level) const {
  // Every occupied slot of a level lies at or after last_'s digit there, so
  // the first occupied slot is the next one.
  uint32_t w = static_cast<uint32_t>(__builtin_ctzll(summary_[level]));
  return w * 64 + static_cast<uint32_t>(__builtin_ctzll(occupied_[static_cast<size_t>(level) * kWords + w]));
}

void EventQueue::put(const Event& e) {
  uint64_t k = key_of(e);
  int level = level_of(k);
  uint32_t d = digit(k, level);
  Slot& s = slot(level, d);
  if (full(s.tail)) {  // also true for an empty slot (tail null)
    Block* b = take_block();
    if (s.head == nullptr) {
      s.head = b;
      s.min = k;
      mark(level, d);
    } else {
      block_of(s.tail)->next = b;
    }
    s.tail = b->ev;
  }
  *s.tail++ = e;
  if (k < s.min) s.min = k;
}

void EventQueue::push(Time at, EventKind kind, uint32_t target, uint32_t aux, uint32_t gen) {
  assert(static_cast<uint64_t>(at.count_ns()) >= last_ && "events are never scheduled in the past");
  put(Event{at, target, aux, gen, kind});
  ++pushed_;
  if (++size_ > peak_) peak_ = size_;
}

Event EventQueue::pop() {
  assert(size_ > 0);
  --size_;
  while (true) {
    uint32_t cur = digit(last_, 0);
    Slot& s = slot(0, cur);
    if (s.head != nullptr) {
      bool last_block = block_of(s.tail) == s.head;
      uint32_t end = last_block ? static_cast<uint32_t>(s.tail - s.head->ev) : kBlockEvents;
      if (head_ < end) {
        // The heap's minimum is last_; the run can only tie it, and wins.
        if (!run_empty() && key_of(run_[run_head_]) == last_) return take_run();
        return s.head->ev[head_++];
      }
      Block* done = s.head;
      head_ = 0;
      if (!last_block) {
        s.head = done->next;
        give_block(done);
        continue;
      }
      give_block(done);
      s = Slot{};
      unmark(0, cur);
    }
    // The current level-0 slot is empty and released (head_ is 0), so last_
    // may move.
    if (levels_ == 0) {
      assert(!run_empty());
      Event e = take_run();
      last_ = key_of(e);
      return e;
    }
    int level = __builtin_ctz(levels_);
    uint32_t d = first_slot(level);
    if (level == 0) {
      uint64_t k = (last_ & ~uint64_t{kSlots - 1}) | d;
      if (!run_empty() && key_of(run_[run_head_]) <= k) {
        // At or before every event of the heap, and in last_'s level-0
        // range (it lies between last_ and k): last_ may move there.
        Event e = take_run();
        last_ = key_of(e);
        return e;
      }
      last_ = k;
      continue;
    }
    Slot& first = slot(level, d);
    if (!run_empty() && key_of(run_[run_head_]) <= first.min) {
      Event e = take_run();
      // Moving last_ to e's time keeps every heap event where it is unless
      // e lies in the range of this first slot (it lies between last_ and
      // the slot, so it can enter no other occupied slot).
      if (digit(key_of(e), level) != d) last_ = key_of(e);
      return e;
    }
    Slot from = first;
    first = Slot{};
    unmark(level, d);
    prefetch_next(level, d);
    if (from.tail == from.head->ev + 1) {
      // A slot of one event (the usual case in the lower levels of a big
      // queue): it is the earliest of all, and moving it to level 0 first
      // would only cost a block and two bitmap updates.
      Event e = from.head->ev[0];
      give_block(from.head);
      last_ = key_of(e);
      return e;
    }
    last_ = from.min;
    if (run_empty()) {
      fill_run(from.head, from.tail);
    } else {
      spread(from.head, from.tail);
    }
  }
}

void EventQueue::spread(Block* b, Event* tail) {
  while (b != nullptr) {
    Block* next = b->next;
    if (next != nullptr) prefetch_block(next);
    // Copy the events out and free the block first: the puts below then
    // take this block, still in cache, instead of a cold one.
    // (Raw bytes: an Event array would be zeroed first.)
    alignas(Event) unsigned char buf[sizeof(Event) * kBlockEvents];
    uint32_t n = next == nullptr ? static_cast<uint32_t>(tail - b->ev) : kBlockEvents;
    std::memcpy(buf, b->ev, n * sizeof(Event));
    give_block(b);
    for (uint32_t i = 0; i < n; ++i) {
      Event e;
      std::memcpy(&e, buf + i * sizeof(Event), sizeof(Event));
      put(e);
    }
    b = next;
  }
}

void EventQueue::fill_run(Block* head, Event* tail) {
  // size_ no longer counts the event being popped; close enough for a cap.
  size_t cap = std::max(kRunCap, size_ / 16);
  size_t n = 0;
  uint64_t first_key = key_of(head->ev[0]);
  uint64_t differing = 0;  // bits in which some key differs from the first
  for (Block* b = head; b != nullptr;) {
    Block* next = b->next;
    if (next != nullptr) prefetch_block(next);
    size_t m = next == nullptr ? static_cast<size_t>(tail - b->ev) : kBlockEvents;
    if (n + m > cap) {
      // Too big for a run: spread it all, the events already copied first
      // (they were pushed first).
      for (size_t i = 0; i < n; ++i) put(run_[i]);
      spread(b, tail);
      return;
    }
    if (n + m > run_.size()) {
      size_t want = std::max(kRunMinCapacity, run_.size() * 2);
      while (want < n + m) want *= 2;
      run_.resize(want);
      // The sort's buffer grows with the run, so storage settles as soon
      // as the biggest run has been seen, sorted or not.
      scratch_.resize(want);
    }
    std::memcpy(static_cast<void*>(&run_[n]), b->ev, m * sizeof(Event));
    for (size_t i = 0; i < m; ++i) differing |= key_of(b->ev[i]) ^ first_key;
    give_block(b);
    n += m;
    b = next;
  }
  run_head_ = 0;
  run_end_ = n;
  sort_run(n, differing);
}

void EventQueue::sort_run(size_t n, uint64_t differing) {
  if (differing == 0) return;  // one instant: already in push order
  Event* a = run_.data();
  if (n <= kInsertionSortMax) {
    for (size_t i = 1; i < n; ++i) {
      uint64_t k = key_of(a[i]);
      if (key_of(a[i - 1]) <= k) continue;
      Event e;
      move_event(&e, &a[i]);
      size_t j = i;
      for (; j > 0 && key_of(a[j - 1]) > k; --j) move_event(&a[j], &a[j - 1]);  // strict: stable
      move_event(&a[j], &e);
    }
    return;
  }
  assert(scratch_.size() >= n);
  if (!counts_) counts_ = std::make_unique<uint32_t[]>(static_cast<size_t>(kLevels) * kSlots);
  int passes[kLevels];
  int np = 0;
  for (int p = 0; p < kLevels; ++p)
    if (digit(differing, p) != 0) passes[np++] = p;
  // First try one stable counting pass on the highest digit in which keys
  // differ, then insertion sort: when that digit leaves few keys per bucket
  // (a slot's events spread over its range, the usual case), the result is
  // nearly sorted and the insertion sort costs about n. Its cost is bounded
  // by the pairs sharing a bucket; when there are too many, the counting
  // pass is thrown away and every digit gets a pass.
  {
    uint32_t* c = &counts_[0];
    std::fill(c, c + kSlots, 0u);
    int p = passes[np - 1];
    for (size_t j = 0; j < n; ++j) ++c[digit(key_of(a[j]), p)];
    uint64_t pairs = 0;
    uint32_t sum = 0;
    for (uint32_t d = 0; d < kSlots; ++d) {
      uint32_t t = c[d];
      pairs += uint64_t{t} * (t - (t != 0));
      c[d] = sum;
      sum += t;
    }
    if (np == 1 || pairs <= 2 * n) {
      Event* b = scratch_.data();
      for (size_t j = 0; j < n; ++j) move_event(&b[c[digit(key_of(a[j]), p)]++], &a[j]);
      if (np > 1) {
        for (size_t i = 1; i < n; ++i) {
          uint64_t k = key_of(b[i]);
          if (key_of(b[i - 1]) <= k) continue;  // the usual case: in place
          Event e;
          move_event(&e, &b[i]);
          size_t j = i;
          for (; j > 0 && key_of(b[j - 1]) > k; --j) move_event(&b[j], &b[j - 1]);  // strict: stable
          move_event(&b[j], &e);
        }
      }
      run_.swap(scratch_);
      return;
    }
  }
  // LSD radix sort, one pass per kBits-bit digit in which keys differ. Each
  // pass is stable, so the final order is by key, then by push order.
  for (int i = 0; i < np; ++i) {
    uint32_t* c = &counts_[static_cast<size_t>(i) * kSlots];
    std::fill(c, c + kSlots, 0u);
    int p = passes[i];
    for (size_t j = 0; j < n; ++j) ++c[digit(key_of(a[j]), p)];
  }
  Event* src = a;
  Event* dst = scratch_.data();
  for (int i = 0; i < np; ++i) {
    uint32_t* c = &counts_[static_cast<size_t>(i) * kSlots];
    uint32_t sum = 0;
    for (uint32_t d = 0; d < kSlots; ++d) {
      uint32_t t = c[d];
      c[d] = sum;
      sum += t;
    }
    int p = passes[i];
    for (size_t j = 0; j < n; ++j) move_event(&dst[c[digit(key_of(src[j]), p)]++], &src[j]);
    std::swap(src, dst);
  }
  if (src != a) run_.swap(scratch_);
}

void EventQueue::prefetch_next(int level, uint32_t d) const {
  // The slot spread after this one is usually the next occupied one of the
  // same level; its first block was written long ago and is likely out of
  // cache. Asking for it now overlaps the miss with this spread and with
  // whatever the caller does with the events.
  const uint64_t* words = &occupied_[static_cast<size_t>(level) * kWords];
  uint32_t w = d / 64;
  uint64_t bits = (d % 64 == 63) ? 0 : words[w] & (~uint64_t{0} << (d % 64 + 1));
  if (bits == 0) {
    uint64_t rest = (w == 63) ? 0 : summary_[level] & (~uint64_t{0} << (w + 1));
    if (rest == 0) return;
    w = static_cast<uint32_t>(__builtin_ctzll(rest));
    bits = words[w];
  }
  const Slot& next = slots_[static_cast<size_t>(level) * kSlots + w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits))];
  __builtin_prefetch(next.head);
}

}  // namespace kasim
