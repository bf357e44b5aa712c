// `kasim check`: every scenario's expectations hold; a wrong expectation
// fails with an exact report; JUnit XML that a real parser reads; --update
// round trips with comments kept.
#include <algorithm>
#include <cstdlib>

#include "cli_util.h"
#include "test_util.h"

using namespace kasim;
using namespace kasim::test;
namespace fs = std::filesystem;

namespace {

// Two hosts; the server probes every 10 s and is cut off from the client at
// 15 s: probes at 10.003, 20.005, 21.005, then RST and ETIMEDOUT at 22.005.
const char* kSmall = R"(# A small scenario for the check tests.
name: small
duration: 40s
hosts:
  client: { address: 10.0.0.1 }
  server: { address: 10.0.0.2, hz: 0 }
links:
  - { between: [client, server], delay: 1ms }
connections:
  - name: c
    client: client
    server: server
    port: 22
    keepalive:
      server: { idle: 10s, interval: 1s, count: 2 }
faults:
  - { at: 15s, host: server, action: block-from, peer: client }
)";

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(KASIM_SOURCE_DIR) / "scenarios")) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".yaml") && !name.ends_with(".expected.yaml")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("check: every scenario in scenarios/ carries expectations, and they hold") {
  std::vector<std::string> files = scenario_files();
  REQUIRE(files.size() >= 3);
  std::vector<std::string> args{"check"};
  args.insert(args.end(), files.begin(), files.end());
  CliResult r = cli(args);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  for (const std::string& f : files) CHECK(r.out.find("ok   " + f + ": ") != std::string::npos);
}

TEST_CASE("check: a deliberately wrong expectation fails with the exact report and exit 1") {
  TempDir d("check-wrong");
  std::string file = d.file("small.yaml");
  write_text(file, std::string(kSmall) + R"(expect:
  tolerance: 1ms
  connections:
    c:
      fate: reset
      server: { errno: ETIMEDOUT, at: 22.0055 }
  packets:
    - { connection: c, dir: out, kind: keepalive-probe, at: 15s }
    - { node: server, dir: in, after: 22.006, count: 0 }
    - { connection: c, dir: out, kind: keepalive-probe, count: 3 }
    - { from: server, flags: R, count: 1 }
)");
  CliResult r = cli({"check", file});
  CHECK(r.code == 1);
  CHECK(r.err.empty());
  std::string p = file;
  CHECK(r.out ==
        p + ":22:13: connection c: fate\n"
            "  expected: reset\n"
            "  actual:   timed-out at 22.005 (caused by server (input filter))\n"
            "  outcome:\n"
            "    c: timed-out at 22.005000 (caused by server (input filter))\n"
            "      client (client): ECONNRESET at 22.006000 (RST from server: keepalive gave up after 2 unanswered "
            "probes: RST, ETIMEDOUT)\n"
            "      server (server): ETIMEDOUT at 22.005000 (keepalive: 2 probes unanswered); 3 keepalive probes sent\n" +
            p + ":25:7: packet { connection: c, dir: out, kind: keepalive-probe, at: 15s }\n"
            "  expected: a matching packet at 15s (± 1ms)\n"
            "  actual:   0 matching packets at 15s (± 1ms)\n"
            "  the nearest matching packet (>), at 10.003 (4.997s earlier than expected), in the trace:\n"
            "          0.002000 client   out  IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [.], seq 3677024239, ack "
            "341764829, win 64240, length 0  # handshake ACK: connection established\n"
            "          0.003000 server   in   IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [.], seq 3677024239, ack "
            "341764829, win 64240, length 0  # handshake ACK: connection established\n"
            "  >      10.003000 server   out  IP 10.0.0.2.22 > 10.0.0.1.49638: Flags [.], seq 341764828, ack "
            "3677024239, win 64240, length 0  # keepalive probe 1/2\n"
            "         10.004000 client   in   IP 10.0.0.2.22 > 10.0.0.1.49638: Flags [.], seq 341764828, ack "
            "3677024239, win 64240, length 0  # keepalive probe 1/2\n"
            "         10.004000 client   out  IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [.], seq 3677024239, ack "
            "341764829, win 64240, length 0  # ACK answering a segment below the window (keepalive probe)\n" +
            p + ":28:7: packet { from: server, flags: R, count: 1 }\n"
            "  expected: 1 matching packet during the run\n"
            "  actual:   0 matching packets during the run; no packet in the run matches\n"
            "  the closest packet (>), which differs in flags, in the trace:\n"
            "          0.000000 client   out  IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [S], seq 3677024238, win "
            "64240, length 0  # connect(): SYN\n"
            "          0.001000 server   in   IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [S], seq 3677024238, win "
            "64240, length 0  # connect(): SYN\n"
            "  >       0.001000 server   out  IP 10.0.0.2.22 > 10.0.0.1.49638: Flags [S.], seq 341764828, ack "
            "3677024239, win 64240, length 0  # SYN-ACK\n"
            "          0.002000 client   in   IP 10.0.0.2.22 > 10.0.0.1.49638: Flags [S.], seq 341764828, ack "
            "3677024239, win 64240, length 0  # SYN-ACK\n"
            "          0.002000 client   out  IP 10.0.0.1.49638 > 10.0.0.2.22: Flags [.], seq 3677024239, ack "
            "341764829, win 64240, length 0  # handshake ACK: connection established\n"
            "FAIL " + p + ": 3 of 7 assertions failed\n");
}

