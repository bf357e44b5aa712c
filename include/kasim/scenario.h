// A scenario: the topology, connections, traffic and faults of one run, as
// plain data. load_scenario() is the only code that reads YAML; every key it
// accepts is documented in docs/scenario-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kasim/diagnostic.h"
#include "kasim/firewall.h"
#include "kasim/os_profile.h"
#include "kasim/segment.h"
#include "kasim/tcp_endpoint.h"
#include "kasim/time.h"

namespace kasim {

// Where a value came from in the file, for messages after loading.
struct SourceMark {
  int line = 0, column = 0;
};

struct HostSpec {
  std::string name;
  const OsProfile* os = nullptr;
  Ipv4 address = 0;
  int hz = -1;  // -1: the OS profile's default
  // Where time 0 falls on the host's jiffies clock: the time since jiffies
  // was 0 (jiffies(0) = phase / tick, the rest is the offset inside that
  // jiffy). Unset: drawn from the seed. `kasim lab` sets it to the real
  // kernel's phase so timer-wheel rounding is predicted exactly.
  std::optional<Time> jiffies_phase;
  HostTunables tunables;
  SourceMark mark;
};

struct MiddleboxSpec {
  std::string name;
  FirewallConfig firewall;
  SourceMark mark;
};

struct LinkSpec {
  std::string a, b;
  Time delay;
  uint32_t loss_ppb = 0;  // loss probability in parts per billion
  SourceMark mark;
};

enum class Side : uint8_t { kClient = 0, kServer = 1 };
inline Side other(Side s) { return s == Side::kClient ? Side::kServer : Side::kClient; }
inline const char* side_name(Side s) { return s == Side::kClient ? "client" : "server"; }

struct KeepaliveSpec {
  bool given = false;                 // the block is present for this side
  KeepaliveOptions options;
  std::optional<Time> at;             // when the options are set; default: at establishment
};

enum class AppAction : uint8_t { kSend, kClose, kAbort };

struct TrafficStep {
  Time at;                  // first (or only) time
  Side from = Side::kClient;
  AppAction action = AppAction::kSend;
  uint64_t bytes = 0;
  Time every;               // zero: once
  Time until = Time::never();
  SourceMark mark;
};

struct ConnectionSpec {
  std::string name;
  size_t client = 0, server = 0;  // indices into Scenario::hosts
  uint16_t port = 0;
  std::optional<uint16_t> client_port;
  Time open_at;
  KeepaliveSpec keepalive[2];
  std::optional<uint32_t> isn[2];
  std::vector<TrafficStep> traffic;
  SourceMark mark;
};

struct FaultSpec {
  enum class Kind : uint8_t { kLinkDown, kLinkUp, kHostCrash, kHostReboot, kBlockFrom, kUnblockFrom, kFlush };
  Time at;
  Kind kind = Kind::kLinkDown;
  size_t link = 0;      // kLinkDown/kLinkUp: index into links
  size_t node = 0;      // host index for host faults, middlebox index for kFlush
  size_t peer = 0;      // kBlockFrom/kUnblockFrom: host whose packets are dropped
  SourceMark mark;
};

struct Scenario {
  std::string file;     // for messages
  std::string name;
  std::string description;
  Time duration;
  uint64_t seed = 1;
  std::vector<HostSpec> hosts;
  std::vector<MiddleboxSpec> middleboxes;
  std::vector<LinkSpec> links;
  std::vector<ConnectionSpec> connections;
  std::vector<FaultSpec> faults;
  std::vector<std::string> capture;  // node names; empty: every node

  // Node numbering used by the simulator and the topology: hosts first, then
  // middleboxes. SIZE_MAX if no node has that name.
  size_t node_index(std::string_view name) const;
  std::string_view node_name(size_t node) const;
  size_t node_count() const { return hosts.size() + middleboxes.size(); }
};

struct LoadResult {
  std::optional<Scenario> scenario;
  Diagnostic error;  // meaningful when !scenario
};

// Parses and validates a scenario. `file` is used only in messages.
LoadResult load_scenario(std::string_view yaml_text, std::string_view file);
// Reads the file first; a missing or unreadable file is a Diagnostic too.
LoadResult load_scenario_file(const std::string& path);

}  // namespace kasim
