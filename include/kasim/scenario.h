// A scenario: the topology, connections, traffic and faults of one run, as
// plain data. load_scenario() is the only code that reads YAML; every key it
// accepts is documented in docs/scenario-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kasim/diagnostic.h"
#include "kasim/distribution.h"
#include "kasim/expect.h"
#include "kasim/firewall.h"
#include "kasim/limits.h"
#include "kasim/os_profile.h"
#include "kasim/segment.h"
#include "kasim/tcp_endpoint.h"
#include "kasim/time.h"

namespace kasim {

struct HostSpec {
  std::string name;
  const OsProfile* os = nullptr;
  Ipv4 address = 0;
  int hz = -1;  // -1: the OS profile's default
  // Slowtimo profiles (AIX): the host's 500 ms protocol-timer grid. Unset
  // phase: drawn from the seed; unset period: the profile's tick.
  std::optional<Time> tick_phase, tick_period;
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
  std::string profile;  // the preset the config started from ("" = plain firewall defaults)
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
  // The option that set options.idle when the OS has two (illumos
  // TCP_KEEPIDLE or TCP_KEEPALIVE_THRESHOLD); nullptr: the OS's primary one.
  // Points into the static profile data.
  const SocketOptionSpec* idle_option = nullptr;
  std::optional<Time> at;             // when the options are set; default: at establishment
};

enum class AppAction : uint8_t { kSend, kClose, kAbort };

struct TrafficStep {
  Time at;                  // first (or only) time
  Side from = Side::kClient;
  AppAction action = AppAction::kSend;
  uint64_t bytes = 0;
  // The period: zero for a one-off step. When the period is drawn
  // (`period` not fixed) this is its lowest value, for code that only knows
  // fixed periods; such code should refuse drawn ones (drawn()).
  Time every;
  Time until = Time::never();
  // Fleets: each instance starts at a phase of its own, drawn uniformly from
  // [0, one period) (so a million heartbeats do not fire at once); with
  // bursts, from [0, one idle gap).
  bool stagger = false;
  // `every` as a distribution (ns): the gap before each next send is drawn
  // anew, from the step instance's own stream. Fixed: every send `every` apart.
  Distribution period;
  // Bursts: `burst` sends (a count, drawn per burst) `period` apart, then a
  // gap drawn from `idle` (ns) before the next burst. Unset: no bursts.
  std::optional<Distribution> burst, idle;
  bool drawn() const { return !period.is_fixed() || burst.has_value(); }
  SourceMark mark;
};

// Fleets: one operating system of the client side's mix (`os_mix`).
struct OsShare {
  const OsProfile* os = nullptr;
  uint32_t share_ppb = 0;  // the share of the fleet's instances, parts per billion (they sum to 10^9)
  // The OS's defaults; for the client host's own OS, the host's tunables
  // (its `sysctl:` block); then the entry's own `sysctl:` block.
  HostTunables tunables;
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
  // A fleet: `count` > 1 makes this entry stand for `count` connections.
  // Instance i's client uses the client host's address + i (the client host
  // stands for `count` machines with consecutive addresses) and an ephemeral
  // port from the seed. Outcomes are reported per fleet, not per instance.
  uint32_t count = 1;
  // Instance opens at open_at + a draw from this (ns). A plain duration D is
  // uniform over [0, D - 1 ns]; a draw at or after the end of the run never
  // opens (the instance is never-connected).
  Distribution open_within;
  // The client side's operating systems: each instance runs one of them, the
  // shares exact (largest remainder), which instance gets which drawn from
  // the seed. Empty: every instance runs the client host's OS.
  std::vector<OsShare> os_mix;
  struct Vanish {
    uint32_t fraction_ppb = 0;  // share of instances whose `side` vanishes (host crash for that instance)
    Side side = Side::kClient;
    Time from, to;              // the vanishing time is uniform in [from, to)
  } vanish;
  bool is_fleet() const { return count > 1; }
  SourceMark mark;
};

struct FaultSpec {
  enum class Kind : uint8_t {
    kLinkDown, kLinkUp, kHostCrash, kHostReboot, kBlockFrom, kUnblockFrom, kFlush,
    kLinkLoss,  // the link's loss probability becomes loss_ppb (a burst is two of these)
    kHostKill,  // the host's processes are killed: each socket sends FIN or RST per OS (process_kill.h)
  };
  Time at;
  Kind kind = Kind::kLinkDown;
  size_t link = 0;      // kLinkDown/kLinkUp: index into links
  size_t node = 0;      // host index for host faults, middlebox index for kFlush
  size_t peer = 0;      // kBlockFrom/kUnblockFrom: host whose packets are dropped
  uint32_t loss_ppb = 0;  // kLinkLoss: the new loss probability, parts per billion
  // kHostKill: the processes had stopped reading, so a socket that received
  // payload holds unread data (default: applications read everything).
  bool unread_data = false;
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
  std::vector<std::string> capture;  // node names; empty: every node (unless capture_none)
  bool capture_none = false;         // `capture: []`: no packet records at all (fleets)
  // Every this often the run reports each middlebox's table occupancy and
  // the packets each link carried since the last sample (zero: never).
  Time sample_every;
  Expectations expect;               // the `expect:` block (docs/expectations.md)

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

// A command-line override, `--set KEY=VALUE`: KEY is a dotted path into the
// scenario's YAML tree (`middleboxes.fw.idle_timeout`,
// `connections.0.keepalive.server.idle` or `connections.telnet...`,
// `hosts.server.sysctl.net.ipv4.tcp_keepalive_time`); VALUE is YAML text. The
// same key paths serve sweeps.
struct Override {
  std::string key, value;
};
// Splits "KEY=VALUE" at the first '='; nullopt with *why if malformed.
std::optional<Override> parse_override(std::string_view text, std::string* why);

// Parses and validates a scenario. `file` is used only in messages.
// Overrides are applied to the YAML tree, in order, before validation; an
// error in an overridden value is reported as `--set KEY: message`.
// Connections whose run would need more than `max_memory` bytes
// (simulator.h estimated_memory()) are refused at the largest fleet's
// `count`, naming --max-memory (limits.h).
LoadResult load_scenario(std::string_view yaml_text, std::string_view file,
                         std::span<const Override> overrides = {}, uint64_t max_memory = kDefaultMaxMemory);
// Reads the file first; a missing or unreadable file is a Diagnostic too.
LoadResult load_scenario_file(const std::string& path, std::span<const Override> overrides = {},
                              uint64_t max_memory = kDefaultMaxMemory);

}  // namespace kasim
