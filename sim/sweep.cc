#include "kasim/sweep.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include "kasim/rng.h"
#include "kasim/simulator.h"
#include "kasim/trace.h"

namespace kasim {
namespace {

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr uint64_t kMaxPoints = 100'000'000;

// A CSV field: quoted when it holds a comma, quote or newline.
std::string csv(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else o += c;
    }
  }
  return o + "\"";
}

// Per connection (or fleet) of one run: what a row reports.
struct ConnRow {
  std::string name;
  std::string fate;        // fate name; a fleet: "alive=90;reset=10"
  Time at = Time::never(); // time of death (or close); a fleet: the last one
  std::string killer;
  uint64_t probes = 0;     // keepalive probes sent by both ends
  uint64_t packets = 0;    // packets the connection's ends sent
  uint64_t bytes = 0;      // their IP-level bytes (40-byte headers, no options, plus payload)
};

// Collects outcomes and counts what the endpoints send; formats nothing.
class RowSink : public TraceSink {
 public:
  explicit RowSink(const Scenario& s) : s_(s), sent_(s.connections.size()) {}
  void record(const TraceRecord& r) override {
    // A packet leaving the host that made it, counted once.
    if (r.dir == CaptureDir::kOut && r.node == r.origin && r.node < s_.hosts.size()) {
      sent_[r.conn].first += 1;
      sent_[r.conn].second += 40 + r.seg.len;
    }
  }
  void outcome(const ConnectionOutcome& o) override {
    ConnRow c;
    c.name = o.name;
    c.fate = fate_name(o.fate);
    c.at = o.fate == Fate::kAlive ? Time::never() : o.at;
    c.killer = o.killer;
    c.probes = static_cast<uint64_t>(o.side[0].keepalive_probes + o.side[1].keepalive_probes);
    c.packets = sent_[o.conn].first;
    c.bytes = sent_[o.conn].second;
    rows.push_back(std::move(c));
  }
  void fleet(const FleetOutcome& f) override {
    ConnRow c;
    c.name = f.name;
    for (int i = 0; i < 6; ++i)
      if (f.by_fate[i] != 0)
        c.fate += fmt::format("{}{}={}", c.fate.empty() ? "" : ";", fate_name(static_cast<Fate>(i)), f.by_fate[i]);
    c.at = f.last_end;
    for (const auto& [k, n] : f.killers) c.killer += fmt::format("{}{}={}", c.killer.empty() ? "" : ";", k, n);
    c.probes = f.keepalive_probes[0] + f.keepalive_probes[1];
    c.packets = sent_[f.spec].first;
    c.bytes = sent_[f.spec].second;
    rows.push_back(std::move(c));
  }
  std::vector<ConnRow> rows;

 private:
  const Scenario& s_;
  std::vector<std::pair<uint64_t, uint64_t>> sent_;
};

std::string format_row(const SweepOptions& o, uint64_t index, const std::vector<std::string>& values,
                       const std::vector<ConnRow>& conns, size_t columns, const std::string& error) {
  auto at = [](Time t) { return t.is_never() ? std::string() : format_seconds_us(t); };
  std::string line;
  if (o.format == SweepFormat::kCsv) {
    line = fmt::format("{}", index);
    for (const std::string& v : values) line += "," + csv(v);
    for (size_t i = 0; i < columns; ++i) {
      if (i < conns.size()) {
        const ConnRow& c = conns[i];
        line += fmt::format(",{},{},{},{},{},{}", csv(c.fate), at(c.at), csv(c.killer), c.probes, c.packets, c.bytes);
      } else {
        line += ",,,,,,";
      }
    }
    line += "," + csv(error) + "\n";
    return line;
  }
  line = fmt::format("{{\"index\":{},\"values\":{{", index);
  for (size_t i = 0; i < values.size(); ++i)
    line += fmt::format("{}{}:{}", i ? "," : "", json_string(o.axes[i].key), json_string(values[i]));
  line += "},\"connections\":[";
  for (size_t i = 0; i < conns.size(); ++i) {
    const ConnRow& c = conns[i];
    line += fmt::format("{}{{\"name\":{},\"fate\":{},\"at\":{},\"killer\":{},\"probes\":{},\"packets\":{},\"bytes\":{}}}",
                        i ? "," : "", json_string(c.name), json_string(c.fate),
                        c.at.is_never() ? std::string("null") : at(c.at), json_string(c.killer), c.probes, c.packets, c.bytes);
  }
  line += "]";
  if (!error.empty()) line += ",\"error\":" + json_string(error);
  return line + "}\n";
}

