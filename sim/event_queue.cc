#include "kasim/event_queue.h"

#include <cassert>
#include <utility>

namespace kasim {

void EventQueue::push(Time at, EventKind kind, uint32_t target, uint32_t aux, uint32_t gen) {
  Event e{at, next_seq_++, target, aux, gen, kind};
  size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
  if (heap_.size() > peak_) peak_ = heap_.size();
}

Event EventQueue::pop() {
  assert(!heap_.empty());
  Event out = heap_.front();
  Event last = heap_.back();
  heap_.pop_back();
  size_t n = heap_.size();
  if (n == 0) return out;
  size_t i = 0;
  while (true) {
    size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    size_t end = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < end; ++c)
      if (before(heap_[c], heap_[best])) best = c;
    if (!before(heap_[best], last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
  return out;
}

}  // namespace kasim
