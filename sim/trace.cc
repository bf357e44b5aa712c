#include "kasim/trace.h"

#include <cstring>

#include <fmt/format.h>

#include "kasim/scenario.h"
#include "kasim/topology.h"

namespace kasim {

const char* capture_dir_name(CaptureDir d) {
  switch (d) {
    case CaptureDir::kOut: return "out";
    case CaptureDir::kIn: return "in";
    case CaptureDir::kForward: return "fwd";
    case CaptureDir::kDrop: return "drop";
  }
  return "?";
}

const char* packet_kind(NoteKind why) {
  switch (why) {
    case NoteKind::kSyn: return "syn";
    case NoteKind::kSynAck: return "syn-ack";
    case NoteKind::kHandshakeAck: return "ack";
    case NoteKind::kData: return "data";
    case NoteKind::kDataRetransmit: return "retransmission";
    case NoteKind::kTailLossProbe: return "tlp";
    case NoteKind::kAck: return "ack";
    case NoteKind::kAckOfProbe: return "keepalive-ack";
    case NoteKind::kKeepaliveProbe: return "keepalive-probe";
    case NoteKind::kDcdProbe: return "dcd-probe";
    case NoteKind::kKeepaliveGiveUpRst:
    case NoteKind::kRetransmitGiveUpRst:
    case NoteKind::kAbortRst:
    case NoteKind::kRstNoSocket:
    case NoteKind::kRstDataAfterClose:
    case NoteKind::kFirewallRstNoState:
    case NoteKind::kFirewallRstIdle: return "rst";
    case NoteKind::kFin: return "fin";
    default: return "other";
  }
}

const char* fate_name(Fate f) {
  switch (f) {
    case Fate::kAlive: return "alive";
    case Fate::kClosed: return "closed";
    case Fate::kReset: return "reset";
    case Fate::kTimedOut: return "timed-out";
    case Fate::kRefused: return "refused";
    case Fate::kNeverConnected: return "never-connected";
  }
  return "?";
}

namespace {
// fmt's own appender writes straight into the buffer; a back_insert_iterator
// of memory_buffer would go through a temporary buffer and a copy.
using Out = fmt::appender;
void put(fmt::memory_buffer& b, std::string_view v) { b.append(v.data(), v.data() + v.size()); }
void expired_phrase_to(fmt::memory_buffer& b, int64_t ns) {
  if (ns < 0) put(b, "never tracked");
  else fmt::format_to(Out(b), "expired at {}", Time::ns(ns));
}
// An address and port packed by pack_endpoint(), as tcpdump spells it.
void endpoint_phrase_to(fmt::memory_buffer& b, int64_t packed) {
  uint64_t v = static_cast<uint64_t>(packed);
  fmt::format_to(Out(b), "{}.{}", format_ipv4(static_cast<Ipv4>(v >> 16)), v & 0xFFFF);
}
}  // namespace

void describe_note_to(fmt::memory_buffer& b, NoteKind why, int64_t a, int64_t c, std::string_view origin) {
  Out o(b);
  switch (why) {
    case NoteKind::kNone: return;
    case NoteKind::kSyn:
      if (a == 0) put(b, "connect(): SYN");
      else fmt::format_to(o, "SYN retransmission {}", a);
      return;
    case NoteKind::kSynAck:
      if (a == 0) put(b, "SYN-ACK");
      else fmt::format_to(o, "SYN-ACK retransmission {}", a);
      return;
    case NoteKind::kHandshakeAck: put(b, "handshake ACK: connection established"); return;
    case NoteKind::kData: fmt::format_to(o, "data (application wrote {} bytes)", a); return;
    case NoteKind::kDataRetransmit:
      fmt::format_to(o, "retransmission {} (RTO {} expired)", a, format_duration(Time::us(c)));
      return;
    case NoteKind::kTailLossProbe: put(b, "tail loss probe: last segment sent again"); return;
    case NoteKind::kAck: put(b, "ACK"); return;
    case NoteKind::kAckOfProbe: put(b, "ACK answering a segment below the window (keepalive probe)"); return;
    case NoteKind::kDupAckRateLimited: put(b, "not answered: tcp_invalid_ratelimit"); return;
    case NoteKind::kKeepaliveProbe:
      if (c < 0) fmt::format_to(o, "keepalive probe {} (the abort interval decides)", a);
      else if (c > 0) fmt::format_to(o, "keepalive probe {}/{}", a, c);
      else fmt::format_to(o, "keepalive probe {} (TCP_USER_TIMEOUT decides)", a);
      return;
    case NoteKind::kKeepaliveGiveUpRst:
      fmt::format_to(o, "keepalive gave up after {} unanswered probe{}: RST, ETIMEDOUT", a, a == 1 ? "" : "s");
      return;
    case NoteKind::kRetransmitGiveUpRst: put(b, "retransmission gave up: RST, ETIMEDOUT"); return;
    case NoteKind::kFin: put(b, "close(): FIN"); return;
    case NoteKind::kAbortRst: put(b, "abortive close: RST"); return;
    case NoteKind::kRstNoSocket: put(b, "no socket for this segment: RST"); return;
    case NoteKind::kRstDataAfterClose: put(b, "data after the application closed: RST"); return;
    case NoteKind::kFirewallRstNoState:
      fmt::format_to(o, "{}: no state (", origin);
      expired_phrase_to(b, a);
      put(b, ") -> RST to sender");
      return;
    case NoteKind::kFirewallRstIdle: fmt::format_to(o, "{}: idle timeout -> RST", origin); return;
    case NoteKind::kDcdProbe:
      fmt::format_to(o, "{}: idle timeout -> dead connection probe {}/{}", origin, a, c);
      return;
    default: describe_fate_to(b, why, a); return;
  }
}

void describe_fate_to(fmt::memory_buffer& b, NoteKind fate, int64_t a) {
  switch (fate) {
    case NoteKind::kDropNoState:
      put(b, "dropped: no state (");
      expired_phrase_to(b, a);
      put(b, ")");
      return;
    case NoteKind::kFirewallRstNoState:
      put(b, "dropped: no state (");
      expired_phrase_to(b, a);
      put(b, "), RST sent back");
      return;
    case NoteKind::kDropHostFilter: put(b, "dropped by the host's input filter"); return;
    case NoteKind::kDropLinkDown: put(b, "lost: link down"); return;
    case NoteKind::kDropLinkLoss: put(b, "lost on the link"); return;
    case NoteKind::kDropHostDown: put(b, "lost: host is down"); return;
    case NoteKind::kDropOutOfWindow: put(b, "discarded: not acceptable"); return;
    case NoteKind::kDupAckRateLimited: put(b, "not answered (tcp_invalid_ratelimit)"); return;
    case NoteKind::kDropNoConnection: put(b, "discarded: no connection"); return;
    case NoteKind::kDcdAnswer: put(b, "answer to the box's probe: consumed"); return;
    case NoteKind::kDropTableFull: fmt::format_to(Out(b), "dropped: connection table full ({} entries)", a); return;
    case NoteKind::kDropBelowWindow: put(b, "dropped: below the tracked sequence window"); return;
    case NoteKind::kNatTranslated:
      put(b, "NAT (was ");
      endpoint_phrase_to(b, a);
      put(b, ")");
      return;
    case NoteKind::kPickedUp: put(b, "no state: picked up mid-stream as a new entry"); return;
    case NoteKind::kPickedUpNat:
      put(b, "no state: picked up mid-stream with a NEW NAT mapping (was ");
      endpoint_phrase_to(b, a);
      put(b, ")");
      return;
    case NoteKind::kNoRefresh: put(b, "passed; idle timer not refreshed"); return;
    case NoteKind::kUnknownTuple: put(b, "no socket for this 4-tuple"); return;
    default: return;
  }
}

std::string describe_note(NoteKind why, int64_t a, int64_t b, const std::string& origin) {
  fmt::memory_buffer buf;
  describe_note_to(buf, why, a, b, origin);
  return fmt::to_string(buf);
}

std::string describe_fate(NoteKind fate, int64_t a) {
  fmt::memory_buffer buf;
  describe_fate_to(buf, fate, a);
  return fmt::to_string(buf);
}

std::string format_record_text(const Scenario& s, const TraceRecord& r) {
  const Segment& g = r.seg;
  std::string line = fmt::format("{:>14} {:<8} {:<4} IP {}.{} > {}.{}: Flags [{}], seq {}", r.t,
                                 s.node_name(r.node), capture_dir_name(r.dir), format_ipv4(g.src), g.sport,
                                 format_ipv4(g.dst), g.dport, format_flags(g.flags), g.seq);
  if (g.len > 0) line += fmt::format(":{}", g.seq + g.len);
  if (g.has(tcp_flag::kAck)) line += fmt::format(", ack {}", g.ack);
  line += fmt::format(", win {}, length {}", g.window, g.len);
  std::string why = describe_note(r.why, r.why_a, r.why_b, std::string(s.node_name(r.origin)));
  std::string fate = describe_fate(r.fate, r.fate_a);
  if (!why.empty() || !fate.empty()) {
    line += "  # ";
    line += why;
    if (!why.empty() && !fate.empty()) line += "; ";
    line += fate;
  }
  return line;
}

std::string format_outcome_text(const Scenario& s, const ConnectionOutcome& o) {
  std::string line = fmt::format("{}: {}", o.name, fate_name(o.fate));
  if (!o.at.is_never()) line += fmt::format(" at {}", o.at);
  if (!o.killer.empty()) line += fmt::format(" (caused by {})", o.killer);
  if (o.half_open) line += ", half-open";
  for (int i = 0; i < 2; ++i) {
    const SideOutcome& so = o.side[i];
    const ConnectionSpec& c = s.connections[o.conn];
    const std::string& host = s.hosts[i == 0 ? c.client : c.server].name;
    line += fmt::format("\n  {} ({}): ", side_name(static_cast<Side>(i)), host);
    if (so.error != SocketError::kNone) {
      line += fmt::format("{} at {}", socket_error_name(so.error), so.error_at);
      if (!so.error_cause.empty()) line += fmt::format(" ({})", so.error_cause);
    } else if (!so.connected) {
      line += "never connected";
    } else {
      line += fmt::format("{}, no error seen", tcp_state_name(so.state));
      if (!so.orphan_gave_up_at.is_never())
        line += fmt::format(" (its application had closed it; retransmission gave up at {})", so.orphan_gave_up_at);
    }
    if (so.keepalive_probes > 0)
      line += fmt::format("; {} keepalive probe{} sent", so.keepalive_probes, so.keepalive_probes == 1 ? "" : "s");
  }
  return line;
}

std::string connection_label(const Scenario& s, uint32_t conn, uint32_t instance) {
  const ConnectionSpec& c = s.connections[conn];
  return c.is_fleet() ? fmt::format("{}#{}", c.name, instance) : c.name;
}

std::string format_fleet_text(const FleetOutcome& f) {
  std::string line = fmt::format("{} (fleet of {}):", f.name, f.count);
  const char* sep = " ";
  for (int i = 0; i < 6; ++i) {
    if (f.by_fate[i] == 0) continue;
    line += fmt::format("{}{} {}", sep, f.by_fate[i], fate_name(static_cast<Fate>(i)));
    sep = ", ";
  }
  if (f.half_open) line += fmt::format(" ({} half-open)", f.half_open);
  if (!f.first_end.is_never()) line += fmt::format("\n  first ended at {}, last at {}", f.first_end, f.last_end);
  for (const auto& [k, n] : f.killers) line += fmt::format("\n  caused by {}: {}", k, n);
  line += fmt::format("\n  keepalive probes sent: {} by clients, {} by servers", f.keepalive_probes[0],
                      f.keepalive_probes[1]);
  for (const FleetOsCounts& b : f.by_os) {
    std::string fates;
    for (int i = 0; i < 6; ++i)
      if (b.by_fate[i] != 0) fates += fmt::format("{}{} {}", fates.empty() ? "" : ", ", b.by_fate[i], fate_name(static_cast<Fate>(i)));
    line += fmt::format("\n  clients on {}: {}{}; keepalive probes {} by clients, {} by servers", b.os, b.count,
                        fates.empty() ? std::string() : " (" + fates + ")", b.keepalive_probes[0], b.keepalive_probes[1]);
  }
  return line;
}

// ------------------------------------------------------------------ text

void TextSink::begin(const Scenario& s) {
  scenario_ = &s;
  fmt::print(out_, "# kasim: scenario {} ({} simulated, seed {})\n", s.name, format_duration(s.duration), s.seed);
}

void TextSink::record(const TraceRecord& r) {
  std::string line = format_record_text(*scenario_, r);
  line += '\n';
  std::fputs(line.c_str(), out_);
}

void TextSink::outcome(const ConnectionOutcome& o) {
  if (!outcome_header_) {
    std::fputs("# outcomes\n", out_);
    outcome_header_ = true;
  }
  fmt::print(out_, "{}\n", format_outcome_text(*scenario_, o));
}

void TextSink::fleet(const FleetOutcome& f) {
  if (!outcome_header_) {
    std::fputs("# outcomes\n", out_);
    outcome_header_ = true;
  }
  fmt::print(out_, "{}\n", format_fleet_text(f));
}

void TextSink::sample(const SampleRecord& r) {
  const Scenario& s = *scenario_;
  std::string line = fmt::format("# sample {}:", r.t);
  for (size_t m = 0; m < r.middlebox_entries.size(); ++m)
    line += fmt::format(" {} {} entries;", s.middleboxes[m].name, r.middlebox_entries[m]);
  for (size_t l = 0; l < r.link_packets.size(); ++l)
    line += fmt::format(" {}-{} {} packets ({} keepalive) in {};", s.links[l].a, s.links[l].b, r.link_packets[l],
                        r.link_probes[l], format_duration(r.interval));
  line.back() = '\n';
  std::fputs(line.c_str(), out_);
}

void TextSink::end(const RunSummary& s) {
  fmt::print(out_, "# end of run at {}: {} packets\n", s.end, s.packets);
}

// ------------------------------------------------------------------ json

namespace {
// Writes JSON into space reserved beforehand. A packet record (the hot path
// of a traced run: one per packet per capture point) is mostly constant
// text and small integers, and appending them one by one through a buffer
// (a capacity check and an out-of-line copy each) was most of the cost of
// a JSON trace. The other records use the same writer through json_string()
// and json_time(), so each format has one spelling.
struct RawWriter {
  char* p;
  template <size_t N>
  void lit(const char (&text)[N]) {  // a string literal, copied with its length known
    std::memcpy(p, text, N - 1);
    p += N - 1;
  }
  void raw(std::string_view v) {
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
  template <typename Int>
  void num(Int v) {
    fmt::format_int f(v);
    raw(std::string_view(f.data(), f.size()));
  }
  // v as a JSON string literal, quotes included. REQUIRES room for 6 bytes
  // per character plus 2.
  void json(std::string_view v) {
    *p++ = '"';
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && c != '"' && c != '\\') {
        *p++ = c;
        continue;
      }
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\t': *p++ = 't'; break;
        case '\r': *p++ = 'r'; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          lit("u00");
          *p++ = kHex[u >> 4];
          *p++ = kHex[u & 15];
        }
      }
    }
    *p++ = '"';
  }
  void endpoint(Ipv4 a, uint16_t port) {  // "a.b.c.d:port", as format_ipv4() spells the address
    for (int shift = 24; shift >= 0; shift -= 8) {
      num((a >> shift) & 255);
      *p++ = shift > 0 ? '.' : ':';
    }
    num(port);
  }
  // Seconds with 6 decimals, as format_seconds_us(); "null" for never.
  // REQUIRES room for 32 bytes.
  void time(Time t) {
    if (t.is_never()) return lit("null");
    int64_t ns = t.count_ns();
    uint64_t us = (ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns)) / 1000;
    if (ns < 0) *p++ = '-';
    num(us / 1'000'000);
    char frac[7] = {'.', '0', '0', '0', '0', '0', '0'};
    for (uint64_t f = us % 1'000'000, i = 6; f != 0; f /= 10, --i) frac[i] = static_cast<char>('0' + f % 10);
    raw(std::string_view(frac, 7));
  }
};

