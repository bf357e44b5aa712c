#include "kasim/pcap_sink.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <fmt/format.h>

#include "kasim/diagnostic.h"
#include "kasim/scenario.h"

namespace kasim {

namespace {
// libpcap, loaded when a pcap file is first opened rather than linked: its
// dependencies (libdbus, libsystemd, libgcrypt and six more) took 1.7 ms of
// dynamic linking in every run, a third of a small scenario's whole run,
// although most runs write no pcap. The functions are the ones libpcap
// documents; only their loading is deferred.
struct LibPcap {
  decltype(&::pcap_open_dead) open_dead = nullptr;
  decltype(&::pcap_close) close = nullptr;
  decltype(&::pcap_dump_fopen) dump_fopen = nullptr;
  decltype(&::pcap_dump) dump = nullptr;
  decltype(&::pcap_dump_file) dump_file = nullptr;
  decltype(&::pcap_dump_flush) dump_flush = nullptr;
  decltype(&::pcap_dump_close) dump_close = nullptr;
  decltype(&::pcap_geterr) geterr = nullptr;
  std::string error;  // why it could not be loaded; empty if loaded

  LibPcap() {
    // Debian's runtime package (libpcap0.8) installs the library under its
    // soname libpcap.so.0.8; other systems use libpcap.so.1.
    void* lib = nullptr;
    for (const char* name : {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"})
      if ((lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    if (lib == nullptr) {
      const char* why = ::dlerror();
      error = fmt::format("pcap output needs libpcap (Debian package libpcap0.8): {}", why ? why : "not found");
      return;
    }
    bool all = load(lib, "pcap_open_dead", open_dead) & load(lib, "pcap_close", close) &
               load(lib, "pcap_dump_fopen", dump_fopen) & load(lib, "pcap_dump", dump) &
               load(lib, "pcap_dump_file", dump_file) & load(lib, "pcap_dump_flush", dump_flush) &
               load(lib, "pcap_dump_close", dump_close) & load(lib, "pcap_geterr", geterr);
    if (!all) error = "pcap output needs libpcap: the loaded library lacks a pcap_dump function";
  }
  template <typename F>
  static bool load(void* lib, const char* name, F& f) {
    f = reinterpret_cast<F>(::dlsym(lib, name));
    return f != nullptr;
  }
};

// Loaded once, on first use (thread-safe static).
const LibPcap& libpcap() {
  static const LibPcap lib;
  return lib;
}
}  // namespace

std::string pcap_path_for_node(const std::string& path, const std::string& node) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1))
    return path + "." + node;
  return path.substr(0, dot) + "." + node + path.substr(dot);
}

uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < len) sum += static_cast<uint32_t>(data[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

namespace {
constexpr size_t kEthLen = 14, kIpLen = 20, kTcpLen = 20;

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}
void put_mac(uint8_t* p, Ipv4 a) {
  p[0] = 0x02;
  p[1] = 0x00;
  put32(p + 2, a);
}
}  // namespace

void build_tcp_frame(const Segment& seg, std::vector<uint8_t>& frame) {
  size_t total = kEthLen + kIpLen + kTcpLen + seg.len;
  frame.assign(total, 0);
  uint8_t* eth = frame.data();
  put_mac(eth, seg.dst);
  put_mac(eth + 6, seg.src);
  put16(eth + 12, 0x0800);

  uint8_t* ip = eth + kEthLen;
  ip[0] = 0x45;  // version 4, 5 words
  put16(ip + 2, static_cast<uint32_t>(kIpLen + kTcpLen + seg.len));
  put16(ip + 6, 0x4000);  // DF, fragment offset 0; ID stays 0
  ip[8] = 64;             // TTL
  ip[9] = 6;              // TCP
  put32(ip + 12, seg.src);
  put32(ip + 16, seg.dst);
  put16(ip + 10, internet_checksum(ip, kIpLen));

  uint8_t* tcp = ip + kIpLen;
  put16(tcp, seg.sport);
  put16(tcp + 2, seg.dport);
  put32(tcp + 4, seg.seq);
  put32(tcp + 8, seg.has(tcp_flag::kAck) ? seg.ack : 0);
  tcp[12] = static_cast<uint8_t>((kTcpLen / 4) << 4);
  tcp[13] = seg.flags;
  put16(tcp + 14, seg.window);
  if (seg.len == 1) tcp[kTcpLen] = seg.fill;
  // Pseudo-header: source, destination, zero + protocol, TCP length.
  uint32_t tcp_len = static_cast<uint32_t>(kTcpLen + seg.len);
  uint32_t sum = (seg.src >> 16) + (seg.src & 0xffff) + (seg.dst >> 16) + (seg.dst & 0xffff) + 6 + tcp_len;
  put16(tcp + 16, internet_checksum(tcp, tcp_len, sum));
}

struct PcapSink::File {
  std::string path, tmp;
  pcap_t* dead = nullptr;
  pcap_dumper_t* dumper = nullptr;
  ~File() {
    if (dumper != nullptr) libpcap().dump_close(dumper);
    if (dead != nullptr) libpcap().close(dead);
    if (!tmp.empty()) std::remove(tmp.c_str());
  }
};

PcapSink::PcapSink(std::string path, std::string only_node)
    : path_(std::move(path)), only_node_(std::move(only_node)) {}

PcapSink::~PcapSink() = default;

void PcapSink::begin(const Scenario& s) {
  if (!opened_) open(s);
}

bool PcapSink::open(const Scenario& s) {
  opened_ = true;
  files_.clear();
  files_.resize(s.node_count());
  std::vector<bool> wanted(s.node_count(), s.capture.empty() && !s.capture_none);
  for (const std::string& n : s.capture) wanted[s.node_index(n)] = true;
  if (!only_node_.empty()) {
    size_t n = s.node_index(only_node_);
    if (n == SIZE_MAX) {
      std::vector<std::string_view> names;
      for (size_t i = 0; i < s.node_count(); ++i) names.push_back(s.node_name(i));
      error_ = fmt::format("--pcap-node: no node named '{}'{}; expected {}", only_node_,
                           did_you_mean(only_node_, names), join_alternatives(names));
      return false;
    }
    if (!wanted[n]) {
      error_ = fmt::format("--pcap-node: node '{}' is not a capture point of this scenario (see its `capture:` list)",
                           only_node_);
      return false;
    }
    wanted.assign(s.node_count(), false);
    wanted[n] = true;
  }
  const LibPcap& pcap = libpcap();
  for (size_t i = 0; i < s.node_count(); ++i) {
    if (!wanted[i]) continue;
    if (!pcap.error.empty()) {
      error_ = pcap.error;
      return false;
    }
    auto f = std::make_unique<File>();
    f->path = only_node_.empty() ? pcap_path_for_node(path_, std::string(s.node_name(i))) : path_;
    f->tmp = fmt::format("{}.tmp-{}", f->path, ::getpid());
    f->dead = pcap.open_dead(DLT_EN10MB, 65535);
    if (f->dead == nullptr) {
      error_ = fmt::format("{}: pcap_open_dead failed", f->path);
      f->tmp.clear();
      return false;
    }
    // Opened here rather than by pcap_dump_open() so that a failure is
    // reported with errno against the path the user asked for, not the
    // temporary name libpcap would put in its message.
    std::FILE* stream = std::fopen(f->tmp.c_str(), "wb");
    if (stream == nullptr) {
      error_ = fmt::format("{}: cannot write: {}", f->path, std::strerror(errno));
      f->tmp.clear();
      return false;
    }
    f->dumper = pcap.dump_fopen(f->dead, stream);  // owns `stream` from here on
    if (f->dumper == nullptr) {
      error_ = fmt::format("{}: cannot write: {}", f->path, pcap.geterr(f->dead));
      std::fclose(stream);
      return false;
    }
    files_[i] = std::move(f);
  }
  return true;
}

void PcapSink::record(const TraceRecord& r) {
  if (!ok() || r.node >= files_.size() || files_[r.node] == nullptr) return;
  build_tcp_frame(r.seg, frame_);
  pcap_pkthdr h{};
  int64_t us = r.t.count_us();
  h.ts.tv_sec = static_cast<time_t>(us / 1'000'000);
  h.ts.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  h.caplen = h.len = static_cast<bpf_u_int32>(frame_.size());
  libpcap().dump(reinterpret_cast<u_char*>(files_[r.node]->dumper), &h, frame_.data());
}

bool PcapSink::commit(std::string* why) {
  if (!ok()) {
    *why = error_;
    return false;
  }
  for (auto& f : files_) {
    if (f == nullptr) continue;
    const LibPcap& pcap = libpcap();
    std::FILE* stream = pcap.dump_file(f->dumper);
    bool good = pcap.dump_flush(f->dumper) == 0 && !std::ferror(stream);
    int err = errno;
    pcap.dump_close(f->dumper);
    f->dumper = nullptr;
    if (!good) {
      *why = fmt::format("{}: cannot write: {}", f->path, std::strerror(err));
      return false;
    }
  }
  for (auto& f : files_) {
    if (f == nullptr) continue;
    if (std::rename(f->tmp.c_str(), f->path.c_str()) != 0) {
      *why = fmt::format("{}: cannot write: {}", f->path, std::strerror(errno));
      return false;
    }
    f->tmp.clear();
  }
  return true;
}

std::vector<std::string> PcapSink::paths() const {
  std::vector<std::string> out;
  for (const auto& f : files_)
    if (f != nullptr) out.push_back(f->path);
  return out;
}

}  // namespace kasim
