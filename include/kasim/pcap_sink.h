// pcap output: what a tcpdump at each capture point would have written.
//
// PcapSink turns trace records into Ethernet/IPv4/TCP frames and writes them
// with libpcap (pcap_open_dead(DLT_EN10MB, 65535) + pcap_dump), one file per
// capture point, so Wireshark and tshark can read a simulated run as if it
// had been captured. Contract of each frame:
//  * timestamps are simulated time since the start of the run, truncated to
//    microseconds exactly as the text trace prints them (so t = 0 is the
//    Unix epoch in Wireshark's absolute view);
//  * Ethernet addresses are 02:00:a:b:c:d (locally administered) made from
//    the packet's source and destination IPv4 addresses, type 0x0800;
//  * IPv4: 20-byte header, DF set, IP ID 0, TTL 64, protocol 6, header
//    checksum computed (RFC 791);
//  * TCP: 20-byte header without options, the segment's ports, seq, ack
//    (zero unless ACK is set), flags and window, checksum over the RFC 9293
//    pseudo-header computed;
//  * payload: `len` bytes of zeros (the simulator does not track content),
//    except a one-byte segment carries Segment::fill (a BSD-style keepalive
//    probe's garbage byte).
// A record captured at a node is written whatever happened to the packet
// there (sent, received, forwarded, or dropped by a middlebox or an input
// filter): tcpdump sees a packet before the filter decides.
//
// Files are written atomically: to a temporary file beside the target,
// renamed into place by commit(). Without commit() nothing is left behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kasim/segment.h"
#include "kasim/trace.h"

namespace kasim {

// The file a capture point's frames go to: "out.pcap" + "fw" -> "out.fw.pcap"
// (the node name goes before the last extension; appended if there is none).
std::string pcap_path_for_node(const std::string& path, const std::string& node);

// Appends the Ethernet/IPv4/TCP frame for `seg` to `frame` (cleared first).
void build_tcp_frame(const Segment& seg, std::vector<uint8_t>& frame);

// The Internet checksum (RFC 1071) of `len` bytes, starting from `sum`.
uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t sum = 0);

class PcapSink : public TraceSink {
 public:
  // `path` names the output; with `only_node` empty, one file per capture
  // point (pcap_path_for_node), else only that node's records, to `path`.
  PcapSink(std::string path, std::string only_node);
  ~PcapSink() override;  // removes temporary files unless committed
  PcapSink(const PcapSink&) = delete;
  PcapSink& operator=(const PcapSink&) = delete;

  // Opens the (temporary) files; false with error() set on an unknown
  // --pcap-node or an unwritable directory. Call it before the run to fail
  // early; begin() calls it if it was not called.
  bool open(const Scenario& s);
  void begin(const Scenario& s) override;
  void record(const TraceRecord& r) override;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Flushes, closes and renames every file into place; false with *why.
  bool commit(std::string* why);
  // The final paths, in node order (valid after begin()).
  std::vector<std::string> paths() const;

 private:
  struct File;
  std::string path_, only_node_;
  std::string error_;
  bool opened_ = false;
  std::vector<std::unique_ptr<File>> files_;  // indexed by node; null if not written
  std::vector<uint8_t> frame_;                // reused for every packet
};

}  // namespace kasim