std::string json_string(std::string_view v) {
  std::string out(2 + 6 * v.size(), '\0');
  RawWriter w{out.data()};
  w.json(v);
  out.resize(static_cast<size_t>(w.p - out.data()));
  return out;
}
std::string json_time(Time t) {
  char buf[32];
  RawWriter w{buf};
  w.time(t);
  return std::string(buf, w.p);
}
}  // namespace

// The run record also describes the topology, so that tools reading the
// JSON (plots/) need not parse the scenario: "nodes" in node order, each with
// its kind ("host" with os/address, "firewall" with its idle timeouts in
// seconds and on_expiry), and "connections" with the path their packets take.
void JsonSink::begin(const Scenario& s) {
  scenario_ = &s;
  std::string nodes;
  for (size_t i = 0; i < s.node_count(); ++i) {
    if (i) nodes += ",";
    if (i < s.hosts.size()) {
      const HostSpec& h = s.hosts[i];
      nodes += fmt::format("{{\"name\":{},\"kind\":\"host\",\"os\":{},\"address\":\"{}\"}}", json_string(h.name),
                           json_string(h.os->name), format_ipv4(h.address));
    } else {
      const MiddleboxSpec& m = s.middleboxes[i - s.hosts.size()];
      const FirewallConfig& f = m.firewall;
      nodes += fmt::format(
          "{{\"name\":{},\"kind\":\"firewall\",\"idle_timeout\":{},\"syn_timeout\":{},\"closing_timeout\":{},"
          "\"close_timeout\":{},\"on_expiry\":\"{}\"}}",
          json_string(m.name), json_time(f.established), json_time(f.syn), json_time(f.closing), json_time(f.closed),
          no_state_action_name(f.on_no_state));
    }
  }
  Topology topo(s.node_count());
  for (const LinkSpec& l : s.links) topo.add_link(s.node_index(l.a), s.node_index(l.b), l.delay);
  std::string conns;
  for (size_t c = 0; c < s.connections.size(); ++c) {
    const ConnectionSpec& cs = s.connections[c];
    std::string path;
    if (auto r = topo.shortest_route(cs.client, cs.server))
      for (size_t n : r->nodes) path += (path.empty() ? "" : ",") + json_string(s.node_name(n));
    conns += fmt::format("{}{{\"name\":{},\"client\":{},\"server\":{},\"path\":[{}]}}", c ? "," : "",
                         json_string(cs.name), json_string(s.hosts[cs.client].name),
                         json_string(s.hosts[cs.server].name), path);
  }
  fmt::format_to(Out(buf_), "{{\"type\":\"run\",\"scenario\":{},\"duration\":{},\"seed\":{},\"nodes\":[{}],"
             "\"connections\":[{}]}}\n",
             json_string(s.name), json_time(s.duration), s.seed, nodes, conns);
}


