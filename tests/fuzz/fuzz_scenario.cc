// libFuzzer target: the scenario loader must turn any bytes into either a
// Scenario or a Diagnostic with a message — never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kasim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kasim::LoadResult r = kasim::load_scenario(text, "fuzz.yaml");
  if (!r.scenario && r.error.message.empty()) __builtin_trap();  // every failure must explain itself
  return 0;
}
