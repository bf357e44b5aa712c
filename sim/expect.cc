// Checking a run against a scenario's expectations, and rewriting them from
// a run (`kasim check --update`). Nothing here reads YAML: the block is
// loaded by sim/expect_loader.cc and written back as text.
#include "kasim/expect.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "kasim/scenario.h"

namespace kasim {

std::string format_expect_time(Time t) {
  if (t.is_never()) return "never";
  int64_t ns = t.count_ns();
  if (ns % 1'000'000'000 == 0) return format_duration(t);
  // Seconds with as many decimals as needed: "22.005", "7209.879747617".
  std::string out = fmt::format("{}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
  return out.substr(0, out.find_last_not_of('0') + 1);
}

namespace {

// A duration in prose: "1h", "75s", "1ms", "9.878747617s".
std::string prose_duration(Time d) {
  if (d < Time::s(1) || d.count_ns() % 1'000'000 == 0) return format_duration(d);
  return format_expect_time(d) + "s";
}

std::string plural(int64_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

bool same_time(Time want, Time got, Time tol) {
  if (want.is_never() || got.is_never()) return want.is_never() == got.is_never();
  Time d = got > want ? got - want : want - got;
  return d <= tol;
}

std::string time_with_tolerance(Time t, Time tol) {
  std::string out = format_expect_time(t);
  if (!t.is_never() && tol > Time()) out += fmt::format(" (± {})", prose_duration(tol));
  return out;
}

// "7209.879747 (9.878747s later than expected)" for an actual instant.
std::string time_against(Time got, Time want) {
  std::string out = format_expect_time(got);
  if (got.is_never() || want.is_never() || got == want) return out;
  return out + fmt::format(" ({} {} than expected)", prose_duration(got > want ? got - want : want - got),
                           got > want ? "later" : "earlier");
}

const char* side_word(uint8_t side) { return side == 0 ? "client" : "server"; }

// A scalar as YAML: plain when that is unambiguous, else double-quoted.
std::string yaml_scalar(std::string_view v) {
  static constexpr std::array<std::string_view, 12> kReserved{"true", "false", "yes", "no",  "on",   "off",
                                                              "null", "~",     "y",   "n",   "True", "False"};
  bool plain = !v.empty() && (std::isalnum(static_cast<unsigned char>(v[0])) || v[0] == '_');
  for (char c : v)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/');
  for (std::string_view r : kReserved) plain = plain && v != r;
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const ConnectionOutcome* find_outcome(const MemorySink& run, uint32_t conn) {
  for (const ConnectionOutcome& o : run.outcomes)
    if (o.conn == conn) return &o;
  return nullptr;
}

std::string outcome_field_name(const Scenario& s, const OutcomeAssertion& a) {
  const std::string& c = s.connections[a.conn].name;
  switch (a.field) {
    case OutcomeField::kFate: return fmt::format("connection {}: fate", c);
    case OutcomeField::kAt: return fmt::format("connection {}: at", c);
    case OutcomeField::kKiller: return fmt::format("connection {}: killer", c);
    case OutcomeField::kHalfOpen: return fmt::format("connection {}: half_open", c);
    case OutcomeField::kErrno: return fmt::format("connection {}: {} errno", c, side_word(a.side));
    case OutcomeField::kErrorAt: return fmt::format("connection {}: {} at", c, side_word(a.side));
    case OutcomeField::kState: return fmt::format("connection {}: {} state", c, side_word(a.side));
    case OutcomeField::kKeepaliveProbes: return fmt::format("connection {}: {} keepalive_probes", c, side_word(a.side));
    case OutcomeField::kFleetCount: return fmt::format("connection {}: {}", c, fate_name(a.fate));
    case OutcomeField::kFleetOsCount:
      return fmt::format("connection {}: {} on {}", c, fate_name(a.fate), s.connections[a.conn].os_mix[a.os].os->name);
  }
  return c;
}

std::string fate_phrase(const ConnectionOutcome& o) {
  std::string out = fate_name(o.fate);
  if (!o.at.is_never()) out += fmt::format(" at {}", format_expect_time(o.at));
  if (!o.killer.empty()) out += fmt::format(" (caused by {})", o.killer);
  return out;
}

std::string errno_phrase(const SideOutcome& so) {
  if (so.error == SocketError::kNone) return "none";
  return fmt::format("{} at {}", socket_error_name(so.error), format_expect_time(so.error_at));
}

// Adds each line of `text` to `lines`, indented by two spaces.
void append_indented(std::vector<std::string>& lines, const std::string& text) {
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    lines.push_back("  " + text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

AssertionResult check_outcome(const Scenario& s, const Expectations& e, const OutcomeAssertion& a,
                              const MemorySink& run) {
  AssertionResult r;
  r.name = outcome_field_name(s, a);
  r.mark = a.mark;
  Time tol = a.tolerance.value_or(e.tolerance.value_or(Time()));
  if (s.connections[a.conn].is_fleet()) {
    const FleetOutcome* f = nullptr;
    for (const FleetOutcome& x : run.fleets)
      if (x.spec == a.conn) f = &x;
    if (f == nullptr) {
      r.expected = "an outcome for this fleet";
      r.actual = "the run reported none";
      return r;
    }
    uint64_t got = a.field == OutcomeField::kFleetCount   ? f->by_fate[static_cast<int>(a.fate)]
                   : a.field == OutcomeField::kFleetOsCount ? (a.os < f->by_os.size() ? f->by_os[a.os].by_fate[static_cast<int>(a.fate)] : 0)
                                                            : f->keepalive_probes[a.side];
    r.passed = got == static_cast<uint64_t>(a.number);
    r.expected = fmt::format("{}", a.number);
    r.actual = fmt::format("{}", got);
    if (!r.passed) {
      r.context.push_back("outcome:");
      append_indented(r.context, format_fleet_text(*f));
    }
    return r;
  }
  const ConnectionOutcome* o = find_outcome(run, a.conn);
  if (o == nullptr) {
    r.expected = "an outcome for this connection";
    r.actual = "the run reported none";
    return r;
  }
  const SideOutcome& so = o->side[a.side];
  switch (a.field) {
    case OutcomeField::kFate:
      r.passed = o->fate == a.fate;
      r.expected = fate_name(a.fate);
      r.actual = fate_phrase(*o);
      break;
    case OutcomeField::kAt:
      r.passed = same_time(a.time, o->at, tol);
      r.expected = time_with_tolerance(a.time, tol);
      r.actual = time_against(o->at, a.time);
      break;
    case OutcomeField::kKiller:
      r.passed = o->killer == a.killer;
      r.expected = a.killer.empty() ? "none" : a.killer;
      r.actual = o->killer.empty() ? "none" : o->killer;
      break;
    case OutcomeField::kHalfOpen:
      r.passed = o->half_open == a.flag;
      r.expected = a.flag ? "true" : "false";
      r.actual = o->half_open ? "true" : "false";
      break;
    case OutcomeField::kErrno:
      r.passed = so.error == a.error;
      r.expected = socket_error_name(a.error);
      r.actual = errno_phrase(so);
      break;
    case OutcomeField::kErrorAt:
      r.passed = same_time(a.time, so.error_at, tol);
      r.expected = time_with_tolerance(a.time, tol);
      r.actual = time_against(so.error_at, a.time);
      break;
    case OutcomeField::kState:
      r.passed = so.state == a.state;
      r.expected = tcp_state_name(a.state);
      r.actual = tcp_state_name(so.state);
      break;
    case OutcomeField::kKeepaliveProbes:
      r.passed = so.keepalive_probes == a.number;
      r.expected = fmt::format("{}", a.number);
      r.actual = fmt::format("{}", so.keepalive_probes);
      break;
    case OutcomeField::kFleetCount:
    case OutcomeField::kFleetOsCount: break;  // fleets are handled above
  }
  if (!r.passed) {
    r.context.push_back("outcome:");
    append_indented(r.context, format_outcome_text(s, *o));
  }
  return r;
}

// The time window of a packet assertion.
struct Window {
  std::optional<Time> lo, hi;  // bounds
  bool inclusive = false;      // [lo, hi] for `at`, (lo, hi) for after/before
  bool contains(Time t) const {
    if (lo && (inclusive ? t < *lo : t <= *lo)) return false;
    if (hi && (inclusive ? t > *hi : t >= *hi)) return false;
    return true;
  }
  // How far t lies outside the window (zero inside).
  Time distance(Time t) const {
    if (lo && t < *lo) return *lo - t;
    if (hi && t > *hi) return t - *hi;
    return Time();
  }
};

Time packet_tolerance(const Expectations& e, const PacketAssertion& a) {
  return a.tolerance.value_or(e.tolerance.value_or(Time()));
}

Window window_of(const Expectations& e, const PacketAssertion& a) {
  Window w;
  if (a.at) {
    Time tol = packet_tolerance(e, a);
    w.lo = *a.at > tol ? *a.at - tol : Time();
    w.hi = *a.at + tol;
    w.inclusive = true;
  } else {
    w.lo = a.after;
    w.hi = a.before;
  }
  return w;
}

std::string window_phrase(const Expectations& e, const PacketAssertion& a) {
  if (a.at) return "at " + time_with_tolerance(*a.at, packet_tolerance(e, a));
  if (a.after && a.before)
    return fmt::format("after {} and before {}", format_expect_time(*a.after), format_expect_time(*a.before));
  if (a.after) return fmt::format("after {}", format_expect_time(*a.after));
  if (a.before) return fmt::format("before {}", format_expect_time(*a.before));
  return "during the run";
}

// Two records either side of records[idx], which is marked with '>'.
void add_trace_context(const Scenario& s, const MemorySink& run, size_t idx, std::vector<std::string>& out) {
  size_t from = idx >= 2 ? idx - 2 : 0;
  size_t to = std::min(run.records.size(), idx + 3);
  for (size_t i = from; i < to; ++i)
    out.push_back(fmt::format("{} {}", i == idx ? ">" : " ", format_record_text(s, run.records[i])));
}

AssertionResult check_packets(const Scenario& s, const Expectations& e, const PacketAssertion& a,
                              const MemorySink& run) {
  AssertionResult r;
  r.name = "packet " + format_packet_assertion(s, a);
  r.mark = a.mark;
  Window w = window_of(e, a);
  std::vector<size_t> inside;
  std::optional<size_t> nearest_outside;
  for (size_t i = 0; i < run.records.size(); ++i) {
    const TraceRecord& rec = run.records[i];
    if (!a.match.matches(s, rec)) continue;
    if (w.contains(rec.t)) {
      inside.push_back(i);
    } else if (!nearest_outside || w.distance(rec.t) < w.distance(run.records[*nearest_outside].t)) {
      nearest_outside = i;
    }
  }
  int64_t n = static_cast<int64_t>(inside.size());
  std::string where = window_phrase(e, a);
  r.passed = a.count ? n == *a.count : n >= 1;
  r.expected = a.count ? fmt::format("{} {}", plural(*a.count, "matching packet"), where)
                       : fmt::format("a matching packet {}", where);
  r.actual = fmt::format("{} {}", plural(n, "matching packet"), where);
  if (r.passed) return r;
  if (a.count && n > *a.count) {
    size_t idx = inside[static_cast<size_t>(*a.count)];
    r.context.push_back(*a.count == 0 ? "the first matching packet (>) in the trace:"
                                      : "the first matching packet beyond the expected count (>) in the trace:");
    add_trace_context(s, run, idx, r.context);
    return r;
  }
  if (nearest_outside) {
    const TraceRecord& rec = run.records[*nearest_outside];
    std::string rel = a.at ? time_against(rec.t, *a.at) : format_expect_time(rec.t);
    r.context.push_back(fmt::format("the nearest matching packet (>), at {}, in the trace:", rel));
    add_trace_context(s, run, *nearest_outside, r.context);
    return r;
  }
  if (n > 0) {
    // Too few inside and none outside: list those there are.
    r.context.push_back("the matching packets:");
    for (size_t k = 0; k < inside.size() && k < 5; ++k)
      r.context.push_back("  " + format_record_text(s, run.records[inside[k]]));
    if (inside.size() > 5) r.context.push_back(fmt::format("  ... and {} more", inside.size() - 5));
    return r;
  }
  // Nothing matches anywhere: show the packet that matches the most fields.
  std::optional<size_t> best;
  int best_score = -1;
  std::vector<std::string_view> best_missed;
  for (size_t i = 0; i < run.records.size(); ++i) {
    std::vector<std::string_view> missed;
    int sc = a.match.score(s, run.records[i], &missed);
    bool better = sc > best_score ||
                  (sc == best_score && best && w.distance(run.records[i].t) < w.distance(run.records[*best].t));
    if (better) {
      best = i;
      best_score = sc;
      best_missed = missed;
    }
  }
  r.actual += "; no packet in the run matches";
  if (best) {
    std::string missed;
    for (size_t k = 0; k < best_missed.size(); ++k) missed += (k ? ", " : "") + std::string(best_missed[k]);
    r.context.push_back(fmt::format("the closest packet (>), which differs in {}, in the trace:", missed));
    add_trace_context(s, run, *best, r.context);
  }
  return r;
}

}  // namespace

bool PacketMatch::matches(const Scenario& s, const TraceRecord& r) const {
  if (conn && r.conn != *conn) return false;
  if (node && r.node != *node) return false;
  if (dir && r.dir != *dir) return false;
  if (from && r.origin != *from) return false;
  if (to && r.seg.dst != s.hosts[*to].address) return false;
  if (flags && r.seg.flags != *flags) return false;
  if (seq && r.seg.seq != *seq) return false;
  if (ack && r.seg.ack != *ack) return false;
  if (len && r.seg.len != *len) return false;
  if (kind && *kind != packet_kind(r.why)) return false;
  return true;
}

int PacketMatch::score(const Scenario& s, const TraceRecord& r, std::vector<std::string_view>* missed) const {
  int n = 0;
  auto count = [&](bool given, bool ok, std::string_view name) {
    if (!given) return;
    if (ok) ++n;
    else if (missed) missed->push_back(name);
  };
  count(conn.has_value(), conn && r.conn == *conn, "connection");
  count(node.has_value(), node && r.node == *node, "node");
  count(dir.has_value(), dir && r.dir == *dir, "dir");
  count(from.has_value(), from && r.origin == *from, "from");
  count(to.has_value(), to && r.seg.dst == s.hosts[*to].address, "to");
  count(flags.has_value(), flags && r.seg.flags == *flags, "flags");
  count(seq.has_value(), seq && r.seg.seq == *seq, "seq");
  count(ack.has_value(), ack && r.seg.ack == *ack, "ack");
  count(len.has_value(), len && r.seg.len == *len, "len");
  count(kind.has_value(), kind && *kind == packet_kind(r.why), "kind");
  return n;
}

std::vector<AssertionResult> evaluate_expectations(const Scenario& s, const Expectations& e, const MemorySink& run) {
  std::vector<AssertionResult> out;
  for (const OutcomeAssertion& a : e.outcomes) out.push_back(check_outcome(s, e, a, run));
  for (const PacketAssertion& a : e.packets) out.push_back(check_packets(s, e, a, run));
  return out;
}

std::string format_failure(std::string_view file, const AssertionResult& r) {
  std::string out = Diagnostic{std::string(file), r.mark.line, r.mark.column, r.name}.to_string() + "\n";
  out += fmt::format("  expected: {}\n  actual:   {}\n", r.expected, r.actual);
  for (const std::string& line : r.context) out += "  " + line + "\n";
  return out;
}

// ------------------------------------------------------------------ updating

namespace {

void set_from_run(OutcomeAssertion& a, const ConnectionOutcome& o) {
  const SideOutcome& so = o.side[a.side];
  switch (a.field) {
    case OutcomeField::kFate: a.fate = o.fate; break;
    case OutcomeField::kAt: a.time = o.at; break;
    case OutcomeField::kKiller: a.killer = o.killer; break;
    case OutcomeField::kHalfOpen: a.flag = o.half_open; break;
    case OutcomeField::kErrno: a.error = so.error; break;
    case OutcomeField::kErrorAt: a.time = so.error_at; break;
    case OutcomeField::kState: a.state = so.state; break;
    case OutcomeField::kKeepaliveProbes: a.number = so.keepalive_probes; break;
    case OutcomeField::kFleetCount:
    case OutcomeField::kFleetOsCount: break;
  }
}

void set_from_fleet(OutcomeAssertion& a, const FleetOutcome& f) {
  if (a.field == OutcomeField::kFleetCount) a.number = static_cast<int64_t>(f.by_fate[static_cast<int>(a.fate)]);
  if (a.field == OutcomeField::kFleetOsCount && a.os < f.by_os.size())
    a.number = static_cast<int64_t>(f.by_os[a.os].by_fate[static_cast<int>(a.fate)]);
  if (a.field == OutcomeField::kKeepaliveProbes) a.number = static_cast<int64_t>(f.keepalive_probes[a.side]);
}

void add_default_fleet(Expectations& e, const FleetOutcome& f) {
  for (int i = 0; i < 6; ++i) {
    if (f.by_fate[i] == 0) continue;
    OutcomeAssertion a;
    a.conn = f.spec;
    a.field = OutcomeField::kFleetCount;
    a.fate = static_cast<Fate>(i);
    set_from_fleet(a, f);
    e.outcomes.push_back(std::move(a));
  }
  for (size_t k = 0; k < f.by_os.size(); ++k)
    for (int i = 0; i < 6; ++i) {
      if (f.by_os[k].by_fate[i] == 0) continue;
      OutcomeAssertion a;
      a.conn = f.spec;
      a.field = OutcomeField::kFleetOsCount;
      a.fate = static_cast<Fate>(i);
      a.os = static_cast<uint8_t>(k);
      set_from_fleet(a, f);
      e.outcomes.push_back(std::move(a));
    }
  for (uint8_t side = 0; side < 2; ++side) {
    OutcomeAssertion a;
    a.conn = f.spec;
    a.field = OutcomeField::kKeepaliveProbes;
    a.side = side;
    set_from_fleet(a, f);
    e.outcomes.push_back(std::move(a));
  }
}

void add_default_outcomes(Expectations& e, const ConnectionOutcome& o) {
  auto add = [&](OutcomeField f, uint8_t side) {
    OutcomeAssertion a;
    a.conn = o.conn;
    a.field = f;
    a.side = side;
    set_from_run(a, o);
    e.outcomes.push_back(std::move(a));
  };
  add(OutcomeField::kFate, 0);
  if (!o.at.is_never()) add(OutcomeField::kAt, 0);
  if (!o.killer.empty()) add(OutcomeField::kKiller, 0);
  add(OutcomeField::kHalfOpen, 0);
  for (uint8_t side = 0; side < 2; ++side) {
    add(OutcomeField::kErrno, side);
    if (o.side[side].error != SocketError::kNone) add(OutcomeField::kErrorAt, side);
    add(OutcomeField::kKeepaliveProbes, side);
  }
}

int64_t count_matching(const Scenario& s, const PacketMatch& m, const MemorySink& run) {
  int64_t n = 0;
  for (const TraceRecord& r : run.records) n += m.matches(s, r) ? 1 : 0;
  return n;
}

}  // namespace

Expectations default_expectations(const Scenario& s, const MemorySink& run) {
  Expectations e;
  e.present = true;
  for (const ConnectionOutcome& o : run.outcomes) add_default_outcomes(e, o);
  for (const FleetOutcome& f : run.fleets) add_default_fleet(e, f);
  // Without packet records (`capture: []`) packet assertions could only count zero.
  for (uint32_t c = 0; c < s.connections.size() && !s.capture_none; ++c) {
    for (const char* kind : {"keepalive-probe", "rst"}) {
      PacketAssertion a;
      a.match.conn = c;
      a.match.kind = kind;
      a.match.dir = CaptureDir::kOut;
      a.count = count_matching(s, a.match, run);
      e.packets.push_back(std::move(a));
    }
  }
  return e;
}

Expectations updated_expectations(const Scenario& s, const Expectations& old, const MemorySink& run) {
  Expectations e = old;
  e.present = true;
  for (OutcomeAssertion& a : e.outcomes) {
    if (s.connections[a.conn].is_fleet()) {
      for (const FleetOutcome& f : run.fleets)
        if (f.spec == a.conn) set_from_fleet(a, f);
    } else if (const ConnectionOutcome* o = find_outcome(run, a.conn)) {
      set_from_run(a, *o);
    }
  }
  for (const FleetOutcome& f : run.fleets) {
    bool covered = false;
    for (const OutcomeAssertion& a : old.outcomes) covered = covered || a.conn == f.spec;
    if (!covered) add_default_fleet(e, f);
  }
  for (const ConnectionOutcome& o : run.outcomes) {
    bool covered = false;
    for (const OutcomeAssertion& a : old.outcomes) covered = covered || a.conn == o.conn;
    if (!covered) add_default_outcomes(e, o);
  }
  for (PacketAssertion& a : e.packets) {
    Window w = window_of(e, a);
    int64_t inside = 0;
    std::optional<Time> nearest;
    for (const TraceRecord& r : run.records) {
      if (!a.match.matches(s, r)) continue;
      if (w.contains(r.t)) ++inside;
      if (a.at) {
        Time d = r.t > *a.at ? r.t - *a.at : *a.at - r.t;
        Time best = nearest ? (*nearest > *a.at ? *nearest - *a.at : *a.at - *nearest) : Time::never();
        if (d < best) nearest = r.t;
      }
    }
    if (a.count) {
      a.count = inside;
    } else if (inside == 0) {
      // "at least one" no longer holds: move `at` to the nearest matching
      // packet, or assert that there is none.
      if (a.at && nearest) a.at = *nearest;
      else a.count = 0;
    }
  }
  return e;
}

std::string format_packet_assertion(const Scenario& s, const PacketAssertion& a) {
  std::vector<std::string> parts;
  const PacketMatch& m = a.match;
  if (m.conn) parts.push_back("connection: " + yaml_scalar(s.connections[*m.conn].name));
  if (m.node) parts.push_back("node: " + yaml_scalar(s.node_name(*m.node)));
  if (m.dir) parts.push_back(fmt::format("dir: {}", capture_dir_name(*m.dir)));
  if (m.from) parts.push_back("from: " + yaml_scalar(s.node_name(*m.from)));
  if (m.to) parts.push_back("to: " + yaml_scalar(s.node_name(*m.to)));
  if (m.flags) parts.push_back("flags: " + yaml_scalar(format_flags(*m.flags)));
  if (m.seq) parts.push_back(fmt::format("seq: {}", *m.seq));
  if (m.ack) parts.push_back(fmt::format("ack: {}", *m.ack));
  if (m.len) parts.push_back(fmt::format("len: {}", *m.len));
  if (m.kind) parts.push_back("kind: " + *m.kind);
  if (a.at) parts.push_back("at: " + format_expect_time(*a.at));
  if (a.tolerance) parts.push_back("tolerance: " + format_duration(*a.tolerance));
  if (a.after) parts.push_back("after: " + format_expect_time(*a.after));
  if (a.before) parts.push_back("before: " + format_expect_time(*a.before));
  if (a.count) parts.push_back(fmt::format("count: {}", *a.count));
  std::string out = "{ ";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + " }";
}

std::string format_expect_block(const Scenario& s, const Expectations& e) {
  std::string out = "expect:\n";
  if (e.tolerance) out += fmt::format("  tolerance: {}\n", format_duration(*e.tolerance));
  if (!e.outcomes.empty()) {
    out += "  connections:\n";
    for (uint32_t c = 0; c < s.connections.size(); ++c) {
      std::vector<const OutcomeAssertion*> mine;
      for (const OutcomeAssertion& a : e.outcomes)
        if (a.conn == c) mine.push_back(&a);
      if (mine.empty()) continue;
      // Canonical order: the connection's fields, then client, then server.
      std::stable_sort(mine.begin(), mine.end(), [](const OutcomeAssertion* x, const OutcomeAssertion* y) {
        bool xs = x->field >= OutcomeField::kErrno, ys = y->field >= OutcomeField::kErrno;
        int kx = xs ? 10 + x->side * 10 : 0, ky = ys ? 10 + y->side * 10 : 0;
        if (kx != ky) return kx < ky;
        return x->field < y->field;
      });
      out += fmt::format("    {}:\n", yaml_scalar(s.connections[c].name));
      if (mine.front()->tolerance) out += fmt::format("      tolerance: {}\n", format_duration(*mine.front()->tolerance));
      std::vector<std::string> side_parts[2];
      std::vector<std::vector<std::string>> os_parts(s.connections[c].os_mix.size());
      for (const OutcomeAssertion* a : mine) {
        switch (a->field) {
          case OutcomeField::kFate: out += fmt::format("      fate: {}\n", fate_name(a->fate)); break;
          case OutcomeField::kAt: out += fmt::format("      at: {}\n", format_expect_time(a->time)); break;
          case OutcomeField::kKiller:
            out += fmt::format("      killer: {}\n", a->killer.empty() ? "none" : yaml_scalar(a->killer));
            break;
          case OutcomeField::kHalfOpen: out += fmt::format("      half_open: {}\n", a->flag ? "true" : "false"); break;
          case OutcomeField::kErrno:
            side_parts[a->side].push_back(fmt::format("errno: {}", socket_error_name(a->error)));
            break;
          case OutcomeField::kErrorAt: side_parts[a->side].push_back("at: " + format_expect_time(a->time)); break;
          case OutcomeField::kState: side_parts[a->side].push_back(fmt::format("state: {}", tcp_state_name(a->state))); break;
          case OutcomeField::kKeepaliveProbes:
            side_parts[a->side].push_back(fmt::format("keepalive_probes: {}", a->number));
            break;
          case OutcomeField::kFleetCount: out += fmt::format("      {}: {}\n", fate_name(a->fate), a->number); break;
          case OutcomeField::kFleetOsCount:
            os_parts[a->os].push_back(fmt::format("{}: {}", fate_name(a->fate), a->number));
            break;
        }
      }
      bool os_header = false;
      for (size_t k = 0; k < os_parts.size(); ++k) {
        if (os_parts[k].empty()) continue;
        if (!os_header) out += "      os:\n";
        os_header = true;
        out += fmt::format("        {}: {{ ", s.connections[c].os_mix[k].os->name);
        for (size_t i = 0; i < os_parts[k].size(); ++i) out += (i ? ", " : "") + os_parts[k][i];
        out += " }\n";
      }
      for (uint8_t side = 0; side < 2; ++side) {
        if (side_parts[side].empty()) continue;
        out += fmt::format("      {}: {{ ", side_word(side));
        for (size_t i = 0; i < side_parts[side].size(); ++i) out += (i ? ", " : "") + side_parts[side][i];
        out += " }\n";
      }
    }
  }
  if (!e.packets.empty()) {
    out += "  packets:\n";
    for (const PacketAssertion& a : e.packets) out += "    - " + format_packet_assertion(s, a) + "\n";
  }
  return out;
}

namespace {

std::string_view rstrip(std::string_view l) {
  size_t e = l.find_last_not_of(" \t\r\n");
  return e == std::string_view::npos ? std::string_view() : l.substr(0, e + 1);
}

// Where a trailing "# comment" starts in a YAML line (outside quotes), or npos.
size_t comment_start(std::string_view l) {
  char quote = 0;
  for (size_t i = 0; i < l.size(); ++i) {
    char c = l[i];
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The regenerated block with the old block's comments put back where a line
// is unchanged: a trailing comment stays on its line, comment lines stay
// above the line they preceded. Comments next to changed lines are lost.
std::string keep_block_comments(std::span<const std::string_view> old_lines, std::string_view block) {
  std::vector<std::pair<std::string, std::string>> trailing, above;  // content -> comment text
  std::string pending;
  for (std::string_view l : old_lines) {
    size_t c = comment_start(l);
    std::string_view content = rstrip(c == std::string_view::npos ? l : l.substr(0, c));
    if (content.find_first_not_of(" \t") == std::string_view::npos) {
      if (c != std::string_view::npos) pending += std::string(rstrip(l)) + "\n";
      continue;
    }
    if (c != std::string_view::npos) trailing.emplace_back(content, std::string(rstrip(l.substr(content.size()))));
    if (!pending.empty()) above.emplace_back(content, std::move(pending));
    pending.clear();
  }
  std::string out;
  for (size_t start = 0; start < block.size();) {
    size_t nl = block.find('\n', start);
    size_t end = nl == std::string_view::npos ? block.size() : nl;
    std::string_view line = block.substr(start, end - start);
    for (auto& [content, text] : above)
      if (content == line && !text.empty()) out += std::exchange(text, std::string());
    out += line;
    for (auto& [content, text] : trailing)
      if (content == line && !text.empty()) out += std::exchange(text, std::string());
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> replace_expect_block(std::string_view text, const Expectations& old,
                                                std::string_view block, std::string* why) {
  std::vector<std::string_view> lines;  // each with its newline, if any
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  std::string out;
  if (!old.present) {
    out = std::string(text);
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (!out.empty()) out += '\n';
    return out + std::string(block);
  }
  size_t first = static_cast<size_t>(old.mark.line - 1);
  if (old.mark.line < 1 || old.mark.column != 1 || first >= lines.size() || !lines[first].starts_with("expect:")) {
    *why = "its expect block is not a top-level block key starting in column 1";
    return std::nullopt;
  }
  auto blank = [](std::string_view l) { return l.find_first_not_of(" \t\r\n") == std::string_view::npos; };
  size_t end = first + 1;
  while (end < lines.size() && (blank(lines[end]) || lines[end][0] == ' ' || lines[end][0] == '\t' ||
                                lines[end][0] == '#'))
    ++end;
  // Blank lines and top-level comments just before the next key belong to it.
  while (end > first + 1 && (blank(lines[end - 1]) || lines[end - 1][0] == '#')) --end;
  for (size_t i = 0; i < first; ++i) out += lines[i];
  out += keep_block_comments(std::span(lines).subspan(first, end - first), block);
  for (size_t i = end; i < lines.size(); ++i) out += lines[i];
  return out;
}

}  // namespace kasim
