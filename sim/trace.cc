#include "kasim/trace.h"

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
std::string expired_phrase(int64_t ns) {
  if (ns < 0) return "never tracked";
  return fmt::format("expired at {}", Time::ns(ns));
}
// An address and port packed by pack_endpoint(), as tcpdump spells it.
std::string endpoint_phrase(int64_t packed) {
  uint64_t v = static_cast<uint64_t>(packed);
  return fmt::format("{}.{}", format_ipv4(static_cast<Ipv4>(v >> 16)), v & 0xFFFF);
}
}  // namespace

std::string describe_note(NoteKind why, int64_t a, int64_t b, const std::string& origin) {
  switch (why) {
    case NoteKind::kNone: return "";
    case NoteKind::kSyn: return a == 0 ? "connect(): SYN" : fmt::format("SYN retransmission {}", a);
    case NoteKind::kSynAck: return a == 0 ? "SYN-ACK" : fmt::format("SYN-ACK retransmission {}", a);
    case NoteKind::kHandshakeAck: return "handshake ACK: connection established";
    case NoteKind::kData: return fmt::format("data (application wrote {} bytes)", a);
    case NoteKind::kDataRetransmit:
      return fmt::format("retransmission {} (RTO {} expired)", a, format_duration(Time::us(b)));
    case NoteKind::kTailLossProbe: return "tail loss probe: last segment sent again";
    case NoteKind::kAck: return "ACK";
    case NoteKind::kAckOfProbe: return "ACK answering a segment below the window (keepalive probe)";
    case NoteKind::kDupAckRateLimited: return "not answered: tcp_invalid_ratelimit";
    case NoteKind::kKeepaliveProbe:
      if (b < 0) return fmt::format("keepalive probe {} (the abort interval decides)", a);
      return b > 0 ? fmt::format("keepalive probe {}/{}", a, b)
                   : fmt::format("keepalive probe {} (TCP_USER_TIMEOUT decides)", a);
    case NoteKind::kKeepaliveGiveUpRst:
      return fmt::format("keepalive gave up after {} unanswered probe{}: RST, ETIMEDOUT", a, a == 1 ? "" : "s");
    case NoteKind::kRetransmitGiveUpRst: return "retransmission gave up: RST, ETIMEDOUT";
    case NoteKind::kFin: return "close(): FIN";
    case NoteKind::kAbortRst: return "abortive close: RST";
    case NoteKind::kRstNoSocket: return "no socket for this segment: RST";
    case NoteKind::kRstDataAfterClose: return "data after the application closed: RST";
    case NoteKind::kFirewallRstNoState:
      return fmt::format("{}: no state ({}) -> RST to sender", origin, expired_phrase(a));
    case NoteKind::kFirewallRstIdle: return fmt::format("{}: idle timeout -> RST", origin);
    case NoteKind::kDcdProbe: return fmt::format("{}: idle timeout -> dead connection probe {}/{}", origin, a, b);
    default: return describe_fate(why, a);
  }
}

