#include "kasim/lab.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include <fmt/format.h>

#include "kasim/topology.h"

namespace kasim {

namespace {

// Flags compared: FIN SYN RST PSH ACK URG (not ECE/CWR, which kasim does not model).
constexpr uint8_t kComparedFlags = 0x3f;

bool same_header(const Segment& a, const Segment& b) {
  return a.src == b.src && a.dst == b.dst && a.sport == b.sport && a.dport == b.dport && a.seq == b.seq &&
         a.ack == b.ack && a.len == b.len && (a.flags & kComparedFlags) == (b.flags & kComparedFlags);
}

std::optional<uint32_t> connection_of(const Scenario& s, const std::vector<uint16_t>& client_ports,
                                      const Segment& g) {
  for (size_t c = 0; c < s.connections.size() && c < client_ports.size(); ++c) {
    const ConnectionSpec& cs = s.connections[c];
    Ipv4 ca = s.hosts[cs.client].address, sa = s.hosts[cs.server].address;
    uint16_t cp = client_ports[c], sp = cs.port;
    if ((g.src == ca && g.sport == cp && g.dst == sa && g.dport == sp) ||
        (g.src == sa && g.sport == sp && g.dst == ca && g.dport == cp))
      return static_cast<uint32_t>(c);
  }
  return std::nullopt;
}

Time abs_time(Time t) { return t < Time() ? Time() - t : t; }

struct Key {
  uint32_t node, conn;
  CaptureDir dir;
  bool from_client;
  uint8_t flags;
  uint32_t rseq;
  bool has_ack;
  uint32_t rack;
  uint32_t len;
  bool operator==(const Key&) const = default;
};

Key key_of(const Scenario& s, const LabRecord& r, const std::vector<Isns>& isns) {
  const ConnectionSpec& cs = s.connections[r.conn];
  bool from_client = r.seg.src == s.hosts[cs.client].address;
  const Isns& i = isns[r.conn];
  uint32_t own = (from_client ? i.client : i.server).value_or(0);
  uint32_t peer = (from_client ? i.server : i.client).value_or(0);
  bool has_ack = r.seg.has(tcp_flag::kAck);
  return Key{r.node, r.conn, r.dir, from_client, static_cast<uint8_t>(r.seg.flags & kComparedFlags),
             r.seg.seq - own, has_ack, has_ack ? r.seg.ack - peer : 0, r.seg.len};
}

std::vector<Isns> all_isns(const Scenario& s, const std::vector<LabRecord>& recs) {
  std::vector<Isns> out;
  for (size_t c = 0; c < s.connections.size(); ++c)
    out.push_back(isns_of(recs, static_cast<uint32_t>(c), s.hosts[s.connections[c].client].address));
  return out;
}

std::string describe_packet(const Scenario& s, const LabRecord& r, const Key& k) {
  const ConnectionSpec& cs = s.connections[r.conn];
  std::string from = s.hosts[k.from_client ? cs.client : cs.server].name;
  std::string to = s.hosts[k.from_client ? cs.server : cs.client].name;
  std::string text = fmt::format("{}>{} [{}] seq {}", from, to, format_flags(k.flags), k.rseq);
  if (k.len > 0) text += fmt::format(":{}", k.rseq + k.len);
  if (k.has_ack) text += fmt::format(" ack {}", k.rack);
  text += fmt::format(" len {}", k.len);
  return text;
}

std::string signed_ms(Time d) {
  int64_t ns = d.count_ns();
  int64_t a = ns < 0 ? -ns : ns;
  return fmt::format("{}{}.{:03d}", ns < 0 ? '-' : '+', a / 1'000'000, (a / 1000) % 1000);
}

}  // namespace

const char* lab_verdict_name(LabVerdict v) {
  switch (v) {
    case LabVerdict::kMatch: return "ok";
    case LabVerdict::kTimeOff: return "TIME";
    case LabVerdict::kMissing: return "MISSING";
    case LabVerdict::kExtra: return "EXTRA";
  }
  return "?";
}

std::vector<LabRecord> classify_captures(const Scenario& s, const std::vector<uint16_t>& client_ports,
                                         std::vector<CapturedPacket> packets) {
  std::stable_sort(packets.begin(), packets.end(),
                   [](const CapturedPacket& a, const CapturedPacket& b) { return a.t < b.t; });
  std::vector<LabRecord> out;
  // Packets a node neither sent nor received as an end point, per node.
  std::vector<std::vector<size_t>> transit(s.node_count());
  for (size_t i = 0; i < packets.size(); ++i) {
    const CapturedPacket& p = packets[i];
    auto conn = connection_of(s, client_ports, p.seg);
    if (!conn || p.node >= s.node_count()) continue;
    bool host = p.node < s.hosts.size();
    Ipv4 own = host ? s.hosts[p.node].address : 0;
    if (host && p.outgoing && p.seg.src == own) {
      out.push_back({p.t, p.node, *conn, CaptureDir::kOut, p.seg, {}});
    } else if (host && !p.outgoing && p.seg.dst == own) {
      out.push_back({p.t, p.node, *conn, CaptureDir::kIn, p.seg, {}});
    } else {
      transit[p.node].push_back(i);
    }
  }
  // Pair each received transit packet with the first later sent one with the
  // same header: a forwarded packet leaves within microseconds.
  constexpr Time kForwardWindow = Time::ms(100);
  for (auto& list : transit) {
    std::vector<bool> used(list.size(), false);
    for (size_t a = 0; a < list.size(); ++a) {
      const CapturedPacket& in = packets[list[a]];
      if (in.outgoing) continue;
      auto conn = connection_of(s, client_ports, in.seg);
      bool forwarded = false;
      for (size_t b = 0; b < list.size(); ++b) {
        const CapturedPacket& o = packets[list[b]];
        if (used[b] || !o.outgoing || o.t < in.t || o.t - in.t > kForwardWindow) continue;
        if (!same_header(in.seg, o.seg)) continue;
        used[b] = true;
        forwarded = true;
        break;
      }
      used[a] = true;
      out.push_back({in.t, in.node, *conn, forwarded ? CaptureDir::kForward : CaptureDir::kDrop, in.seg, {}});
    }
    for (size_t b = 0; b < list.size(); ++b) {
      if (used[b]) continue;
      const CapturedPacket& o = packets[list[b]];
      out.push_back({o.t, o.node, *connection_of(s, client_ports, o.seg), CaptureDir::kOut, o.seg, {}});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LabRecord& a, const LabRecord& b) { return a.t < b.t; });
  return out;
}

std::vector<LabRecord> predicted_records(const Scenario& s, const std::vector<TraceRecord>& records) {
  std::vector<LabRecord> out;
  out.reserve(records.size());
  for (const TraceRecord& r : records) {
    std::string origin(s.node_name(r.origin));
    std::string note = describe_note(r.why, r.why_a, r.why_b, origin);
    std::string fate = describe_fate(r.fate, r.fate_a);
    if (!note.empty() && !fate.empty()) note += "; ";
    note += fate;
    out.push_back({r.t, r.node, r.conn, r.dir, r.seg, std::move(note)});
  }
  return out;
}

Isns isns_of(const std::vector<LabRecord>& records, uint32_t conn, Ipv4 client_addr) {
  Isns i;
  for (const LabRecord& r : records) {
    if (r.conn != conn || !r.seg.has(tcp_flag::kSyn)) continue;
    if (!r.seg.has(tcp_flag::kAck) && r.seg.src == client_addr && !i.client) i.client = r.seg.seq;
    if (r.seg.has(tcp_flag::kAck) && r.seg.dst == client_addr && !i.server) i.server = r.seg.seq;
  }
  return i;
}

LabComparison compare_traces(const Scenario& s, const std::vector<LabRecord>& predicted,
                             const std::vector<LabRecord>& real, Time tolerance) {
  std::vector<Isns> pi = all_isns(s, predicted), ri = all_isns(s, real);
  std::vector<Key> pk, rk;
  for (const LabRecord& r : predicted) pk.push_back(key_of(s, r, pi));
  for (const LabRecord& r : real) rk.push_back(key_of(s, r, ri));

  std::vector<std::optional<size_t>> p_to_r(predicted.size());
  std::vector<bool> r_used(real.size(), false);
  std::vector<bool> off(predicted.size(), false);
  // 1: pairs within the tolerance, nearest first.
  std::vector<std::tuple<Time, size_t, size_t>> close;
  for (size_t p = 0; p < predicted.size(); ++p)
    for (size_t r = 0; r < real.size(); ++r)
      if (pk[p] == rk[r] && abs_time(real[r].t - predicted[p].t) <= tolerance)
        close.emplace_back(abs_time(real[r].t - predicted[p].t), p, r);
  std::sort(close.begin(), close.end());
  for (const auto& [d, p, r] : close) {
    if (p_to_r[p] || r_used[r]) continue;
    p_to_r[p] = r;
    r_used[r] = true;
  }
  // 2: leftovers with equal headers, in order.
  for (size_t p = 0; p < predicted.size(); ++p) {
    if (p_to_r[p]) continue;
    for (size_t r = 0; r < real.size(); ++r) {
      if (r_used[r] || !(pk[p] == rk[r])) continue;
      p_to_r[p] = r;
      r_used[r] = true;
      off[p] = true;
      break;
    }
  }
  LabComparison c;
  for (size_t p = 0; p < predicted.size(); ++p) {
    LabRow row;
    row.predicted = p;
    row.real = p_to_r[p];
    if (!p_to_r[p]) {
      row.verdict = LabVerdict::kMissing;
      ++c.missing;
    } else {
      c.worst = std::max(c.worst, abs_time(real[*p_to_r[p]].t - predicted[p].t));
      row.verdict = off[p] ? LabVerdict::kTimeOff : LabVerdict::kMatch;
      ++(off[p] ? c.time_off : c.matched);
    }
    c.rows.push_back(row);
  }
  for (size_t r = 0; r < real.size(); ++r) {
    if (r_used[r]) continue;
    c.rows.push_back(LabRow{LabVerdict::kExtra, std::nullopt, r});
    ++c.extra;
  }
  auto when = [&](const LabRow& row) { return row.predicted ? predicted[*row.predicted].t : real[*row.real].t; };
  std::stable_sort(c.rows.begin(), c.rows.end(), [&](const LabRow& a, const LabRow& b) { return when(a) < when(b); });
  return c;
}

std::vector<LabAppEvent> predicted_app_events(const std::vector<ConnectionOutcome>& outcomes) {
  std::vector<LabAppEvent> out;
  for (const ConnectionOutcome& o : outcomes)
    for (int i = 0; i < 2; ++i) {
      const SideOutcome& so = o.side[i];
      if (so.error != SocketError::kNone)
        out.push_back({o.conn, static_cast<Side>(i), socket_error_name(so.error), so.error_at});
      if (!so.eof_at.is_never()) out.push_back({o.conn, static_cast<Side>(i), "EOF", so.eof_at});
    }
  return out;
}

std::vector<LabAppRow> compare_app_events(const Scenario& s, const std::vector<LabAppEvent>& predicted,
                                          const std::vector<LabAppEvent>& real, Time tolerance) {
  auto first = [](const std::vector<LabAppEvent>& evs, uint32_t conn, Side side) {
    std::optional<LabAppEvent> f;
    for (const LabAppEvent& e : evs)
      if (e.conn == conn && e.side == side && (!f || e.t < f->t)) f = e;
    return f;
  };
  std::vector<LabAppRow> rows;
  for (uint32_t c = 0; c < s.connections.size(); ++c)
    for (Side side : {Side::kClient, Side::kServer}) {
      LabAppRow row{c, side, first(predicted, c, side), first(real, c, side), false};
      if (!row.predicted && !row.real) row.ok = true;
      else if (row.predicted && row.real)
        row.ok = row.predicted->what == row.real->what && abs_time(row.real->t - row.predicted->t) <= tolerance;
      rows.push_back(std::move(row));
    }
  return rows;
}

std::string conntrack_refusal(const FirewallConfig& f) {
  const char* beyond = nullptr;
  if (f.nat.enabled) beyond = "NAT";
  else if (f.on_idle != IdleAction::kForget) beyond = "an action at idle expiry (reset-both, probe)";
  else if (f.refresh_on != RefreshOn::kAny || f.refresh_from != Sides::kBoth) beyond = "a refresh policy";
  else if (f.pickup == Pickup::kFromClient || f.pickup == Pickup::kFromServer) beyond = "one-sided pickup";
  else if (f.window_check != WindowCheck::kOff) beyond = "a sequence-window check";
  else if (f.max_entries != 0) beyond = "a table capacity";
  else if (f.adaptive_start != 0) beyond = "adaptive timeouts";
  else if (f.reset_style != ResetStyle::kRfc9293 || f.reset_senders != Sides::kBoth) beyond = "a non-standard RST";
  if (beyond != nullptr)
    return fmt::format("{} is not re-enacted by the lab (it writes a conntrack firewall that accepts tracked "
                       "flows and drops or resets the rest)", beyond);
  std::vector<std::pair<const char*, Time>> timeouts{{"idle_timeout", f.established}, {"syn_timeout", f.syn},
                                                     {"fin_timeout", f.closing}, {"time_wait_timeout", f.time_wait},
                                                     {"close_timeout", f.closed}};
  if (f.pickup == Pickup::kLoose && !f.pickup_timeout.is_never()) timeouts.emplace_back("pickup_timeout", f.pickup_timeout);
  if (f.max_retrans > 0) timeouts.emplace_back("retrans_timeout", f.retrans_timeout);
  // The kernel keeps them in jiffies in an int: stay below 2^31 jiffies at HZ=1000.
  constexpr Time kLongest = Time::s(2'000'000);
  for (const auto& [name, t] : timeouts) {
    if (t.is_never()) return fmt::format("{}: conntrack has no 'never' timeout", name);
    if (t % Time::s(1) != Time() || t < Time::s(1) || t > kLongest)
      return fmt::format("{}: conntrack timeouts are whole seconds from 1s to {}s, got {}", name,
                         kLongest.count_s(), format_duration(t));
  }
  return {};
}

std::vector<LabSysctl> conntrack_sysctls(const FirewallConfig& f) {
  const std::string p = "nf_conntrack_tcp_";
  Time longest = std::max({f.established, f.syn, f.closing, f.time_wait, f.closed});
  Time retrans = f.max_retrans > 0 ? f.retrans_timeout : longest;
  Time unack = f.pickup == Pickup::kLoose && !f.pickup_timeout.is_never() ? f.pickup_timeout : longest;
  return {
      {p + "loose", f.pickup == Pickup::kLoose ? 1 : 0},
      {p + "timeout_syn_sent", f.syn.count_s()},
      {p + "timeout_syn_recv", f.syn.count_s()},
      {p + "timeout_established", f.established.count_s()},
      {p + "timeout_fin_wait", f.closing.count_s()},
      {p + "timeout_close_wait", f.closing.count_s()},
      {p + "timeout_last_ack", f.closing.count_s()},
      {p + "timeout_time_wait", f.time_wait.count_s()},
      {p + "timeout_close", f.closed.count_s()},
      // tcp_max_retrans is a u8; 255 identical packets in a row do not happen in a lab run.
      {p + "max_retrans", f.max_retrans > 0 ? f.max_retrans : 255},
      {p + "timeout_max_retrans", retrans.count_s()},
      {p + "timeout_unacknowledged", unack.count_s()},
  };
}

std::vector<std::vector<Time>> link_transits(const Scenario& s, const std::vector<LabRecord>& records) {
  Topology topo(s.node_count());
  for (const LinkSpec& l : s.links) topo.add_link(s.node_index(l.a), s.node_index(l.b), l.delay);
  std::vector<std::optional<Route>> routes;
  for (const ConnectionSpec& c : s.connections) routes.push_back(topo.shortest_route(c.client, c.server));
  std::vector<std::vector<Time>> out(s.links.size());
  std::vector<bool> used(records.size(), false);
  for (size_t i = 0; i < records.size(); ++i) {
    const LabRecord& dep = records[i];
    if ((dep.dir != CaptureDir::kOut && dep.dir != CaptureDir::kForward) || dep.conn >= routes.size() ||
        !routes[dep.conn])
      continue;
    const Route& r = *routes[dep.conn];
    bool towards_server = dep.seg.src == s.hosts[s.connections[dep.conn].client].address;
    auto at = std::find(r.nodes.begin(), r.nodes.end(), dep.node);
    if (at == r.nodes.end()) continue;
    size_t pos = static_cast<size_t>(at - r.nodes.begin());
    if (towards_server ? pos + 1 >= r.nodes.size() : pos == 0) continue;
    size_t next = towards_server ? r.nodes[pos + 1] : r.nodes[pos - 1];
    size_t link = towards_server ? r.links[pos] : r.links[pos - 1];
    Time window = s.links[link].delay + Time::s(1);
    for (size_t j = 0; j < records.size(); ++j) {
      const LabRecord& arr = records[j];
      if (used[j] || arr.node != next || arr.dir == CaptureDir::kOut || arr.t < dep.t || arr.t - dep.t > window ||
          !same_header(arr.seg, dep.seg))
        continue;
      used[j] = true;
      out[link].push_back(arr.t - dep.t);
      break;
    }
  }
  return out;
}

Time median_time(std::vector<Time> v) {
  if (v.empty()) return Time();
  auto mid = v.begin() + static_cast<std::ptrdiff_t>((v.size() - 1) / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

std::string format_lab_report(const Scenario& s, const std::vector<LabRecord>& predicted,
                              const std::vector<LabRecord>& real, const LabComparison& c,
                              const std::vector<LabAppRow>& app, Time tolerance) {
  std::vector<Isns> pi = all_isns(s, predicted), ri = all_isns(s, real);
  std::string out = fmt::format("{:>14} {:>14} {:>9}  {:<8} {:<4}  {:<44} {}\n", "predicted", "real", "diff ms",
                                "node", "dir", "packet (seq/ack relative to ISNs)", "verdict");
  for (const LabRow& row : c.rows) {
    const LabRecord& any = row.predicted ? predicted[*row.predicted] : real[*row.real];
    Key k = row.predicted ? key_of(s, any, pi) : key_of(s, any, ri);
    std::string pt = row.predicted ? fmt::format("{}", predicted[*row.predicted].t) : "-";
    std::string rt = row.real ? fmt::format("{}", real[*row.real].t) : "-";
    std::string diff = row.predicted && row.real ? signed_ms(real[*row.real].t - predicted[*row.predicted].t) : "";
    std::string line = fmt::format("{:>14} {:>14} {:>9}  {:<8} {:<4}  {:<44} {}", pt, rt, diff,
                                   s.node_name(any.node), capture_dir_name(any.dir), describe_packet(s, any, k),
                                   lab_verdict_name(row.verdict));
    if (row.predicted && !predicted[*row.predicted].note.empty()) line += "  # " + predicted[*row.predicted].note;
    out += line + "\n";
  }
  out += "# applications\n";
  bool app_ok = true;
  for (const LabAppRow& row : app) {
    auto show = [](const std::optional<LabAppEvent>& e) {
      return e ? fmt::format("{} at {}", e->what, e->t) : std::string("nothing");
    };
    std::string diff = row.predicted && row.real ? " (" + signed_ms(row.real->t - row.predicted->t) + " ms)" : "";
    const ConnectionSpec& cs = s.connections[row.conn];
    out += fmt::format("  {} {} ({}): predicted {}, real {}{}  {}\n", cs.name, side_name(row.side),
                       s.hosts[row.side == Side::kClient ? cs.client : cs.server].name, show(row.predicted),
                       show(row.real), diff, row.ok ? "ok" : "MISMATCH");
    app_ok = app_ok && row.ok;
  }
  size_t paired = c.matched + c.time_off;
  out += fmt::format(
      "# verdict: {}: {} predicted packets, {} matched within {} ms, {} outside it, {} missing, {} extra; "
      "worst time difference {} ms{}\n",
      c.ok() && app_ok ? "MATCH" : "MISMATCH", predicted.size(), c.matched, signed_ms(tolerance).substr(1),
      c.time_off, c.missing, c.extra, paired ? signed_ms(c.worst).substr(1) : std::string("-"),
      app_ok ? "" : "; applications differ");
  return out;
}

}  // namespace kasim
