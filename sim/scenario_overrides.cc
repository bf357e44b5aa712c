// `--set KEY=VALUE`: overrides applied to a scenario's YAML tree before it is
// validated, so the ordinary checks (and their messages) apply to overridden
// values too. Sweeps reuse the same key paths.
//
// Path resolution: at a mapping, the longest run of the remaining dotted
// segments that is an existing key wins (so `sysctl.net.ipv4.tcp_keepalive_time`
// finds the key `net.ipv4.tcp_keepalive_time`); a missing key is created
// (under `sysctl` the whole rest of the path is one key). At a list, a
// segment is an index (0-based) or the `name` of an item.
#include <fmt/format.h>

#include "loader_support.h"

namespace kasim::loader {

OverrideApplier::OverrideApplier(std::span<const Override> overrides, int file_lines) : overrides_(overrides) {
  int next = file_lines + 1;
  for (const Override& o : overrides_) {
    first_line_.push_back(next);
    int lines = 1;
    for (char c : o.value) lines += c == '\n' ? 1 : 0;
    next += lines + 1;
  }
}

size_t OverrideApplier::override_at_line(int line0) const {
  size_t found = SIZE_MAX;
  for (size_t i = 0; i < first_line_.size(); ++i)
    if (line0 >= first_line_[i]) found = i;
  return found;
}

// Parsed with blank lines in front, so its marks fall on the override's own
// lines, past the end of the file.
YAML::Node OverrideApplier::parse_value(size_t i, const std::string& text) const {
  return YAML::Load(std::string(static_cast<size_t>(first_line_[i]), '\n') + text);
}

void OverrideApplier::apply(YAML::Node& root) {
  for (size_t i = 0; i < overrides_.size(); ++i) {
    const Override& o = overrides_[i];
    YAML::Node here = parse_value(i, "~");  // carries the override's mark for path errors
    std::vector<std::string> segs;
    size_t start = 0;
    for (;;) {
      size_t dot = o.key.find('.', start);
      segs.push_back(o.key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const std::string& s : segs)
      if (s.empty()) fail(here, "the key must be a dotted path like middleboxes.fw.idle_timeout (empty segment)");
    YAML::Node value = parse_value(i, o.value);
    if (!root.IsMap()) fail(here, "the scenario is not a mapping, so it has no keys to set");

    YAML::Node cur = root;
    std::string path;     // resolved so far, for messages
    std::string last;     // the last key resolved
    size_t pos = 0;
    while (pos < segs.size()) {
      if (cur.IsSequence()) {
        const std::string& seg = segs[pos];
        std::optional<size_t> idx;
        if (seg.find_first_not_of("0123456789") == std::string::npos) {
          size_t v = std::stoul(seg);
          if (v >= cur.size())
            fail(here, fmt::format("{} has {} item{}, so there is no item {}", path, cur.size(),
                                   cur.size() == 1 ? "" : "s", seg));
          idx = v;
        } else {
          std::vector<std::string> names;
          for (size_t k = 0; k < cur.size(); ++k) {
            YAML::Node item = cur[k];
            if (item.IsMap() && item["name"] && item["name"].IsScalar()) {
              names.push_back(item["name"].Scalar());
              if (names.back() == seg && !idx) idx = k;
            }
          }
          if (!idx) {
            std::vector<std::string_view> views(names.begin(), names.end());
            fail(here, fmt::format("{} has no item named '{}'{} (use an index from 0 or a name)", path, seg,
                                   did_you_mean(seg, views)));
          }
        }
        path += (path.empty() ? "" : ".") + seg;
        last = seg;
        if (pos + 1 == segs.size()) {
          cur[*idx] = value;
          break;
        }
        YAML::Node next = cur[*idx];
        cur.reset(next);
        ++pos;
        continue;
      }
      if (cur.IsScalar())
        fail(here, fmt::format("{} is a single value ('{}'), so it has no key '{}'", path, cur.Scalar(), segs[pos]));
      // A mapping (or nothing yet, which becomes one): longest existing key first.
      std::string key;
      size_t used = 0;
      if (cur.IsMap()) {
        for (size_t j = segs.size(); j > pos && used == 0; --j) {
          std::string cand;
          for (size_t k = pos; k < j; ++k) cand += (k > pos ? "." : "") + segs[k];
          for (auto it = cur.begin(); it != cur.end(); ++it)
            if (it->first.IsScalar() && it->first.Scalar() == cand) {
              key = cand;
              used = j - pos;
            }
        }
      }
      bool exists = used > 0;
      if (!exists) {
        // Sysctl names contain dots: under `sysctl` the rest is one key.
        used = last == "sysctl" ? segs.size() - pos : 1;
        for (size_t k = pos; k < pos + used; ++k) key += (k > pos ? "." : "") + segs[k];
      }
      path += (path.empty() ? "" : ".") + key;
      last = key;
      pos += used;
      if (pos == segs.size()) {
        if (exists) {
          cur[key] = value;
        } else {
          // A new key node with the override's mark, so that an unknown
          // key is reported as coming from --set.
          cur[parse_value(i, key)] = value;
        }
        break;
      }
      if (!exists) cur[parse_value(i, key)] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[key];
      cur.reset(next);
    }
  }
}

}  // namespace kasim::loader