void JsonSink::record(const TraceRecord& r) {
  const Scenario& s = *scenario_;
  const Segment& g = r.seg;
  std::string_view origin = s.node_name(r.origin);
  std::string_view node = s.node_name(r.node);
  const ConnectionSpec& c = s.connections[r.conn];
  // The note and the fate are composed first, into their own scratch.
  note_.clear();
  describe_note_to(note_, r.why, r.why_a, r.why_b, origin);
  size_t note_size = note_.size();
  if (r.fate != NoteKind::kNone) describe_fate_to(note_, r.fate, r.fate_a);
  std::string_view note(note_.data(), note_size);
  std::string_view fate(note_.data() + note_size, note_.size() - note_size);
  // Bound: the constant text and numbers (under 512 bytes) and every string
  // escaped at worst (6 bytes per character).
  size_t bound = 512 + 6 * (origin.size() + node.size() + c.name.size() + note_.size());
  fmt::memory_buffer& b = buf_;
  size_t at = b.size();
  b.resize(at + bound);
  RawWriter w{b.data() + at};
  w.lit("{\"type\":\"packet\",\"t\":");
  w.time(r.t);
  w.lit(",\"t_ns\":");
  w.num(r.t.count_ns());
  w.lit(",\"node\":");
  w.json(node);
  w.lit(",\"dir\":\"");
  w.raw(capture_dir_name(r.dir));
  w.lit("\",\"connection\":");
  // connection_label() without the string: the fleet suffix "#N" needs no escaping.
  w.json(c.name);
  if (c.is_fleet()) {
    --w.p;
    *w.p++ = '#';
    w.num(r.instance);
    *w.p++ = '"';
  }
  w.lit(",\"src\":\"");
  w.endpoint(g.src, g.sport);
  w.lit("\",\"dst\":\"");
  w.endpoint(g.dst, g.dport);
  w.lit("\",\"flags\":\"");
  char* flags_at = w.p;
  if (g.flags & tcp_flag::kSyn) *w.p++ = 'S';
  if (g.flags & tcp_flag::kFin) *w.p++ = 'F';
  if (g.flags & tcp_flag::kPsh) *w.p++ = 'P';
  if (g.flags & tcp_flag::kRst) *w.p++ = 'R';
  if (g.flags & tcp_flag::kAck) *w.p++ = '.';
  if (w.p == flags_at) w.lit("none");  // as format_flags()
  w.lit("\",\"seq\":");
  w.num(g.seq);
  w.lit(",\"ack\":");
  if (g.has(tcp_flag::kAck)) w.num(g.ack);
  else w.lit("null");
  w.lit(",\"win\":");
  w.num(g.window);
  w.lit(",\"len\":");
  w.num(g.len);
  w.lit(",\"kind\":\"");
  w.raw(packet_kind(r.why));
  w.lit("\",\"origin\":");
  w.json(origin);
  w.lit(",\"note\":");
  w.json(note);
  w.lit(",\"fate\":");
  if (r.fate == NoteKind::kNone) w.lit("null");
  else w.json(fate);
  w.lit("}\n");
  b.resize(static_cast<size_t>(w.p - b.data()));
  if (b.size() >= kFlushAt) flush();
}

