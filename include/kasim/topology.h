// The network graph: nodes (hosts and middleboxes) joined by links with a
// one-way delay. Routes are shortest paths by total delay (Dijkstra, from
// Boost.Graph); they are computed once per connection, never per packet.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "kasim/time.h"

namespace kasim {

struct Route {
  std::vector<size_t> nodes;  // from source to destination, inclusive
  std::vector<size_t> links;  // links[i] joins nodes[i] and nodes[i+1]
  Time delay;                 // sum of the links' delays
};

class Topology {
 public:
  explicit Topology(size_t node_count);
  // Adds an undirected link; returns its index. Duplicates are the caller's
  // business (the scenario loader rejects them).
  size_t add_link(size_t a, size_t b, Time delay);
  size_t node_count() const { return node_count_; }
  size_t link_count() const { return ends_.size(); }
  // The shortest route by delay; ties are broken by Boost's deterministic
  // visiting order. nullopt if `to` is unreachable from `from`.
  std::optional<Route> shortest_route(size_t from, size_t to) const;

 private:
  size_t node_count_;
  struct Ends { size_t a, b; Time delay; };
  std::vector<Ends> ends_;
};

}  // namespace kasim