TEST_CASE("check: bad input exits 2 with file:line:col and a suggestion, nothing on stdout") {
  TempDir d("check-bad");
  std::string file = d.file("bad.yaml");
  write_text(file, std::string(kSmall) + "expect:\n  connections:\n    c: { fate: reset, kilier: fw }\n");
  CliResult r = cli({"check", file});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == file + ":20:23: unknown key 'kilier' in expect.connections.c (did you mean 'killer'?) (expected one "
                        "of: tolerance, fate, at, killer, half_open, client or server)\n");
  write_text(file, std::string(kSmall) + "expect:\n  connections:\n    d: { fate: reset }\n");
  CHECK(cli({"check", file}).err ==
        file + ":20:5: a key in expect.connections names 'd', which is not a connection (did you mean 'c'?) "
               "(connections: c)\n");
  write_text(file, std::string(kSmall) + "expect:\n  packets:\n    - { kind: keepalive, count: 1 }\n");
  CHECK(cli({"check", file}).err ==
        file + ":20:15: kind must be syn, syn-ack, data, ack, keepalive-probe, keepalive-ack, retransmission, tlp, "
               "fin, rst or other, got 'keepalive'\n");
  CliResult missing = cli({"check", d.file("nope.yaml")});
  CHECK(missing.code == 2);
  CHECK(missing.err == d.file("nope.yaml") + ": cannot read the file (does it exist?)\n");
  // A scenario without expectations is a failure (1), not bad input.
  write_text(file, kSmall);
  CliResult none = cli({"check", file});
  CHECK(none.code == 1);
  CHECK(none.out == "FAIL " + file + ": no expectations (create them with `kasim check --update " + file + "`)\n");
}

TEST_CASE("check: --junit writes JUnit XML that python3's xml.etree parses") {
  TempDir d("check-junit");
  std::string good = d.file("good.yaml"), bad = d.file("bad.yaml"), xml = d.file("report.xml");
  write_text(good, std::string(kSmall) + "expect:\n  connections:\n    c: { fate: timed-out, at: 22.005 }\n");
  write_text(bad, std::string(kSmall) + "expect:\n  connections:\n    c: { fate: alive, killer: \"<&>\" }\n");
  CliResult r = cli({"check", "--junit", xml, good, bad});
  CHECK(r.code == 1);
  REQUIRE(fs::exists(xml));
  for (const auto& e : fs::directory_iterator(d.path)) CHECK(e.path().string().find(".tmp-") == std::string::npos);
  std::string summary = d.file("summary.txt");
  std::string script = d.file("parse.py");
  write_text(script, R"(import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = [root.tag, root.get('tests'), root.get('failures'), root.get('errors')]
for s in root.findall('testsuite'):
    out.append('suite ' + s.get('name').rsplit('/', 1)[-1] + ' ' + s.get('tests') + ' ' + s.get('failures'))
    for c in s.findall('testcase'):
        f = c.find('failure')
        out.append('  ' + c.get('classname') + ' | ' + c.get('name') + ' | ' +
                   ('ok' if f is None else 'FAILED: ' + f.get('message')))
open(sys.argv[2], 'w').write('\n'.join(out) + '\n')
)");
  int rc = std::system(("python3 " + script + " " + xml + " " + summary).c_str());
  REQUIRE(rc == 0);
  CHECK(read_text(summary) ==
        "testsuites\n4\n2\n0\n"
        "suite good.yaml 2 0\n"
        "  small | connection c: fate | ok\n"
        "  small | connection c: at | ok\n"
        "suite bad.yaml 2 2\n"
        "  small | connection c: fate | FAILED: expected alive, got timed-out at 22.005 (caused by server (input "
        "filter))\n"
        "  small | connection c: killer | FAILED: expected <&>, got server (input filter)\n");
}

TEST_CASE("check: an unwritable --junit path is bad input before anything runs") {
  TempDir d("check-junit-unwritable");
  std::string good = d.file("good.yaml");
  write_text(good, std::string(kSmall) + "expect:\n  connections:\n    c: { fate: timed-out, at: 22.005 }\n");
  CliResult r = cli({"check", "--junit", "/nonexistent-dir/report.xml", good});
  CHECK(r.code == 2);
  CHECK(r.out.empty());  // no results were printed: the scenario did not run
  CHECK(r.err == "/nonexistent-dir/report.xml: cannot write the JUnit report: No such file or directory\n");
}

