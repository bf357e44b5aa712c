#include "kasim/topology.h"

#include <algorithm>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

namespace kasim {

Topology::Topology(size_t node_count) : node_count_(node_count) {}

size_t Topology::add_link(size_t a, size_t b, Time delay) {
  ends_.push_back({a, b, delay});
  return ends_.size() - 1;
}

std::optional<Route> Topology::shortest_route(size_t from, size_t to) const {
  using EdgeProps = boost::property<boost::edge_weight_t, int64_t, boost::property<boost::edge_index_t, size_t>>;
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property, EdgeProps>;
  Graph g(node_count_);
  for (size_t i = 0; i < ends_.size(); ++i)
    boost::add_edge(ends_[i].a, ends_[i].b, EdgeProps(ends_[i].delay.count_ns(), i), g);

  std::vector<Graph::vertex_descriptor> pred(node_count_);
  std::vector<int64_t> dist(node_count_);
  boost::dijkstra_shortest_paths(
      g, from,
      boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), boost::get(boost::vertex_index, g)))
          .distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g)))
          .distance_inf(INT64_MAX));
  if (from != to && pred[to] == to) return std::nullopt;

  Route r;
  for (size_t v = to;; v = pred[v]) {
    r.nodes.push_back(v);
    if (v == from) break;
  }
  std::reverse(r.nodes.begin(), r.nodes.end());
  auto index = boost::get(boost::edge_index, g);
  for (size_t i = 0; i + 1 < r.nodes.size(); ++i) {
    // The cheapest of possibly parallel links between the two nodes.
    std::optional<size_t> best;
    for (auto [e, end] = boost::out_edges(r.nodes[i], g); e != end; ++e) {
      if (boost::target(*e, g) != r.nodes[i + 1]) continue;
      size_t li = index[*e];
      if (!best || ends_[li].delay < ends_[*best].delay) best = li;
    }
    r.links.push_back(*best);
    r.delay += ends_[*best].delay;
  }
  return r;
}

}  // namespace kasim
