// `kasim middleboxes`: list the middlebox profiles with their defaults and
// sources (the same text `kasim profiles --middleboxes` prints).
#include <fmt/format.h>

#include "commands.h"
#include "kasim/middlebox_profiles.h"

namespace kasim::cmd {

Registration add_middleboxes(CLI::App& app) {
  CLI::App* c = app.add_subcommand("middleboxes", "List the middlebox profiles with their defaults and sources");
  return {c, [](std::FILE* out, std::FILE*) {
            fmt::print(out, "{}", describe_middlebox_profiles());
            return 0;
          }};
}

}  // namespace kasim::cmd
