// pcap export: frame bytes and checksums, file naming, atomic writing, and
// tshark reading every seed scenario's capture files exactly as the trace
// describes them. tshark is required (dev.sh installs it): without it the
// tshark test fails, it does not skip.
#include "kasim/pcap_sink.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "kasim/cli.h"
#include "test_util.h"

using namespace kasim;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("kasim-pcap-test-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int cli(std::vector<std::string> args, std::string* err_text = nullptr) {
  args.insert(args.begin(), "kasim");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  if (err_text != nullptr) {
    std::rewind(err);
    char buf[4096];
    size_t n;
    err_text->clear();
    while ((n = std::fread(buf, 1, sizeof buf, err)) > 0) err_text->append(buf, n);
  }
  std::fclose(out);
  std::fclose(err);
  return code;
}

// Runs a shell command; returns its stdout, *status its exit status.
std::string shell(const std::string& cmd, int* status) {
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = ::pclose(p);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

Segment probe_segment() {
  Segment s;
  s.src = 0x0A000001;  // 10.0.0.1
  s.dst = 0x0A000101;  // 10.0.1.1
  s.sport = 49638;
  s.dport = 23;
  s.seq = 341765859;
  s.ack = 3677024325;
  s.window = 64240;
  s.flags = tcp_flag::kAck;
  return s;
}

}  // namespace

TEST_CASE("pcap: capture file names put the node before the extension") {
  CHECK(pcap_path_for_node("out.pcap", "fw") == "out.fw.pcap");
  CHECK(pcap_path_for_node("dir.d/trace", "client") == "dir.d/trace.client");
  CHECK(pcap_path_for_node("a/b.c/x.pcapng", "s") == "a/b.c/x.s.pcapng");
  CHECK(pcap_path_for_node(".hidden", "n") == ".hidden.n");
}

TEST_CASE("pcap: the Internet checksum matches RFC 1071's worked example") {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement 220d).
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(internet_checksum(data, sizeof data) == 0x220d);
}

TEST_CASE("pcap: a frame is Ethernet + IPv4 + TCP with valid checksums and the segment's fields") {
  std::vector<uint8_t> f;
  Segment s = probe_segment();
  build_tcp_frame(s, f);
  REQUIRE(f.size() == 54);
  CHECK(f[12] == 0x08);
  CHECK(f[13] == 0x00);
  const uint8_t* ip = f.data() + 14;
  CHECK(ip[0] == 0x45);
  CHECK((ip[2] << 8 | ip[3]) == 40);
  CHECK(ip[9] == 6);
  CHECK(internet_checksum(ip, 20) == 0);  // a correct header sums to 0xffff
  const uint8_t* tcp = ip + 20;
  CHECK((tcp[0] << 8 | tcp[1]) == 49638);
  CHECK((uint32_t{tcp[4]} << 24 | uint32_t{tcp[5]} << 16 | uint32_t{tcp[6]} << 8 | tcp[7]) == 341765859u);
  CHECK(tcp[13] == tcp_flag::kAck);
  uint32_t pseudo = (s.src >> 16) + (s.src & 0xffff) + (s.dst >> 16) + (s.dst & 0xffff) + 6 + 20;
  CHECK(internet_checksum(tcp, 20, pseudo) == 0);

  // A one-byte keepalive probe carries the fill byte; odd length checksums too.
  s.len = 1;
  s.fill = 0xA5;
  build_tcp_frame(s, f);
  REQUIRE(f.size() == 55);
  CHECK(f[54] == 0xA5);
  pseudo = (s.src >> 16) + (s.src & 0xffff) + (s.dst >> 16) + (s.dst & 0xffff) + 6 + 21;
  CHECK(internet_checksum(f.data() + 34, 21, pseudo) == 0);

  // Data is zeros of the right length; ack is zero without the ACK flag.
  s.len = 1000;
  s.flags = tcp_flag::kRst;
  build_tcp_frame(s, f);
  REQUIRE(f.size() == 1054);
  CHECK(f[54] == 0);
  CHECK(f[14 + 20 + 8] == 0);
  CHECK((f[16] << 8 | f[17]) == 1040);
}

