// `kasim tune FILE --connection NAME`: keepalive settings for one side of a
// connection, from its path's middleboxes and its OS (tune.h).
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "kasim/scenario.h"
#include "kasim/tune.h"

namespace kasim::cmd {
namespace {

struct TuneArgs {
  std::string file;
  std::string connection;
  std::string side = "client";
  std::string detect_within;
  std::string margin = "1s";
  bool no_confirm = false;
  std::vector<std::string> sets;
};

int tune_main(const TuneArgs& a, std::FILE* out, std::FILE* err) {
  std::vector<Override> overrides;
  for (const std::string& s : a.sets) {
    std::string why;
    std::optional<Override> o = parse_override(s, &why);
    if (!o) {
      fmt::print(err, "kasim tune: {}\n", why);
      return 2;
    }
    overrides.push_back(*o);
  }
  TuneRequest req;
  req.connection = a.connection;
  req.side = a.side == "server" ? Side::kServer : Side::kClient;
  req.confirm = !a.no_confirm;
  auto duration = [&](const std::string& text, const char* what) -> std::optional<Time> {
    std::string why;
    std::optional<Time> t = parse_duration(text, &why);
    if (!t) fmt::print(err, "kasim tune: {} '{}': {}\n", what, text, why);
    return t;
  };
  if (!a.detect_within.empty()) {
    req.detect_within = duration(a.detect_within, "--detect-within");
    if (!req.detect_within) return 2;
  }
  std::optional<Time> margin = duration(a.margin, "--margin");
  if (!margin) return 2;
  req.margin = *margin;
  LoadResult lr = load_scenario_file(a.file, overrides);
  if (!lr.scenario) {
    fmt::print(err, "{}\n", lr.error.to_string());
    return 2;
  }
  std::string error;
  TuneResult r = tune(*lr.scenario, req, &error);
  if (!error.empty()) {
    fmt::print(err, "{}: {}\n", a.file, error);
    return 2;
  }
  fmt::print(out, "{}", format_tune(*lr.scenario, req, r));
  return 0;
}

}  // namespace

Registration add_tune(CLI::App& app) {
  auto args = std::make_shared<TuneArgs>();
  CLI::App* sub = app.add_subcommand("tune", "Recommend keepalive settings for one connection's path and OS, and confirm them by simulation");
  sub->add_option("file", args->file, "Scenario file")->required();
  sub->add_option("--connection", args->connection, "Connection name")->required();
  sub->add_option("--side", args->side, "Whose OS to tune")->check(CLI::IsMember({"client", "server"}));
  sub->add_option("--detect-within", args->detect_within, "A dead peer must be noticed this soon (e.g. 5m)");
  sub->add_option("--margin", args->margin, "Extra safety margin against the binding timeout (default 1s)");
  sub->add_flag("--no-confirm", args->no_confirm, "Skip the confirmation simulations");
  sub->add_option("--set", args->sets, "Override a scenario key, KEY=VALUE (repeatable), as in `kasim run --set`")
      ->allow_extra_args(false);
  return {sub, [args](std::FILE* out, std::FILE* err) { return tune_main(*args, out, err); }};
}

}  // namespace kasim::cmd
