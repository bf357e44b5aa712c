// A killed process's sockets: FIN or RST per OS (process_kill.h).
#include "kasim/process_kill.h"

#include "kasim/os_profile.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
using namespace kasim::tcp_flag;

namespace {

// A client connected to `os` server; the client writes at 1 s if `client_writes`;
// the server's process is killed at 10 s.
Run kill_run(const std::string& os, bool unread_data, bool client_writes = true) {
  std::string yaml = R"(
duration: 1m
hosts: { c: { hz: 0 }, s: { os: )" + os + R"( } }
links: [ { between: [c, s], delay: 1ms } ]
connections:
  - name: x
    client: c
    server: s
    port: 80
)";
  if (client_writes) yaml += "    traffic: [ { at: 1s, from: client, bytes: 100 } ]\n";
  yaml += "faults: [ { at: 10s, host: s, action: kill" + std::string(unread_data ? ", unread_data: true" : "") +
          " } ]\n";
  return run_yaml(yaml);
}

// The flags of the first segment the server sends at the kill.
uint8_t kill_flags(const Run& r) {
  for (const TraceRecord& rec : r.at("s", CaptureDir::kOut))
    if (rec.t == Time::s(10)) return rec.seg.flags;
  return 0;
}

}  // namespace

TEST_CASE("process kill: every OS profile has a rule with a source, in the profile") {
  for (std::string_view name : os_profile_names()) {
    const OsProfile* os = find_os_profile(name);
    REQUIRE(os != nullptr);
    int listed = 0;
    for (const RuleSource& r : os->rules) listed += r.rule == "process killed";
    CHECK_MESSAGE(listed == 1, name);  // `kasim profiles` shows it with the others
    KillRule r = kill_rule(*os);
    CHECK(r.rst_if_unread == os->receive.kill_resets_unread);
    CHECK_FALSE(r.source.empty());
  }
  auto rst = [](const char* os) { return kill_rule(*find_os_profile(os)).rst_if_unread; };
  CHECK(rst("linux"));
  CHECK(rst("macos"));
  CHECK(rst("solaris"));
  CHECK_FALSE(rst("freebsd"));
  CHECK_FALSE(rst("openbsd"));
  // No primary source was read for these two: the profile says so.
  CHECK_FALSE(kill_rule(*find_os_profile("windows")).verified);
  CHECK_FALSE(kill_rule(*find_os_profile("aix")).verified);
}

TEST_CASE("process kill: Linux sends a FIN when the application had read everything") {
  Run r = kill_run("linux", false);
  CHECK(kill_flags(r) == (kFin | kAck));
  const ConnectionOutcome& o = r.outcome();
  // The client reads end-of-file, closes, and nobody sees an error.
  CHECK(o.fate == Fate::kClosed);
  CHECK(o.side[0].error == SocketError::kNone);
  CHECK(t(o.side[0].eof_at) == "10.001000");
  for (const TraceRecord& rec : r.sink.records) CHECK_FALSE(rec.seg.has(kRst));
}

TEST_CASE("process kill: Linux sends an RST for a socket holding unread data") {
  Run r = kill_run("linux", true);
  CHECK(kill_flags(r) == (kRst | kAck));
  const ConnectionOutcome& o = r.outcome();
  CHECK(o.fate == Fate::kReset);
  CHECK(o.side[0].error == SocketError::kEconnreset);
  CHECK(t(o.side[0].error_at) == "10.001000");
  CHECK(o.killer == "s");
}

TEST_CASE("process kill: no payload received means nothing unread: FIN even when the process stopped reading") {
  Run r = kill_run("linux", true, /*client_writes=*/false);
  CHECK(kill_flags(r) == (kFin | kAck));
  CHECK(r.outcome().fate == Fate::kClosed);
}

TEST_CASE("process kill: FreeBSD discards unread data and sends a FIN") {
  Run r = kill_run("freebsd", true);
  CHECK(kill_flags(r) == (kFin | kAck));
  CHECK(r.outcome().side[0].error == SocketError::kNone);
  CHECK(r.outcome().fate == Fate::kClosed);
}

TEST_CASE("process kill: unread_data applies only to kill") {
  CHECK(load_error(R"(
duration: 1m
hosts: { c: {}, s: {} }
links: [ { between: [c, s], delay: 1ms } ]
connections: [ { name: x, client: c, server: s, port: 80 } ]
faults: [ { at: 10s, host: s, action: crash, unread_data: true } ]
)") == "test.yaml:6:59: unread_data applies to action 'kill', not 'crash'");
}
