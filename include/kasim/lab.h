// `kasim lab`: comparing a packet trace captured on a real Linux kernel with
// kasim's prediction of the same scenario.
//
// tools/lab/lab.py re-enacts the scenario in network namespaces and reports
// every TCP packet tcpdump saw at each node (sent or received, with the
// capture time) and what each application saw. This unit turns those raw
// captures into records shaped like the simulator's TraceRecords and pairs
// them with the prediction. It is pure: no I/O, no processes, so the pairing
// rules are unit-tested without root.
//
// Real ISNs are random, so sequence and acknowledgement numbers are compared
// relative to the ISN of the side that chose them (each trace's own SYN and
// SYN-ACK). Windows and TCP options are not compared (kasim does not model
// window scaling or options).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kasim/firewall.h"
#include "kasim/scenario.h"
#include "kasim/segment.h"
#include "kasim/time.h"
#include "kasim/trace.h"

namespace kasim {

// One packet as tcpdump (-i any) saw it in one node's namespace.
struct CapturedPacket {
  Time t;              // model time: real time minus the run's anchor
  uint32_t node = 0;   // scenario node index
  bool outgoing = false;  // sent from this namespace (pkttype OUTGOING) or received
  Segment seg;
};

// A packet of a capture or of the prediction, in the simulator's terms.
struct LabRecord {
  Time t;
  uint32_t node = 0;
  uint32_t conn = 0;
  CaptureDir dir = CaptureDir::kOut;
  Segment seg;
  std::string note;    // predicted records: why the packet exists / what happened to it
};

// Turns raw captures into records. A host's own packets are `out` (sent) or
// `in` (received; tcpdump taps before netfilter, so a packet the input filter
// drops is still `in`, as in the simulator). At a middlebox, or a host that
// routes, a received packet that leaves again (same TCP header) is `fwd`, one
// that never leaves is `drop`, and a sent packet that never arrived is the
// node's own (`out`, e.g. a firewall's RST). `client_ports[c]` is connection
// c's client port; packets of no connection are ignored.
std::vector<LabRecord> classify_captures(const Scenario& s, const std::vector<uint16_t>& client_ports,
                                         std::vector<CapturedPacket> packets);

// The simulator's records as LabRecords (notes formatted).
std::vector<LabRecord> predicted_records(const Scenario& s, const std::vector<TraceRecord>& records);

enum class LabVerdict : uint8_t {
  kMatch,    // same header fields, time within tolerance
  kTimeOff,  // same header fields, time outside tolerance
  kMissing,  // predicted, never seen
  kExtra,    // seen, not predicted
};
const char* lab_verdict_name(LabVerdict v);

struct LabRow {
  LabVerdict verdict = LabVerdict::kMatch;
  std::optional<size_t> predicted;  // index into the predicted records
  std::optional<size_t> real;       // index into the real records
};

struct LabComparison {
  std::vector<LabRow> rows;  // in time order
  size_t matched = 0, time_off = 0, missing = 0, extra = 0;
  Time worst;                // largest |real - predicted| among paired packets
  bool ok() const { return time_off == 0 && missing == 0 && extra == 0; }
};

// Initial sequence numbers of connection `conn` in a trace: the first SYN's
// seq (client) and the first SYN-ACK's seq (server); nullopt if unseen.
struct Isns {
  std::optional<uint32_t> client, server;
};
Isns isns_of(const std::vector<LabRecord>& records, uint32_t conn, Ipv4 client_addr);

// Pairs predicted and real packets. Two packets pair when they are at the
// same node, in the same direction there, of the same connection and
// direction of travel, with the same flags, relative seq, relative ack (if
// ACK is set) and length. Pairs within `tolerance` are taken first (nearest
// in time); leftovers with equal headers pair in order as kTimeOff.
LabComparison compare_traces(const Scenario& s, const std::vector<LabRecord>& predicted,
                             const std::vector<LabRecord>& real, Time tolerance);

// What an application saw, predicted or real.
struct LabAppEvent {
  uint32_t conn = 0;
  Side side = Side::kClient;
  std::string what;  // "ETIMEDOUT", "ECONNRESET", "EOF", ...
  Time t;
};
struct LabAppRow {
  uint32_t conn = 0;
  Side side = Side::kClient;
  std::optional<LabAppEvent> predicted, real;
  bool ok = false;
};
// One row per connection side that saw something in either run. A side
// matches when both saw the same first event within `tolerance`, or neither
// saw one.
std::vector<LabAppRow> compare_app_events(const Scenario& s, const std::vector<LabAppEvent>& predicted,
                                          const std::vector<LabAppEvent>& real, Time tolerance);
// The first error and the end-of-file of each side, from the outcomes.
std::vector<LabAppEvent> predicted_app_events(const std::vector<ConnectionOutcome>& outcomes);

// ---------------------------------------------------------------- the real side

// Why a middlebox configured as `f` cannot be re-enacted as a Linux conntrack
// firewall (tools/lab/lab.py: an nftables forward chain that accepts
// established traffic and new flows, then drops or rejects, plus the
// namespace's nf_conntrack_tcp_* sysctls); empty if it can. That firewall has
// no counterpart of: NAT, actions at idle expiry, refresh policies, one-sided
// pickup, kasim's sequence-window checks, a bounded table, adaptive timeouts,
// non-RFC RSTs; and conntrack's timeouts are whole seconds.
std::string conntrack_refusal(const FirewallConfig& f);

struct LabSysctl {
  std::string name;  // under net.netfilter. (per network namespace)
  int64_t value;     // seconds for timeouts
  bool operator==(const LabSysctl&) const = default;
};
// The conntrack settings of a firewall namespace that re-enacts `f`.
// REQUIRES: conntrack_refusal(f) is empty. kasim's `closing` covers the
// kernel's FIN_WAIT, CLOSE_WAIT and LAST_ACK. Two kernel rules kasim leaves
// out when a scenario does not ask for them are made inert, by a timeout no
// state's timeout exceeds (the kernel only ever shortens a timeout to them):
// the RETRANS timeout when max_retrans is 0, and the UNACK timeout when
// pickup_timeout is never. (UNACK also caps an entry with data in flight;
// kasim does not model that cap, so it is inert only when it is the largest.)
std::vector<LabSysctl> conntrack_sysctls(const FirewallConfig& f);

// One-way transit times measured on each link (indexed like s.links): every
// packet recorded leaving one end of a link (`out`, or `fwd` at a middlebox,
// whose record has the time the packet reached it) paired with the first
// record of the same header at the other end (`in`, `fwd` or `drop`) no
// earlier and within the link's delay + 1 s. Links follow the connections'
// shortest routes in `s`.
std::vector<std::vector<Time>> link_transits(const Scenario& s, const std::vector<LabRecord>& records);

// The median (the lower of the two middle values); Time() if empty.
Time median_time(std::vector<Time> v);

// The side-by-side report.
std::string format_lab_report(const Scenario& s, const std::vector<LabRecord>& predicted,
                              const std::vector<LabRecord>& real, const LabComparison& c,
                              const std::vector<LabAppRow>& app, Time tolerance);

}  // namespace kasim