TEST_CASE("check: --update creates expectations, keeps the rest of the file, and round trips") {
  TempDir d("check-update");
  std::string file = d.file("small.yaml");
  // Comments, blank lines and an unusual key order outside the block.
  std::string text = std::string("seed: 1   # first, on purpose\n") + kSmall + "\n# trailing remark\n";
  write_text(file, text);
  CliResult created = cli({"check", "--update", file});
  CHECK(created.code == 0);
  CHECK(created.out == "created " + file + ": 12 assertions\n");
  std::string after = read_text(file);
  CHECK(after.starts_with(text));  // everything before is untouched
  CHECK(after.substr(text.size()) ==
        "\nexpect:\n"
        "  connections:\n"
        "    c:\n"
        "      fate: timed-out\n"
        "      at: 22.005\n"
        "      killer: \"server (input filter)\"\n"
        "      half_open: false\n"
        "      client: { errno: ECONNRESET, at: 22.006, keepalive_probes: 0 }\n"
        "      server: { errno: ETIMEDOUT, at: 22.005, keepalive_probes: 3 }\n"
        "  packets:\n"
        "    - { connection: c, dir: out, kind: keepalive-probe, count: 3 }\n"
        "    - { connection: c, dir: out, kind: rst, count: 1 }\n");
  CHECK(cli({"check", file}).code == 0);

  // The run changes (a later block): check fails, --update follows it, and
  // comments next to unchanged lines and after the block survive.
  std::string edited = after;
  edited.replace(edited.find("  packets:\n"), 11, "  # sent once each\n  packets:\n");
  edited.replace(edited.find("kind: rst, count: 1 }"), 21, "kind: rst, count: 1 }   # the give-up RST");
  edited.replace(edited.find("at: 15s, host"), 13, "at: 25s, host");
  edited += "# a note after the block\nduration: 40s\n";
  edited.replace(edited.find("duration: 40s\nhosts"), 14, "");
  write_text(file, edited);
  CliResult fails = cli({"check", file});
  CHECK(fails.code == 1);
  CliResult updated = cli({"check", "--update", file});
  CHECK(updated.code == 0);
  CHECK(updated.out == "updated " + file + ": 12 assertions\n");
  std::string again = read_text(file);
  CHECK(again.find("      at: 32.007\n") != std::string::npos);
  CHECK(again.find("  # sent once each\n  packets:\n") != std::string::npos);
  CHECK(again.find("kind: rst, count: 1 }   # the give-up RST\n") != std::string::npos);
  CHECK(again.ends_with("# a note after the block\nduration: 40s\n"));
  CHECK(again.starts_with("seed: 1   # first, on purpose\n# A small scenario"));
  CliResult ok = cli({"check", file});
  CHECK(ok.code == 0);
  CHECK(ok.out == "ok   " + file + ": 12 assertions hold\n");
}

TEST_CASE("check: --update writes FILE.expected.yaml when the file cannot be rewritten in place") {
  TempDir d("check-sibling");
  std::string file = d.file("flow.yaml");
  // The whole scenario in flow style: there is no block to rewrite.
  write_text(file,
             "{ name: flow, duration: 40s, hosts: { a: {}, b: {} }, links: [ { between: [a, b], delay: 1ms } ],\n"
             "  connections: [ { name: c, client: a, server: b, port: 22, traffic: [ { at: 1s, from: a, bytes: 10 } "
             "] } ],\n  expect: { connections: { c: { fate: reset } } } }\n");
  std::string before = read_text(file);
  CHECK(cli({"check", file}).code == 1);
  CliResult r = cli({"check", "--update", file});
  CHECK(r.code == 0);
  CHECK(r.out == file +
                     ": cannot rewrite it in place (its expect block is not a top-level block key starting in "
                     "column 1); writing " + d.file("flow.expected.yaml") + " instead\n"
                     "created " + d.file("flow.expected.yaml") + ": 1 assertion\n");
  CHECK(read_text(file) == before);
  CHECK(read_text(d.file("flow.expected.yaml")).find("expect:\n  connections:\n    c:\n      fate: alive\n") !=
        std::string::npos);
  CHECK(cli({"check", file}).code == 0);  // check reads the sibling file
}

TEST_CASE("check: --set applies to the checked run") {
  TempDir d("check-set");
  std::string file = d.file("small.yaml");
  write_text(file, std::string(kSmall) + "expect:\n  connections:\n    c: { fate: timed-out }\n");
  CHECK(cli({"check", file}).code == 0);
  CliResult r = cli({"check", "--set", "faults.0.action=crash", file});
  CHECK(r.code == 2);  // crash takes no peer: the loader says so, pointing at the file
  CHECK(r.err == file + ":17:56: peer does not apply to action 'crash'\n");
  CliResult later = cli({"check", "--set", "duration=20s", file});
  CHECK(later.code == 1);
  CHECK(later.out.find("  expected: timed-out\n  actual:   alive\n") != std::string::npos);
  CHECK(cli({"check", "--update", "--set", "duration=20s", file}).code == 2);
}