std::string describe_fate(NoteKind fate, int64_t a) {
  switch (fate) {
    case NoteKind::kDropNoState: return fmt::format("dropped: no state ({})", expired_phrase(a));
    case NoteKind::kFirewallRstNoState: return fmt::format("dropped: no state ({}), RST sent back", expired_phrase(a));
    case NoteKind::kDropHostFilter: return "dropped by the host's input filter";
    case NoteKind::kDropLinkDown: return "lost: link down";
    case NoteKind::kDropLinkLoss: return "lost on the link";
    case NoteKind::kDropHostDown: return "lost: host is down";
    case NoteKind::kDropOutOfWindow: return "discarded: not acceptable";
    case NoteKind::kDupAckRateLimited: return "not answered (tcp_invalid_ratelimit)";
    case NoteKind::kDropNoConnection: return "discarded: no connection";
    case NoteKind::kDcdAnswer: return "answer to the box's probe: consumed";
    case NoteKind::kDropTableFull: return fmt::format("dropped: connection table full ({} entries)", a);
    case NoteKind::kDropBelowWindow: return "dropped: below the tracked sequence window";
    case NoteKind::kNatTranslated: return fmt::format("NAT (was {})", endpoint_phrase(a));
    case NoteKind::kPickedUp: return "no state: picked up mid-stream as a new entry";
    case NoteKind::kPickedUpNat:
      return fmt::format("no state: picked up mid-stream with a NEW NAT mapping (was {})", endpoint_phrase(a));
    case NoteKind::kNoRefresh: return "passed; idle timer not refreshed";
    case NoteKind::kUnknownTuple: return "no socket for this 4-tuple";
    default: return "";
  }
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
std::string json_string(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += c;
    }
  }
  return out + "\"";
}
std::string json_time(Time t) { return t.is_never() ? "null" : format_seconds_us(t); }
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
  fmt::print(out_, "{{\"type\":\"run\",\"scenario\":{},\"duration\":{},\"seed\":{},\"nodes\":[{}],"
             "\"connections\":[{}]}}\n",
             json_string(s.name), json_time(s.duration), s.seed, nodes, conns);
}

void JsonSink::record(const TraceRecord& r) {
  const Scenario& s = *scenario_;
  const Segment& g = r.seg;
  std::string origin(s.node_name(r.origin));
  fmt::print(out_,
             "{{\"type\":\"packet\",\"t\":{},\"t_ns\":{},\"node\":{},\"dir\":\"{}\",\"connection\":{},"
             "\"src\":\"{}:{}\",\"dst\":\"{}:{}\",\"flags\":\"{}\",\"seq\":{},\"ack\":{},\"win\":{},\"len\":{},"
             "\"kind\":\"{}\",\"origin\":{},\"note\":{},\"fate\":{}}}\n",
             json_time(r.t), r.t.count_ns(), json_string(s.node_name(r.node)), capture_dir_name(r.dir),
             json_string(connection_label(s, r.conn, r.instance)), format_ipv4(g.src), g.sport, format_ipv4(g.dst), g.dport,
             format_flags(g.flags), g.seq, g.has(tcp_flag::kAck) ? fmt::format("{}", g.ack) : "null", g.window,
             g.len, packet_kind(r.why), json_string(origin), json_string(describe_note(r.why, r.why_a, r.why_b, origin)),
             r.fate == NoteKind::kNone ? "null" : json_string(describe_fate(r.fate, r.fate_a)));
}

void JsonSink::outcome(const ConnectionOutcome& o) {
  std::string sides;
  for (int i = 0; i < 2; ++i) {
    const SideOutcome& so = o.side[i];
    sides += fmt::format(
        "{}\"{}\":{{\"state\":\"{}\",\"connected\":{},\"errno\":{},\"error_at\":{},\"cause\":{},"
        "\"keepalive_probes\":{}}}",
        i ? "," : "", side_name(static_cast<Side>(i)), tcp_state_name(so.state), so.connected ? "true" : "false",
        so.error == SocketError::kNone ? "null" : json_string(socket_error_name(so.error)), json_time(so.error_at),
        so.error_cause.empty() ? "null" : json_string(so.error_cause), so.keepalive_probes);
  }
  fmt::print(out_, "{{\"type\":\"outcome\",\"connection\":{},\"fate\":\"{}\",\"at\":{},\"killer\":{},"
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
  fmt::print(out_,
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
  fmt::print(out_, "{{\"type\":\"sample\",\"t\":{},\"interval\":{},\"middleboxes\":{{{}}},\"links\":{{{}}}}}\n",
             json_time(r.t), json_time(r.interval), mbs, links);
}

void JsonSink::end(const RunSummary& s) {
  fmt::print(out_, "{{\"type\":\"end\",\"t\":{},\"packets\":{}}}\n", json_time(s.end), s.packets);
}

}  // namespace kasim
