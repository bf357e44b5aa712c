#include "kasim/route.h"

namespace kasim {

Topology build_topology(const Scenario& s) {
  Topology topo(s.node_count());
  for (const LinkSpec& l : s.links) topo.add_link(s.node_index(l.a), s.node_index(l.b), l.delay);
  return topo;
}

std::optional<Route> connection_route(const Scenario& s, const ConnectionSpec& c) {
  return build_topology(s).shortest_route(c.client, c.server);
}

}  // namespace kasim