TEST_CASE("pcap: files appear only when the run succeeds; --pcap-node checks the node") {
  fs::path d = temp_dir("atomic");
  std::string err;
  CHECK(cli({"run", "--pcap", (d / "x.pcap").string()}, &err) == 0);
  CHECK(err.empty());
  CHECK(fs::exists(d / "x.client.pcap"));
  CHECK(fs::exists(d / "x.fw.pcap"));
  CHECK(fs::exists(d / "x.server.pcap"));
  CHECK_FALSE(fs::exists(d / "x.pcap"));

  CHECK(cli({"run", "--pcap", (d / "only.pcap").string(), "--pcap-node", "fw"}, &err) == 0);
  CHECK(fs::file_size(d / "only.pcap") == fs::file_size(d / "x.fw.pcap"));
  CHECK_FALSE(fs::exists(d / "only.fw.pcap"));

  CHECK(cli({"run", "--pcap", (d / "bad.pcap").string(), "--pcap-node", "fww"}, &err) == 2);
  CHECK(err == "--pcap-node: no node named 'fww' (did you mean 'fw'?); expected client, server or fw\n");
  CHECK(cli({"run", "--max-events", "5", "--pcap", (d / "limited.pcap").string()}, &err) == 1);
  for (const auto& e : fs::directory_iterator(d)) {
    std::string name = e.path().filename().string();
    CHECK_MESSAGE((name.rfind("x.", 0) == 0 || name == "only.pcap"), name);
  }
  fs::remove_all(d);
}

TEST_CASE("pcap: an unwritable --pcap path is named as given, before anything runs") {
  std::string err;
  CHECK(cli({"run", "--pcap", "/nonexistent-dir/x.pcap"}, &err) == 2);
  // The client's file is the first one opened; the message names it, not
  // the temporary file it would have been written to.
  CHECK(err == "/nonexistent-dir/x.client.pcap: cannot write: No such file or directory\n");
  CHECK(cli({"run", "--pcap", "/nonexistent-dir/only.pcap", "--pcap-node", "fw"}, &err) == 2);
  CHECK(err == "/nonexistent-dir/only.pcap: cannot write: No such file or directory\n");
}