void JsonSink::flush() {
  if (buf_.size() == 0) return;
  std::fwrite(buf_.data(), 1, buf_.size(), out_);
  buf_.clear();
}

void JsonSink::outcome(const ConnectionOutcome& o) {
  std::string sides;
  for (int i = 0; i < 2; ++i) {
    const SideOutcome& so = o.side[i];
    sides += fmt::format(
        "{}\"{}\":{{\"state\":\"{}\",\"connected\":{},\"errno\":{},\"error_at\":{},\"cause\":{},"
        "\"orphan_gave_up_at\":{},\"keepalive_probes\":{}}}",
        i ? "," : "", side_name(static_cast<Side>(i)), tcp_state_name(so.state), so.connected ? "true" : "false",
        so.error == SocketError::kNone ? "null" : json_string(socket_error_name(so.error)), json_time(so.error_at),
        so.error_cause.empty() ? "null" : json_string(so.error_cause), json_time(so.orphan_gave_up_at),
        so.keepalive_probes);
  }
  fmt::format_to(Out(buf_), "{{\"type\":\"outcome\",\"connection\":{},\"fate\":\"{}\",\"at\":{},\"killer\":{},"
             "\"half_open\":{},{}}}\n",
             json_string(o.name), fate_name(o.fate), json_time(o.at),
             o.killer.empty() ? "null" : json_string(o.killer), o.half_open ? "true" : "false", sides);
}

