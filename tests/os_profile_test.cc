// The profile data, the loader's use of it (units, ranges, names), the
// `kasim profiles` command and docs/profiles/<os>.md.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "kasim/cli.h"
#include "os_test_util.h"

using namespace kasim;
using namespace kasim::test;
namespace fs = std::filesystem;

namespace {
std::string run_cli_out(std::vector<std::string> args, int* code, std::string* err = nullptr) {
  args.insert(args.begin(), "kasim");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  char *ob = nullptr, *eb = nullptr;
  size_t ol = 0, el = 0;
  std::FILE* out = open_memstream(&ob, &ol);
  std::FILE* e = open_memstream(&eb, &el);
  *code = run_cli(static_cast<int>(argv.size()), argv.data(), out, e);
  std::fclose(out);
  std::fclose(e);
  std::string o(ob, ol);
  if (err) *err = std::string(eb, el);
  std::free(ob);
  std::free(eb);
  return o;
}
}  // namespace

TEST_CASE("profiles: all seven exist, and every profile cites a source for every tunable, option and rule") {
  std::vector<std::string_view> want{"linux", "windows", "macos", "freebsd", "openbsd", "solaris", "aix"};
  REQUIRE(os_profile_names().size() == want.size());
  for (std::string_view n : want) {
    CAPTURE(n);
    const OsProfile* p = find_os_profile(n);
    REQUIRE(p != nullptr);
    CHECK(p->name == n);
    CHECK(!p->rules.empty());
    for (const SysctlSpec& s : p->sysctls) {
      CHECK(!s.source.empty());
      int64_t d = sysctl_default(*p, s);
      CHECK(d >= s.min);  // the default is itself a valid value
      CHECK(d <= s.max);
    }
    for (const SocketOptionSpec& o : p->socket_options) CHECK(!o.source.empty());
    for (const RuleSource& r : p->rules) CHECK(!r.source.empty());
  }
  CHECK(find_os_profile("illumos") == find_os_profile("solaris"));
}

TEST_CASE("profiles: keepalive defaults per OS, in the OS's own units") {
  auto def = [](std::string_view os, std::string_view name) {
    const OsProfile* p = find_os_profile(os);
    for (const SysctlSpec& s : p->sysctls)
      if (s.name == name) return sysctl_default(*p, s);
    FAIL("no tunable " << name);
    return int64_t{-1};
  };
  CHECK(def("linux", "net.ipv4.tcp_keepalive_time") == 7200);
  CHECK(def("windows", "KeepAliveTime") == 7200000);
  CHECK(def("windows", "KeepAliveInterval") == 1000);
  CHECK(def("macos", "net.inet.tcp.keepidle") == 7200000);
  CHECK(def("freebsd", "net.inet.tcp.keepintvl") == 75000);
  CHECK(def("freebsd", "net.inet.tcp.always_keepalive") == 1);
  CHECK(def("openbsd", "net.inet.tcp.keepidle") == 7200);
  CHECK(def("solaris", "tcp_keepalive_interval") == 7200000);
  CHECK(def("solaris", "_keepalive_abort_interval") == 480000);
  CHECK(def("aix", "tcp_keepidle") == 14400);
  CHECK(def("aix", "tcp_keepintvl") == 150);
  CHECK(def("aix", "tcp_keepcnt") == 8);
}

TEST_CASE("profiles: tunables are pasted as the operator writes them, in the OS's units") {
  struct Case { std::string_view os, sysctl; Time idle; };
  for (const Case& c : {Case{"linux", "net.ipv4.tcp_keepalive_time: 7200", Time::s(7200)},
                        Case{"windows", "KeepAliveTime: 7200000", Time::s(7200)},
                        Case{"aix", "tcp_keepidle: 14400", Time::s(7200)},
                        Case{"macos", "net.inet.tcp.keepidle: 7200000", Time::s(7200)},
                        Case{"freebsd", "net.inet.tcp.keepidle: 7200000", Time::s(7200)},
                        Case{"openbsd", "net.inet.tcp.keepidle: 7200", Time::s(7200)},
                        Case{"solaris", "tcp_keepalive_interval: 7200000", Time::s(7200)},
                        Case{"aix", "tcp_keepidle: 241", Time::ms(120500)}}) {
    CAPTURE(c.os);
    std::string extra = fmt::format(", {}sysctl: {{ {} }}", c.os == "linux" ? "hz: 0, " : "", c.sysctl);
    Scenario s = must_load(os_scenario({.os = c.os, .server_extra = extra}));
    CHECK(s.hosts[1].tunables.keepalive_idle == c.idle);
  }
}

