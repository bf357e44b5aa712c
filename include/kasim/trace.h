// What a run produces: one record per packet per capture point, and one
// outcome per connection. All output goes through the TraceSink interface;
// the text (tcpdump-like) and JSON-lines sinks format, the memory sink keeps
// records for tests and for `check`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "kasim/firewall.h"
#include "kasim/segment.h"
#include "kasim/tcp_endpoint.h"
#include "kasim/time.h"

namespace kasim {

struct Scenario;

enum class CaptureDir : uint8_t {
  kOut,      // the node sent it (an endpoint, or a middlebox's own RST)
  kIn,       // a host received it
  kForward,  // a middlebox passed it on
  kDrop,     // a middlebox or link did not pass it on
};
const char* capture_dir_name(CaptureDir d);

struct TraceRecord {
  Time t;
  uint32_t node = 0;    // capture point (scenario node index)
  uint32_t origin = 0;  // node that created the packet
  uint32_t conn = 0;    // connection index (Scenario::connections)
  uint32_t instance = 0;  // position within a fleet (0 for single connections)
  CaptureDir dir = CaptureDir::kOut;
  Segment seg;
  NoteKind why = NoteKind::kNone;    // why the packet exists
  int64_t why_a = 0, why_b = 0;
  NoteKind fate = NoteKind::kNone;   // what happened to it here (drops, discards)
  int64_t fate_a = 0;
};

// A middlebox forgot a connection's entry (firewall.h ExpiredEntry): taken
// from the box's own entry, so a reader never has to re-derive when or in
// which state. Reported for captured middleboxes only, and not for a flush
// (the fault says it). `t` can lie before records already delivered (a
// deadline found only at the next packet).
struct ExpiryRecord {
  Time t;
  uint32_t node = 0;      // the middlebox's scenario node index
  uint32_t conn = 0;      // connection index (Scenario::connections)
  uint32_t instance = 0;
  FlowState state = FlowState::kEstablished;  // whose timeout ran out
  Time timeout;           // as applied (caps, RETRANS rule, adaptive scaling)
  Time last_seen;         // the last packet that refreshed the entry
  ExpiryCause cause = ExpiryCause::kIdle;
  TimeoutRule rule = TimeoutRule::kState;  // what set `timeout`
};

// A short machine-readable class of packet: syn, syn-ack, data, ack,
// keepalive-probe, keepalive-ack, retransmission, tlp, fin, rst.
const char* packet_kind(NoteKind why);

enum class Fate : uint8_t { kAlive, kClosed, kReset, kTimedOut, kRefused, kNeverConnected };
const char* fate_name(Fate f);

struct SideOutcome {
  TcpState state = TcpState::kClosed;
  bool connected = false;
  SocketError error = SocketError::kNone;
  Time error_at = Time::never();
  std::string error_cause;     // e.g. "RST from fw (no state, expired at 3603.000000)"
  Time eof_at = Time::never();
  // When the kernel gave up retransmitting on this side after its
  // application had closed it (Linux tcp_orphan_retries): never if it did
  // not. No error goes with it: nobody holds the socket any more.
  Time orphan_gave_up_at = Time::never();
  int keepalive_probes = 0;
};

struct ConnectionOutcome {
  uint32_t conn = 0;
  std::string name;
  Fate fate = Fate::kAlive;
  Time at = Time::never();     // when the fate was sealed (first error or close)
  std::string killer;          // node or link that caused it; empty if none
  SideOutcome side[2];         // [client, server]
  bool half_open = false;      // one side died, the other still thinks it is open
};

// A fleet's counts for the instances whose client runs one OS (os_mix).
struct FleetOsCounts {
  std::string os;                     // profile name
  uint64_t count = 0;
  uint64_t by_fate[6] = {};           // indexed by Fate
  uint64_t keepalive_probes[2] = {};  // sent by these clients, by their servers
};

// A fleet's outcomes in aggregate (a million lines would help nobody).
struct FleetOutcome {
  uint32_t spec = 0;
  std::string name;
  uint64_t count = 0;
  uint64_t by_fate[6] = {};        // indexed by Fate
  uint64_t half_open = 0;
  Time first_end = Time::never();  // earliest death or close
  Time last_end = Time::never();
  std::vector<std::pair<std::string, uint64_t>> killers;  // sorted by name
  uint64_t keepalive_probes[2] = {};  // sent by all clients, all servers
  std::vector<FleetOsCounts> by_os;   // fleets with an os_mix: per client OS, in os_mix order
};

// A periodic sample (scenario key sample_every): middlebox table occupancy
// and what each link carried during the interval that ends at `t`.
struct SampleRecord {
  Time t;
  Time interval;
  std::vector<uint64_t> middlebox_entries;  // per middlebox: live entries
  std::vector<uint64_t> link_packets;       // per link: packets put on it in the interval
  std::vector<uint64_t> link_probes;        // per link: of those, keepalive probes and their answers
};

struct RunSummary {
  Time end;
  uint64_t events = 0;          // events executed (stale timer events not counted)
  uint64_t packets = 0;         // packets put on links
  uint64_t peak_pending = 0;    // most events pending at once
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void begin(const Scenario&) {}
  virtual void record(const TraceRecord&) {}
  // Only for sinks that want records (wants_records()).
  virtual void expiry(const ExpiryRecord&) {}
  virtual void outcome(const ConnectionOutcome&) {}
  virtual void fleet(const FleetOutcome&) {}
  virtual void sample(const SampleRecord&) {}
  virtual void end(const RunSummary&) {}
  // False when the sink wants no per-packet records (nothing is formatted).
  virtual bool wants_records() const { return true; }
};

// Describes a record's reason in words, with the numbers filled in.
std::string describe_note(NoteKind why, int64_t a, int64_t b, const std::string& origin_name);
std::string describe_fate(NoteKind fate, int64_t a);
// The same words appended to a buffer, for sinks that format a record per
// packet and must not allocate a string per field.
void describe_note_to(fmt::memory_buffer& out, NoteKind why, int64_t a, int64_t b, std::string_view origin_name);
void describe_fate_to(fmt::memory_buffer& out, NoteKind fate, int64_t a);

// tcpdump-like text, one line per record, then the outcomes.
class TextSink : public TraceSink {
 public:
  explicit TextSink(std::FILE* out) : out_(out) {}
  void begin(const Scenario& s) override;
  void record(const TraceRecord& r) override;
  void outcome(const ConnectionOutcome& o) override;
  void fleet(const FleetOutcome& f) override;
  void sample(const SampleRecord& r) override;
  void end(const RunSummary& s) override;

