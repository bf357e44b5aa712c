// Middlebox profiles: real firewalls, NATs and load balancers as presets of
// FirewallConfig (firewall.h). A scenario selects one with `profile: NAME`
// and may override any key. Every default cites its source in
// sim/middlebox_profiles.cc; facts marked UNVERIFIED there are kasim's
// assumption, not the vendor's word (see the shared reference
// middleboxes.md for the full quotations).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kasim/firewall.h"

namespace kasim {

struct MiddleboxProfile {
  std::string_view name;
  std::string_view summary;  // what device and configuration this is
  std::string_view sources;  // where the defaults come from, in one line
  FirewallConfig config;
  // Values kasim assumes because no primary source could be read, each in
  // a few words ("packets without state: dropped silently"); the listing
  // marks them UNVERIFIED.
  std::vector<std::string_view> unverified = {};
};

// All profiles, in a fixed order (the listing order).
std::span<const MiddleboxProfile> middlebox_profiles();
const MiddleboxProfile* find_middlebox_profile(std::string_view name);
std::vector<std::string_view> middlebox_profile_names();

// The listing `kasim middleboxes` (and `kasim profiles --middleboxes`)
// prints: every profile with its defaults, sources and UNVERIFIED values.
std::string describe_middlebox_profiles();
// One profile's defaults in one paragraph (no sources).
std::string describe_firewall_config(const FirewallConfig& c);

}  // namespace kasim
