// Expectations: what a scenario's `expect:` block asserts about its run, as
// plain data, and how a run is checked against them (`kasim check`).
//
// The grammar is documented with examples in docs/expectations.md. The
// loader (sim/expect_loader.cc) fills these structs; evaluate_expectations()
// compares them with a MemorySink run; the update functions rewrite them from
// a run (`kasim check --update`). Times are exact (Time, never double); a
// tolerance widens every expected instant to [t - tol, t + tol].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kasim/diagnostic.h"
#include "kasim/segment.h"
#include "kasim/tcp_endpoint.h"
#include "kasim/time.h"
#include "kasim/trace.h"

namespace kasim {

struct Scenario;

// Where a value came from in the file, for messages after loading.
// (1-based; 0 means unknown.)
struct SourceMark {
  int line = 0, column = 0;
};

// The part of a ConnectionOutcome one assertion looks at.
enum class OutcomeField : uint8_t {
  kFate,             // fate: alive | closed | reset | timed-out | refused | never-connected
  kAt,               // at: when the fate was sealed (or never)
  kKiller,           // killer: the node or link that caused it (or none)
  kHalfOpen,         // half_open: true | false
  kErrno,            // <side>.errno: what the application saw (or none)
  kErrorAt,          // <side>.at: when it saw it (or never)
  kState,            // <side>.state: TCP state at the end (ESTABLISHED, ...)
  kKeepaliveProbes,  // <side>.keepalive_probes: probes that side sent (a fleet: all its instances)
  kFleetCount,       // a fleet: how many of its connections met `fate` (alive: 792, timed-out: 208)
  kFleetOsCount,     // a fleet with an os_mix: how many of one OS's clients met `fate` (os: { linux: { reset: 350 } })
};

struct OutcomeAssertion {
  uint32_t conn = 0;                 // index into Scenario::connections
  OutcomeField field = OutcomeField::kFate;
  uint8_t side = 0;                  // per-side fields: 0 client, 1 server
  // The expected value; the member that `field` names is meaningful.
  Fate fate = Fate::kAlive;
  Time time = Time::never();         // kAt, kErrorAt; never() is written "never"
  std::string killer;                // kKiller; empty is written "none"
  bool flag = false;                 // kHalfOpen
  SocketError error = SocketError::kNone;
  TcpState state = TcpState::kClosed;
  int64_t number = 0;                // kKeepaliveProbes, kFleetCount, kFleetOsCount
  uint8_t os = 0;                    // kFleetOsCount: index into the connection's os_mix
  std::optional<Time> tolerance;     // the connection block's own; else the file's
  SourceMark mark;                   // of the value
};

// Which packets a packet assertion is about: every given field must match.
struct PacketMatch {
  std::optional<uint32_t> conn;      // connection index
  std::optional<uint32_t> node;      // capture point (node index)
  std::optional<CaptureDir> dir;     // out | in | fwd | drop
  std::optional<uint32_t> from;      // node that created the packet (a host, or a middlebox's own RST)
  std::optional<uint32_t> to;        // host (node index) whose address the packet is sent to
  std::optional<uint8_t> flags;      // exactly these TCP flags (tcpdump spelling in the file)
  std::optional<uint32_t> seq, ack, len;
  std::optional<std::string> kind;   // a packet_kind() name: keepalive-probe, rst, ...

  bool matches(const Scenario& s, const TraceRecord& r) const;
  // How many of the given fields `r` matches, and the names of those it misses.
  int score(const Scenario& s, const TraceRecord& r, std::vector<std::string_view>* missed) const;
};

// A packet assertion checks the matching packets inside a time window:
// - `at: T`          the window is [T - tol, T + tol];
// - `after`/`before` the window is (after, before), either end open;
// - neither          the whole run.
// With `count: N` exactly N matching packets must fall in the window (0 means
// "no packet matching ... after T"); without it at least one must.
struct PacketAssertion {
  PacketMatch match;
  std::optional<Time> at, after, before;
  std::optional<int64_t> count;
  std::optional<Time> tolerance;     // this assertion's own; else the file's
  SourceMark mark;                   // of the list item
};

struct Expectations {
  bool present = false;              // the scenario has an `expect:` block
  std::optional<Time> tolerance;     // the file's default tolerance (0 when absent)
  std::vector<OutcomeAssertion> outcomes;
  std::vector<PacketAssertion> packets;
  SourceMark mark;                   // of the `expect` key
  size_t size() const { return outcomes.size() + packets.size(); }
};

// ------------------------------------------------------------------ checking

struct AssertionResult {
  bool passed = false;
  std::string name;                  // "connection telnet: fate", "packet { kind: rst, count: 1 }"
  SourceMark mark;
  std::string expected, actual;      // one line each
  std::vector<std::string> context;  // further lines: the outcome, the nearest packet and trace around it
};

// One result per assertion, outcomes first, in file order.
// REQUIRES: `run` is a complete run of `s` (records and outcomes).
std::vector<AssertionResult> evaluate_expectations(const Scenario& s, const Expectations& e, const MemorySink& run);

// The readable report of one failed assertion:
//   file:line:col: name
//     expected: ...
//     actual:   ...
//     <context lines, indented>
std::string format_failure(std::string_view file, const AssertionResult& r);

// ------------------------------------------------------------------ updating

// The assertions `kasim check --update` creates for a scenario without any:
// per connection its fate, at, killer, half_open and each side's errno, error
// time and keepalive probe count; plus the count of keepalive probes and of
// RSTs sent (dir: out) on each connection.
Expectations default_expectations(const Scenario& s, const MemorySink& run);
// The same assertions (same fields, windows and matchers) with the values of
// `run`; connections that had no outcome assertion get the default ones.
Expectations updated_expectations(const Scenario& s, const Expectations& e, const MemorySink& run);
// The block as YAML text: "expect:\n  ...", ending with a newline.
std::string format_expect_block(const Scenario& s, const Expectations& e);
// One packet assertion in flow style: "{ connection: telnet, kind: rst, dir: out, count: 1 }".
std::string format_packet_assertion(const Scenario& s, const PacketAssertion& a);

// `file_text` with its top-level `expect:` block replaced by `block` (or
// `block` appended when `old` is not present). Lines outside the block -
// comments, key order, blank lines - are kept byte for byte. nullopt with
// *why when the block cannot be located as a top-level block key.
std::optional<std::string> replace_expect_block(std::string_view file_text, const Expectations& old,
                                                std::string_view block, std::string* why);

// An expectations-only file (FILE.expected.yaml, written by --update when it
// cannot rewrite FILE in place): a mapping with the single key `expect`.
struct ExpectLoadResult {
  std::optional<Expectations> expect;
  Diagnostic error;
};
ExpectLoadResult load_expectations_text(std::string_view yaml_text, std::string_view file, const Scenario& s);

// Exact spelling of an instant for expectations: "never", "1h", "75s",
// "22.005" or "7209.879747617" (seconds, as many decimals as needed).
std::string format_expect_time(Time t);

}  // namespace kasim