 private:
  std::FILE* out_;
  const Scenario* scenario_ = nullptr;
  bool outcome_header_ = false;
};

// One JSON object per line: {"type":"packet",...} ... {"type":"outcome",...}.
// Output is buffered and written in chunks of about kFlushAt bytes; end()
// and the destructor write the rest, so the stream holds every line once
// end() has returned.
class JsonSink : public TraceSink {
 public:
  explicit JsonSink(std::FILE* out) : out_(out) {}
  ~JsonSink() override { flush(); }
  JsonSink(const JsonSink&) = delete;
  JsonSink& operator=(const JsonSink&) = delete;
  void begin(const Scenario& s) override;
  void record(const TraceRecord& r) override;
  void outcome(const ConnectionOutcome& o) override;
  void fleet(const FleetOutcome& f) override;
  void sample(const SampleRecord& r) override;
  void end(const RunSummary& s) override;

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  void flush();
  std::FILE* out_;
  const Scenario* scenario_ = nullptr;
  fmt::memory_buffer buf_;   // lines not yet written
  fmt::memory_buffer note_;  // scratch for a record's note and fate
};

// Keeps everything in memory (tests, expectation checks).
class MemorySink : public TraceSink {
 public:
  void record(const TraceRecord& r) override { records.push_back(r); }
  void expiry(const ExpiryRecord& e) override { expiries.push_back(e); }
  void outcome(const ConnectionOutcome& o) override { outcomes.push_back(o); }
  void fleet(const FleetOutcome& f) override { fleets.push_back(f); }
  void sample(const SampleRecord& r) override { samples.push_back(r); }
  void end(const RunSummary& s) override { summary = s; }
  std::vector<TraceRecord> records;
  std::vector<ExpiryRecord> expiries;
  std::vector<ConnectionOutcome> outcomes;
  std::vector<FleetOutcome> fleets;
  std::vector<SampleRecord> samples;
  RunSummary summary;
};

// Sends everything to several sinks.
class TeeSink : public TraceSink {
 public:
  void add(TraceSink* s) { sinks_.push_back(s); }
  void begin(const Scenario& s) override { for (auto* k : sinks_) k->begin(s); }
  void record(const TraceRecord& r) override { for (auto* k : sinks_) if (k->wants_records()) k->record(r); }
  void expiry(const ExpiryRecord& e) override { for (auto* k : sinks_) if (k->wants_records()) k->expiry(e); }
  void outcome(const ConnectionOutcome& o) override { for (auto* k : sinks_) k->outcome(o); }
  void fleet(const FleetOutcome& f) override { for (auto* k : sinks_) k->fleet(f); }
  void sample(const SampleRecord& r) override { for (auto* k : sinks_) k->sample(r); }
  void end(const RunSummary& s) override { for (auto* k : sinks_) k->end(s); }
  bool wants_records() const override {
    for (auto* k : sinks_) if (k->wants_records()) return true;
    return false;
  }

 private:
  std::vector<TraceSink*> sinks_;
};

// A record as one text line (no newline), as TextSink prints it.
std::string format_record_text(const Scenario& s, const TraceRecord& r);
std::string format_outcome_text(const Scenario& s, const ConnectionOutcome& o);
std::string format_fleet_text(const FleetOutcome& f);
// "name", or "name#i" for instance i of a fleet.
std::string connection_label(const Scenario& s, uint32_t conn, uint32_t instance);

}  // namespace kasim