std::vector<Override> overrides_for(const SweepOptions& o, const std::vector<std::string>& values) {
  std::vector<Override> ov = o.sets;
  for (size_t i = 0; i < values.size(); ++i) ov.push_back(Override{o.axes[i].key, values[i]});
  return ov;
}

void draw_progress(std::FILE* err, uint64_t done, uint64_t total) {
  constexpr int kWidth = 40;
  int filled = total ? static_cast<int>(done * kWidth / total) : kWidth;
  fmt::print(err, "\r[{}{}] {}/{}", std::string(static_cast<size_t>(filled), '#'),
             std::string(static_cast<size_t>(kWidth - filled), ' '), done, total);
  if (done == total) fmt::print(err, "\n");
  std::fflush(err);
}

}  // namespace

std::optional<SweepAxis> parse_vary(std::string_view spec, std::string* why) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    *why = fmt::format("--vary '{}': expected KEY=V1,V2,... or KEY=START..STOP:STEP", spec);
    return std::nullopt;
  }
  SweepAxis a;
  a.key = std::string(spec.substr(0, eq));
  std::string_view v = spec.substr(eq + 1);
  size_t dots = v.find("..");
  if (dots == std::string_view::npos) {
    size_t start = 0;
    while (true) {
      size_t comma = v.find(',', start);
      std::string_view item = v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (item.empty()) {
        *why = fmt::format("--vary '{}': an empty value in the list", spec);
        return std::nullopt;
      }
      a.values.emplace_back(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return a;
  }
  size_t colon = v.find(':', dots + 2);
  if (colon == std::string_view::npos) {
    *why = fmt::format("--vary '{}': a range needs a step: START..STOP:STEP", spec);
    return std::nullopt;
  }
  std::string_view s0 = v.substr(0, dots), s1 = v.substr(dots + 2, colon - dots - 2), st = v.substr(colon + 1);
  auto i0 = parse_int(s0), i1 = parse_int(s1), is = parse_int(st);
  if (i0 && i1 && is) {
    if (*is <= 0 || *i1 < *i0) {
      *why = fmt::format("--vary '{}': the step must be positive and STOP at least START", spec);
      return std::nullopt;
    }
    if (static_cast<uint64_t>((*i1 - *i0) / *is) >= kMaxPoints) {
      *why = fmt::format("--vary '{}': more than {} values", spec, kMaxPoints);
      return std::nullopt;
    }
    for (int64_t x = *i0; x <= *i1; x += *is) a.values.push_back(fmt::format("{}", x));
    return a;
  }
  std::string e;
  auto d0 = parse_duration(s0, &e), d1 = parse_duration(s1, &e), ds = parse_duration(st, &e);
  if (!d0 || !d1 || !ds) {
    *why = fmt::format("--vary '{}': START, STOP and STEP must be integers or durations ({})", spec, e);
    return std::nullopt;
  }
  if (*ds <= Time() || *d1 < *d0) {
    *why = fmt::format("--vary '{}': the step must be positive and STOP at least START", spec);
    return std::nullopt;
  }
  if (static_cast<uint64_t>((*d1 - *d0) / *ds) >= kMaxPoints) {
    *why = fmt::format("--vary '{}': more than {} values", spec, kMaxPoints);
    return std::nullopt;
  }
  for (Time x = *d0; x <= *d1; x += *ds) a.values.push_back(format_duration(x));
  return a;
}

uint64_t sweep_size(const SweepOptions& o) {
  if (o.samples > 0) return o.samples;
  uint64_t n = 1;
  for (const SweepAxis& a : o.axes) n = a.values.empty() ? 0 : (n > kMaxPoints ? n : n * a.values.size());
  return n;
}

std::vector<std::string> sweep_point(const SweepOptions& o, uint64_t index, uint64_t seed) {
  std::vector<std::string> v(o.axes.size());
  if (o.samples > 0) {
    Rng r = Rng::long_stream(seed, "sweep-sample", index);
    for (size_t i = 0; i < o.axes.size(); ++i) v[i] = o.axes[i].values[r.below(o.axes[i].values.size())];
    return v;
  }
  for (size_t i = o.axes.size(); i-- > 0;) {
    uint64_t n = o.axes[i].values.size();
    v[i] = o.axes[i].values[index % n];
    index /= n;
  }
  return v;
}

std::string sweep_header(const SweepOptions& o, const Scenario& s) {
  if (o.format != SweepFormat::kCsv) return "";
  std::string h = "index";
  for (const SweepAxis& a : o.axes) h += "," + csv(a.key);
  for (const ConnectionSpec& c : s.connections)
    for (const char* col : {"fate", "at", "killer", "probes", "packets", "bytes"}) h += "," + csv(c.name + "." + col);
  return h + ",error\n";
}

int run_sweep(std::string_view yaml_text, std::string_view file, const SweepOptions& o, std::FILE* out,
              std::FILE* err, const std::set<uint64_t>& done, bool write_header, SweepStats* stats) {
  SweepStats st;
  uint64_t total = sweep_size(o);
  if (total > kMaxPoints) {
    fmt::print(err, "kasim sweep: {} points is too many (at most {})\n", total, kMaxPoints);
    return 2;
  }
  // Bad input is found before anything runs: every value of every axis is
  // loaded once (with the other axes at their first value).
  LoadResult base = load_scenario(yaml_text, file, o.sets, o.limits.max_memory);
  if (!base.scenario) {
    fmt::print(err, "{}\n", base.error.to_string());
    return 2;
  }
  uint64_t seed = o.seed.value_or(base.scenario->seed);
  std::vector<std::string> first = total > 0 ? sweep_point(o, 0, seed) : std::vector<std::string>(o.axes.size());
  for (size_t i = 0; i < o.axes.size(); ++i)
    for (const std::string& v : o.axes[i].values) {
      std::vector<std::string> p = first;
      p[i] = v;
      LoadResult lr = load_scenario(yaml_text, file, overrides_for(o, p), o.limits.max_memory);
      if (!lr.scenario) {
        fmt::print(err, "{}\n", lr.error.to_string());
        return 2;
      }
    }
  size_t columns = base.scenario->connections.size();
  if (write_header && o.format == SweepFormat::kCsv) {
    std::fputs(sweep_header(o, *base.scenario).c_str(), out);
    std::fflush(out);
  }

  std::vector<uint64_t> todo;
  for (uint64_t i = o.shard; i < total; i += o.shards) {
    ++st.points;
    if (done.count(i)) ++st.skipped;
    else todo.push_back(i);
  }

  // Workers take positions in `todo` in order; the writer prints position k
  // only after 0..k-1, so the file is in grid order whatever the scheduling.
  std::mutex mu;
  std::condition_variable ready;
  std::map<size_t, std::string> finished;  // position -> row
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> errors{0};
  auto work = [&] {
    while (true) {
      size_t pos = next.fetch_add(1);
      if (pos >= todo.size()) return;
      uint64_t index = todo[pos];
      std::vector<std::string> values = sweep_point(o, index, seed);
      LoadResult lr = load_scenario(yaml_text, file, overrides_for(o, values), o.limits.max_memory);
      std::string row;
      if (!lr.scenario) {
        errors.fetch_add(1);
        row = format_row(o, index, values, {}, columns, lr.error.to_string());
      } else {
        lr.scenario->capture.clear();  // count every packet its ends send
        RowSink sink(*lr.scenario);
        Simulator sim(*lr.scenario, o.limits);
        RunResult res = sim.run(sink);
        if (res.stopped_by_limit) errors.fetch_add(1);
        row = format_row(o, index, values, sink.rows, columns, res.stopped_by_limit ? res.error : std::string());
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        finished.emplace(pos, std::move(row));
      }
      ready.notify_one();
    }
  };
  unsigned jobs = std::max(1u, o.jobs);
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(work);
  bool tty_progress = o.progress;
  for (size_t pos = 0; pos < todo.size(); ++pos) {
    std::string row;
    {
      std::unique_lock<std::mutex> lock(mu);
      ready.wait(lock, [&] { return finished.count(pos) != 0; });
      row = std::move(finished[pos]);
      finished.erase(pos);
    }
    std::fputs(row.c_str(), out);
    std::fflush(out);  // an interrupted sweep keeps every finished row
    if (tty_progress) draw_progress(err, st.skipped + pos + 1, st.points);
    if (o.after_row) o.after_row(pos + 1);
  }
  for (std::thread& t : threads) t.join();
  st.ran = todo.size();
  st.errors = errors.load();
  if (stats != nullptr) *stats = st;
  return 0;
}

std::string sweep_partial_path(const std::string& output) { return output + ".partial"; }

namespace {

bool read_whole_file(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

}  // namespace

int run_sweep_to_file(std::string_view yaml_text, std::string_view file, const SweepOptions& o,
                      const std::string& output, bool resume, std::FILE* err, SweepStats* stats) {
  const std::string partial = sweep_partial_path(output);
  std::string previous, source;  // the kept rows and the file they come from ("": none)
  if (resume) {
    if (read_whole_file(partial, &previous)) source = partial;
    else if (read_whole_file(output, &previous)) source = output;
  }
  std::set<uint64_t> done;
  size_t keep = 0;
  if (!source.empty()) {
    LoadResult lr = load_scenario(yaml_text, file, o.sets, o.limits.max_memory);
    if (!lr.scenario) {
      fmt::print(err, "{}\n", lr.error.to_string());
      return 2;
    }
    std::string why;
    std::optional<std::set<uint64_t>> rows =
        completed_rows(previous, o.format, sweep_header(o, *lr.scenario), &keep, &why);
    if (!rows) {
      fmt::print(err, "kasim sweep: cannot resume {}: {}\n", source, why);
      return 2;
    }
    done = std::move(*rows);
  }
  // The partial file: the one being resumed, cut after its last complete
  // row; else a new one (holding the complete rows of `output` when that is
  // what is resumed: `output` is only ever replaced whole).
  const bool created = source != partial;
  std::FILE* f = nullptr;
  std::string open_error;
  if (!created) {
    std::error_code ec;
    std::filesystem::resize_file(partial, keep, ec);
    if (ec) open_error = ec.message();
    else f = std::fopen(partial.c_str(), "ab");
  } else {
    f = std::fopen(partial.c_str(), "wb");
    if (f != nullptr && keep > 0) std::fwrite(previous.data(), 1, keep, f);
  }
  if (f == nullptr) {
    fmt::print(err, "kasim sweep: cannot write {}: {}\n", partial, open_error.empty() ? std::strerror(errno) : open_error);
    return 2;
  }
  int code = run_sweep(yaml_text, file, o, f, err, done, keep == 0, stats);
  bool written = std::fflush(f) == 0 && !std::ferror(f);
  int write_errno = errno;
  if (std::fclose(f) != 0 && written) {
    written = false;
    write_errno = errno;
  }
  if (code != 0) {
    if (created) std::remove(partial.c_str());
    return code;
  }
  if (!written) {
    fmt::print(err, "kasim sweep: cannot write {}: {} (the rows written before are kept for --resume)\n", partial,
               std::strerror(write_errno));
    return 2;
  }
  if (std::rename(partial.c_str(), output.c_str()) != 0) {
    fmt::print(err, "kasim sweep: cannot rename {} to {}: {} (every row is in {})\n", partial, output,
               std::strerror(errno), partial);
    return 2;
  }
  return 0;
}

namespace {

std::optional<uint64_t> row_index(std::string_view line, SweepFormat format) {
  std::string_view digits;
  if (format == SweepFormat::kCsv) {
    digits = line.substr(0, line.find(','));
  } else {
    constexpr std::string_view kPrefix = "{\"index\":";
    if (!line.starts_with(kPrefix)) return std::nullopt;
    std::string_view rest = line.substr(kPrefix.size());
    digits = rest.substr(0, rest.find(','));
  }
  std::optional<int64_t> v = parse_int(digits);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

}  // namespace

std::optional<std::set<uint64_t>> completed_rows(std::string_view text, SweepFormat format, std::string_view header,
                                                 size_t* keep_bytes, std::string* why) {
  std::set<uint64_t> done;
  size_t complete = text.rfind('\n');
  complete = complete == std::string_view::npos ? 0 : complete + 1;
  *keep_bytes = complete;
  std::string_view body = text.substr(0, complete);
  if (format == SweepFormat::kCsv && !body.empty()) {
    if (!body.starts_with(header)) {
      *why = "its header differs from this sweep's (other --vary keys or connections?)";
      return std::nullopt;
    }
    body.remove_prefix(header.size());
  } else if (format == SweepFormat::kCsv && complete == 0) {
    *keep_bytes = 0;  // not even a header: start over
  }
  size_t line_no = format == SweepFormat::kCsv ? 2 : 1;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    std::optional<uint64_t> i = row_index(line, format);
    if (!i) {
      *why = fmt::format("line {} is not a sweep row", line_no);
      return std::nullopt;
    }
    done.insert(*i);
    body.remove_prefix(nl + 1);
    ++line_no;
  }
  return done;
}

std::optional<std::string> merge_sweep_outputs(const std::vector<std::string>& texts, std::string* why) {
  std::optional<std::string> header;
  std::optional<SweepFormat> format;
  std::map<uint64_t, std::string_view> rows;
  for (size_t f = 0; f < texts.size(); ++f) {
    std::string_view t = texts[f];
    if (t.empty()) continue;
    if (t.back() != '\n') {
      *why = fmt::format("input {} ends with an incomplete row (an interrupted shard: run it again with --resume)", f + 1);
      return std::nullopt;
    }
    SweepFormat ff = t.starts_with("{") ? SweepFormat::kJsonLines : SweepFormat::kCsv;
    if (format && *format != ff) {
      *why = fmt::format("input {} is {} but an earlier one is not", f + 1, ff == SweepFormat::kCsv ? "CSV" : "JSON lines");
      return std::nullopt;
    }
    format = ff;
    if (ff == SweepFormat::kCsv) {
      size_t nl = t.find('\n');
      std::string h(t.substr(0, nl + 1));
      if (header && *header != h) {
        *why = fmt::format("input {} has another header (a different sweep?)", f + 1);
        return std::nullopt;
      }
      header = h;
      t.remove_prefix(nl + 1);
    }
    size_t line_no = ff == SweepFormat::kCsv ? 2 : 1;
    while (!t.empty()) {
      size_t nl = t.find('\n');
      std::string_view line = t.substr(0, nl + 1);
      std::optional<uint64_t> i = row_index(line, ff);
      if (!i) {
        *why = fmt::format("input {} line {} is not a sweep row", f + 1, line_no);
        return std::nullopt;
      }
      auto [it, fresh] = rows.emplace(*i, line);
      if (!fresh && it->second != line) {
        *why = fmt::format("row {} differs between inputs", *i);
        return std::nullopt;
      }
      t.remove_prefix(nl + 1);
      ++line_no;
    }
  }
  std::string merged = header.value_or("");
  for (const auto& [i, line] : rows) merged += line;
  return merged;
}

}  // namespace kasim
