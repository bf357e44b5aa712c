#include "kasim/cli.h"

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.h"

namespace kasim {

int run_cli(int argc, const char* const* argv, std::FILE* out, std::FILE* err) {
  CLI::App app{"kasim: a discrete-event TCP keepalive simulator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kasim ") + KASIM_VERSION);

  // The subcommand table: one line per command, each in sim/cmd_*.cc.
  std::vector<cmd::Registration> commands{
      cmd::add_run(app),
      cmd::add_profiles(app),
      cmd::add_middleboxes(app),
      cmd::add_check(app),
      cmd::add_tune(app),
      cmd::add_sweep(app),
      cmd::add_merge(app),
      cmd::add_lab(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print(out, "{}", app.help());
    return 0;
  } catch (const CLI::CallForVersion&) {
    fmt::print(out, "kasim {}\n", KASIM_VERSION);
    return 0;
  } catch (const CLI::ParseError& e) {
    fmt::print(err, "kasim: {}\nRun 'kasim --help' for usage.\n", e.what());
    return 2;
  }
  for (const cmd::Registration& c : commands)
    if (c.app->parsed()) return c.action(out, err);
  return 2;
}

}  // namespace kasim
