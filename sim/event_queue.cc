#include "kasim/event_queue.h"

#include <cassert>

namespace kasim {

void EventQueue::put(const Event& e) {
  uint64_t k = key_of(e);
  int level = level_of(k);
  int slot = digit(k, level);
  slots_[level][slot].push_back(e);
  occupied_[level][slot / 64] |= uint64_t{1} << (slot % 64);
}

void EventQueue::push(Time at, EventKind kind, uint32_t target, uint32_t aux, uint32_t gen) {
  assert(static_cast<uint64_t>(at.count_ns()) >= last_ && "events are never scheduled in the past");
  put(Event{at, next_seq_++, target, aux, gen, kind});
  if (++size_ > peak_) peak_ = size_;
}

int EventQueue::next_slot(int level, int after) const {
  for (int w = (after + 1) / 64; w < kSlots / 64; ++w) {
    uint64_t bits = occupied_[level][w];
    if (w == (after + 1) / 64) {
      int shift = (after + 1) % 64;
      bits = shift == 0 ? bits : bits & (~uint64_t{0} << shift);
    }
    if (bits != 0) return w * 64 + __builtin_ctzll(bits);
  }
  return -1;
}

Event EventQueue::pop() {
  assert(size_ > 0);
  while (true) {
    int cur = digit(last_, 0);
    std::vector<Event>& slot = slots_[0][cur];
    if (head_ < slot.size()) {
      --size_;
      return slot[head_++];
    }
    if (slot.capacity() > 256) std::vector<Event>().swap(slot);
    else slot.clear();
    head_ = 0;
    occupied_[0][cur / 64] &= ~(uint64_t{1} << (cur % 64));
    int next = next_slot(0, cur);
    if (next >= 0) {
      last_ = (last_ & ~uint64_t{255}) | static_cast<uint64_t>(next);
      continue;
    }
    for (int level = 1; level < kLevels; ++level) {
      int s = next_slot(level, digit(last_, level));
      if (s < 0) continue;
      std::vector<Event> spread;
      spread.swap(slots_[level][s]);
      occupied_[level][s / 64] &= ~(uint64_t{1} << (s % 64));
      uint64_t min = key_of(spread[0]);
      for (const Event& e : spread) min = std::min(min, key_of(e));
      last_ = min;
      for (const Event& e : spread) put(e);
      // Keep a small buffer for reuse; give big ones back, or every slot
      // would keep the largest batch it ever held (tens of MB in a fleet).
      if (spread.capacity() <= 256) {
        spread.clear();
        slots_[level][s].swap(spread);
      }
      break;
    }
  }
}

}  // namespace kasim
