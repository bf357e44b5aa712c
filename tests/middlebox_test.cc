// Middlebox behaviours (firewall.h) and profiles (middlebox_profiles.h).
#include "kasim/middlebox_profiles.h"
#include "test_util.h"
