// The resource-limit options of `kasim run`, `check` and `sweep` (commands.h).
#include <fmt/format.h>

#include "commands.h"

namespace kasim::cmd {

RunLimits LimitArgs::limits() const {
  RunLimits l;
  l.max_events = max_events;
  l.max_pending_events = max_pending;
  l.max_events_per_instant = max_per_instant;
  std::string why;
  l.max_memory = l.max_process_rss = parse_size(max_memory, &why).value_or(kDefaultMaxMemory);
  return l;
}

void add_limit_options(CLI::App* c, LimitArgs& a) {
  c->add_option("--max-events", a.max_events, "Stop a run with an error after this many events")
      ->capture_default_str();
  c->add_option("--max-pending", a.max_pending, "Stop a run with an error when more events than this are pending")
      ->capture_default_str();
  c->add_option("--max-events-per-instant", a.max_per_instant,
                "Stop a run with an error when more events than this happen at one instant (time not advancing)")
      ->capture_default_str();
  c->add_option("--max-memory", a.max_memory,
                "Refuse a scenario whose connections need more memory than this (checked at load), and stop a run "
                "that grows past it: SIZE such as 512M, 2G, 4GiB (binary units)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) {
            std::string why;
            return parse_size(text, &why) ? std::string() : why;
          },
          "SIZE"));
}

}  // namespace kasim::cmd