void JsonSink::fleet(const FleetOutcome& f) {
  std::string fates, killers;
  for (int i = 0; i < 6; ++i)
    fates += fmt::format("{}\"{}\":{}", i ? "," : "", fate_name(static_cast<Fate>(i)), f.by_fate[i]);
  for (size_t i = 0; i < f.killers.size(); ++i)
    killers += fmt::format("{}{}:{}", i ? "," : "", json_string(f.killers[i].first), f.killers[i].second);
  std::string by_os;
  for (size_t k = 0; k < f.by_os.size(); ++k) {
    const FleetOsCounts& b = f.by_os[k];
    std::string os_fates;
    for (int i = 0; i < 6; ++i)
      os_fates += fmt::format("{}\"{}\":{}", i ? "," : "", fate_name(static_cast<Fate>(i)), b.by_fate[i]);
    by_os += fmt::format("{}{}:{{\"count\":{},\"fates\":{{{}}},\"keepalive_probes\":{{\"client\":{},\"server\":{}}}}}",
                         k ? "," : "", json_string(b.os), b.count, os_fates, b.keepalive_probes[0], b.keepalive_probes[1]);
  }
  if (!by_os.empty()) by_os = ",\"by_os\":{" + by_os + "}";
  fmt::format_to(Out(buf_),
             "{{\"type\":\"fleet\",\"connection\":{},\"count\":{},\"fates\":{{{}}},\"half_open\":{},"
             "\"first_end\":{},\"last_end\":{},\"killers\":{{{}}},\"keepalive_probes\":{{\"client\":{},\"server\":{}}}{}}}\n",
             json_string(f.name), f.count, fates, f.half_open, json_time(f.first_end), json_time(f.last_end), killers,
             f.keepalive_probes[0], f.keepalive_probes[1], by_os);
}

void JsonSink::sample(const SampleRecord& r) {
  const Scenario& s = *scenario_;
  std::string mbs, links;
  for (size_t m = 0; m < r.middlebox_entries.size(); ++m)
    mbs += fmt::format("{}{}:{}", m ? "," : "", json_string(s.middleboxes[m].name), r.middlebox_entries[m]);
  for (size_t l = 0; l < r.link_packets.size(); ++l)
    links += fmt::format("{}{}:{{\"packets\":{},\"keepalive\":{}}}", l ? "," : "",
                         json_string(s.links[l].a + "-" + s.links[l].b), r.link_packets[l], r.link_probes[l]);
  fmt::format_to(Out(buf_), "{{\"type\":\"sample\",\"t\":{},\"interval\":{},\"middleboxes\":{{{}}},\"links\":{{{}}}}}\n",
             json_time(r.t), json_time(r.interval), mbs, links);
}

void JsonSink::end(const RunSummary& s) {
  fmt::format_to(Out(buf_), "{{\"type\":\"end\",\"t\":{},\"packets\":{}}}\n", json_time(s.end), s.packets);
  flush();
}

}  // namespace kasim
