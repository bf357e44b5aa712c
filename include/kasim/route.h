// The route a scenario's connection takes, computed exactly as the simulator
// computes it (one graph of hosts and middleboxes, shortest by delay), for
// code that reasons about a path without running it (`kasim tune`).
#pragma once

#include <optional>

#include "kasim/scenario.h"
#include "kasim/topology.h"

namespace kasim {

// The scenario's graph: node numbering as Scenario::node_index(), link i is
// Scenario::links[i].
Topology build_topology(const Scenario& s);
// The route from the connection's client to its server; nullopt if
// unreachable (a validated scenario never is).
std::optional<Route> connection_route(const Scenario& s, const ConnectionSpec& c);

}  // namespace kasim