// tshark reads every capture file of every seed scenario: no malformed
// packets, no checksum errors, one frame per trace record with its time,
// addresses, flags, raw seq/ack and length, and tshark's own TCP analysis
// calls exactly the probes "TCP Keep-Alive" and their answers "TCP
// Keep-Alive ACK".
TEST_CASE("pcap: tshark reads the seed scenarios' captures exactly as the trace says") {
  int status = 0;
  shell("command -v tshark >/dev/null 2>&1", &status);
  REQUIRE_MESSAGE(status == 0, "tshark is not installed: run ./dev.sh setup (Debian package tshark)");

  fs::path dir = fs::path(KASIM_SOURCE_DIR) / "scenarios";
  fs::path tmp = temp_dir("tshark");
  int probes_labelled = 0, acks_labelled = 0, rsts = 0, frames = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);
  for (const fs::path& yaml : files) {
    CAPTURE(yaml.filename().string());
    LoadResult lr = load_scenario_file(yaml.string());
    REQUIRE(lr.scenario);
    MemorySink mem;
    Simulator sim(*lr.scenario);
    sim.run(mem);

    fs::path base = tmp / (yaml.stem().string() + ".pcap");
    std::string err;
    REQUIRE_MESSAGE(cli({"run", yaml.string(), "--pcap", base.string()}, &err) == 0, err);
    const Scenario& s = *lr.scenario;
    for (size_t node = 0; node < s.node_count(); ++node) {
      std::string name(s.node_name(node));
      CAPTURE(name);
      fs::path file = pcap_path_for_node(base.string(), name);
      bool captured = (s.capture.empty() && !s.capture_none) ||
                      std::find(s.capture.begin(), s.capture.end(), name) != s.capture.end();
      REQUIRE(fs::exists(file) == captured);  // one file per capture point, none for the others
      if (!captured) continue;
      std::string cmd =
          "tshark -n -r '" + file.string() +
          "' -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o tcp.relative_sequence_numbers:FALSE"
          // Payloads are zeros: never let a port-based dissector (port 5000: GSM RSL) parse them.
          " -d tcp.port==1-65535,data"
          " -T fields -E separator=/t -E occurrence=a -E aggregator=,"
          " -e frame.time_epoch -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.flags"
          " -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.window_size_value"
          " -e ip.checksum.status -e tcp.checksum.status -e _ws.malformed -e _ws.expert.severity"
          " -e tcp.analysis.keep_alive -e tcp.analysis.keep_alive_ack 2>'" +
          (tmp / "tshark.err").string() + "'";
      std::string out = shell(cmd, &status);
      std::ifstream errf(tmp / "tshark.err");
      std::string tshark_err((std::istreambuf_iterator<char>(errf)), {});
      REQUIRE_MESSAGE(status == 0, "tshark failed: " << tshark_err);

      std::vector<TraceRecord> want;
      for (const TraceRecord& r : mem.records)
        if (r.node == node) want.push_back(r);
      std::vector<std::string> lines = split(out, '\n');
      if (!lines.empty() && lines.back().empty()) lines.pop_back();
      REQUIRE(lines.size() == want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        const TraceRecord& r = want[i];
        const Segment& g = r.seg;
        CAPTURE(i);
        CAPTURE(lines[i]);
        std::vector<std::string> f = split(lines[i], '\t');
        REQUIRE(f.size() == 16);
        CHECK(f[0] == format_seconds_us(r.t) + "000");
        CHECK(f[1] == format_ipv4(g.src));
        CHECK(f[2] == std::to_string(g.sport));
        CHECK(f[3] == format_ipv4(g.dst));
        CHECK(f[4] == std::to_string(g.dport));
        CHECK(std::stoul(f[5], nullptr, 16) == g.flags);
        CHECK(f[6] == std::to_string(g.seq));
        CHECK(f[7] == std::to_string(g.has(tcp_flag::kAck) ? g.ack : 0));
        CHECK(f[8] == std::to_string(g.len));
        CHECK(f[9] == std::to_string(g.window));
        CHECK(f[10] == "1");  // PROTO_CHECKSUM_E_GOOD
        CHECK(f[11] == "1");
        CHECK(f[12].empty());
        CHECK(f[13].find("8388608") == std::string::npos);  // PI_ERROR
        // A firewall's dead-connection probe is keepalive-shaped too.
        bool probe = r.why == NoteKind::kKeepaliveProbe || r.why == NoteKind::kDcdProbe;
        bool probe_ack = r.why == NoteKind::kAckOfProbe;
        CHECK(!f[14].empty() == probe);
        // tshark labels an answer only when its seq is the one it expects
        // next; after lost data (a link went down) it is not, so only the
        // label's presence is checked.
        if (!f[15].empty()) CHECK(probe_ack);
        probes_labelled += probe && !f[14].empty();
        acks_labelled += probe_ack && !f[15].empty();
        rsts += g.has(tcp_flag::kRst);
        ++frames;
      }
    }
  }
  // The suite above is not vacuous: these seed scenarios have all three.
  CHECK(frames > 100);
  CHECK(probes_labelled > 10);
  CHECK(acks_labelled > 10);
  CHECK(rsts >= 4);
  MESSAGE("tshark checked " << frames << " frames: " << probes_labelled << " keep-alives, " << acks_labelled
                            << " keep-alive ACKs, " << rsts << " RSTs");
  fs::remove_all(tmp);
}

TEST_CASE("pcap: the firewall's RST is in the firewall's capture where the trace puts it") {
  int status = 0;
  shell("command -v tshark >/dev/null 2>&1", &status);
  REQUIRE_MESSAGE(status == 0, "tshark is not installed: run ./dev.sh setup (Debian package tshark)");
  fs::path tmp = temp_dir("rst");
  fs::path file = tmp / "fw.pcap";
  REQUIRE(cli({"run", "--pcap", file.string(), "--pcap-node", "fw"}) == 0);
  std::string out = shell("tshark -n -r '" + file.string() +
                              "' -Y 'tcp.flags.reset == 1' -T fields -E separator=' ' -e frame.time_epoch "
                              "-e ip.src -e ip.dst -e tcp.seq_raw 2>/dev/null",
                          &status);
  CHECK(status == 0);
  // From the golden trace: 7209.879247 fw out IP 10.0.0.1.49638 > 10.0.1.1.23: Flags [R], seq 3677024325
  CHECK(out == "7209.879247000 10.0.0.1 10.0.1.1 3677024325\n");
  fs::remove_all(tmp);
}