TEST_CASE("profiles: a tunable of another OS is rejected, naming the OS and suggesting its own") {
  std::string e = load_error(os_scenario({.os = "aix", .server_extra = ", sysctl: { net.ipv4.tcp_keepalive_time: 60 }"}));
  CHECK(e.find("unknown aix tunable 'net.ipv4.tcp_keepalive_time'") != std::string::npos);
  CHECK(e.find("tcp_keepidle") != std::string::npos);
  e = load_error(os_scenario({.os = "aix", .server_extra = ", sysctl: { tcp_keepidel: 240 }"}));
  CHECK(e.find("did you mean 'tcp_keepidle'") != std::string::npos);
}

TEST_CASE("profiles: per-socket options out of the OS's range report the OS's limit") {
  CHECK(load_error(os_scenario({.os = "freebsd", .keepalive = "{ server: { idle: 5000000s } }"}))
            .find("idle (TCP_KEEPIDLE) must be 0..4294967 s on freebsd") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "macos", .keepalive = "{ server: { idle: 5000000s } }"}))
            .find("idle (TCP_KEEPALIVE) must be 0..4294967 s on macos") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "solaris", .keepalive = "{ server: { idle: 5s } }"}))
            .find("idle (TCP_KEEPIDLE) must be 10..864000 s on solaris, got 5 s") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "windows", .keepalive = "{ server: { idle: 0s } }"}))
            .find("SIO_KEEPALIVE_VALS keepalivetime) must be 1..4294967295 ms on windows") != std::string::npos);
}

TEST_CASE("profiles: an option the OS lacks is an error naming the OS") {
  for (std::string_view os : {"windows", "macos", "freebsd", "solaris", "aix"}) {
    CAPTURE(os);
    CHECK(load_error(os_scenario({.os = os, .keepalive = "{ server: { user_timeout: 10s } }"}))
              .find(fmt::format("{} has no per-socket option for 'user_timeout'", os)) != std::string::npos);
  }
  CHECK(load_error(os_scenario({.os = "linux", .server_extra = ", sysctl: { tcp_keepidle: 3 }"}))
            .find("unknown linux tunable 'tcp_keepidle'") != std::string::npos);
  CHECK(load_error(os_scenario({.os = "aix", .server_extra = ", hz: 100"})).find("hz applies to Linux hosts only, not aix") !=
        std::string::npos);
}

TEST_CASE("cli: `kasim profiles` lists every profile with its defaults") {
  int code = -1;
  std::string out = run_cli_out({"profiles"}, &code);
  CHECK(code == 0);
  for (std::string_view n : os_profile_names()) CHECK(out.find(fmt::format("\n{} ", n)) != std::string::npos);
  CHECK(out.find("8 (sends 9)") != std::string::npos);                  // aix
  CHECK(out.find("none (abort 8m after idle)") != std::string::npos);   // solaris
  CHECK(out.find("1 byte, seq snd_una-1, ack rcv_nxt-1") != std::string::npos);
}

TEST_CASE("cli: `kasim profiles aix` shows units, ranges, defaults and the source of each rule") {
  int code = -1;
  std::string out = run_cli_out({"profiles", "aix"}, &code);
  CHECK(code == 0);
  CHECK(out.find("`tcp_keepidle`: half-seconds, 1..2147483647, default 14400") != std::string::npos);
  CHECK(out.find("idle: 14400 half-seconds = 2h (tcp_keepidle)") != std::string::npos);
  CHECK(out.find("tcp_slowtimo()") != std::string::npos);
  CHECK(out.find("UNVERIFIED give-up count source") != std::string::npos);
  std::string err;
  out = run_cli_out({"profiles", "aixx"}, &code, &err);
  CHECK(code == 2);
  CHECK(out.empty());
  CHECK(err.find("unknown os 'aixx' (did you mean 'aix'?)") != std::string::npos);
}

TEST_CASE("docs: docs/profiles/<os>.md is `kasim profiles <os> --markdown`") {
  // Regenerate after changing a profile:
  //   for os in linux windows macos freebsd openbsd solaris aix; do
  //     build/kasim profiles $os --markdown > docs/profiles/$os.md; done
  for (std::string_view n : os_profile_names()) {
    CAPTURE(n);
    int code = -1;
    std::string want = run_cli_out({"profiles", std::string(n), "--markdown"}, &code);
    REQUIRE(code == 0);
    std::ifstream in(fs::path(KASIM_SOURCE_DIR) / "docs" / "profiles" / (std::string(n) + ".md"), std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing docs/profiles/" << n << ".md");
    std::ostringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == want);
  }
}
