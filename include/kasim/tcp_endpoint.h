// One end of a TCP connection, following Linux's rules (net/ipv4/tcp_*.c),
// or another kernel's where its OsProfile's rules (os_profile.h) say so:
// keepalive idle reference, probe format, give-up rule, timer model, data
// retransmission give-up. Linux behaviour is the default path and is
// unchanged by the other profiles.
//
// The endpoint does no I/O: every call takes the current time and appends
// what the endpoint does (segments to send, errors for the application) to a
// TcpOutput. Timers are deadlines the endpoint keeps itself; the simulator
// wakes it at next_wakeup() (lazily, see event_queue.h). This keeps the
// endpoint testable on its own and free of allocation per event.
//
// Rules modelled (sources in docs/linux-profile.md):
//  * handshake with SYN/SYN-ACK retransmission (1 s initial RTO; the first
//    tcp_syn_linear_timeouts SYN retransmissions keep it, then it doubles);
//  * data with immediate ACKs (quick-ack mode), RTT estimation as
//    tcp_rtt_estimator(), RTO = srtt + max(4*mdev, 200 ms), exponential
//    backoff capped at 120 s, tail-loss probe, give-up by tcp_retries2 or
//    TCP_USER_TIMEOUT with ETIMEDOUT and no RST; once the application has
//    closed (an orphan), by tcp_orphan_retries (8), silently;
//  * keepalive exactly as tcp_keepalive_timer(): lazy timer, idle measured
//    from the last acceptable ACK or in-order data, probe = ACK with
//    seq snd_una-1 and no payload, give-up RST + ETIMEDOUT, TCP_USER_TIMEOUT;
//  * RST acceptance (exact sequence), challenge ACKs for in-window RSTs and
//    SYNs and for ACKs of unsent data (whose segment is dropped), answers to
//    out-of-window segments; 0-byte ones and all challenge ACKs share one
//    per-socket rate limit (tcp_invalid_ratelimit), data is answered at once;
//  * FIN close with TIME_WAIT (60 s); a FIN gets a tail-loss probe like data,
//    and a FIN received again is ACKed again;
//    new data reaching a closed application's socket (FIN_WAIT1/2) is
//    answered with an RST and the socket is gone (RFC 1122 4.2.2.13).
// Not modelled: the orphaned FIN_WAIT2 timeout (tcp_fin_timeout), too-old ACKs (before snd_una - max_window, which Linux drops
// with a challenge ACK: treated as old ACKs), SACK, reordering buffers (out-of-order data is dropped and
// recovered by retransmission), congestion control, delayed ACKs, window
// scaling, TCP options.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "kasim/linux_timer.h"
#include "kasim/os_profile.h"
#include "kasim/segment.h"
#include "kasim/slowtimo.h"
#include "kasim/time.h"

namespace kasim {

enum class TcpState : uint8_t {
  kClosed, kListen, kSynSent, kSynReceived, kEstablished,
  kFinWait1, kFinWait2, kCloseWait, kClosing, kLastAck, kTimeWait,
};
const char* tcp_state_name(TcpState s);

// kWsaEnetreset: Windows' error after keepalive gave up (SIO_KEEPALIVE_VALS docs).
enum class SocketError : uint8_t { kNone, kEconnreset, kEtimedout, kEconnrefused, kEpipe, kWsaEnetreset };
const char* socket_error_name(SocketError e);

// Per-socket keepalive options as set with setsockopt(); unset fields use
// the host's tunables. Units are the OS's own (Linux: seconds, ms for UT).
struct KeepaliveOptions {
  bool enabled = false;          // SO_KEEPALIVE
  int64_t idle_s = 0;            // TCP_KEEPIDLE, 0 = unset
  int64_t interval_s = 0;        // TCP_KEEPINTVL, 0 = unset
  int count = 0;                 // TCP_KEEPCNT, 0 = unset
  int64_t user_timeout_ms = 0;   // TCP_USER_TIMEOUT, 0 = off (also bounds data retransmission)
  // The same idle/interval as exact durations, for profiles whose options
  // are not in seconds (Windows SIO_KEEPALIVE_VALS: ms). Zero = unset. The
  // loader sets both; the Linux path reads only the *_s fields.
  Time idle;
  Time interval;
  // illumos TCP_KEEPALIVE_ABORT_THRESHOLD (0 = never give up); unset: the
  // host's keepalive abort interval. Only the illumos profile reads it.
  std::optional<Time> abort;
};

// What every endpoint of one host (or of one fleet's client OS) shares:
// kept once and pointed to, so that a million endpoints do not each carry
// four pointers.
struct TcpEndpointEnv {
  const OsProfile* os = nullptr;
  const HostTunables* tunables = nullptr;
  const LinuxClock* clock = nullptr;
  // The host's 500 ms protocol-timer grid; required when os->timer is kSlowtimo.
  const SlowtimoClock* slowtimo = nullptr;
};

struct TcpEndpointConfig {
  const TcpEndpointEnv* env = nullptr;  // REQUIRES: outlives the endpoint
  Ipv4 local_addr = 0, remote_addr = 0;
  uint16_t local_port = 0, remote_port = 0;
  uint32_t iss = 0;
};

struct EmittedSegment {
  Segment seg;
  NoteKind note = NoteKind::kNone;
  int64_t a = 0, b = 0;  // note arguments (see NoteKind)
};

// Something the application learns.
enum class AppEventKind : uint8_t { kConnected, kError, kEof, kClosed };
struct AppEvent {
  AppEventKind kind;
  SocketError error = SocketError::kNone;
};

struct TcpOutput {
  std::vector<EmittedSegment> segments;
  std::vector<AppEvent> app;
  // Set when the endpoint discarded the incoming segment silently, with why.
  NoteKind discarded = NoteKind::kNone;
  // >= 0 when keepalive gave up during this call: the probes sent unanswered
  // (set whether or not the OS sends an RST).
  int keepalive_gave_up = -1;
  // >= 0 when retransmission gave up on an orphan (a socket its application
  // has closed) during this call: the retransmissions sent. The socket is
  // gone, and no AppEvent says so: nobody holds it any more.
  int orphan_gave_up = -1;
  void clear() {
    segments.clear();
    app.clear();
    discarded = NoteKind::kNone;
    keepalive_gave_up = -1;
    orphan_gave_up = -1;
  }
};

class TcpEndpoint {
 public:
  TcpEndpoint() = default;
  explicit TcpEndpoint(const TcpEndpointConfig& cfg);

  // Client: connect() — sends the SYN.
  void connect(Time now, TcpOutput& out);
  // Server: wait for a SYN on the configured port.
  void listen();
  // Applies socket options at `now` (setsockopt order: SO_KEEPALIVE, then
  // TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT), re-arming the keepalive timer
  // as the kernel does. Valid in any state; takes effect when established.
  void set_keepalive(Time now, const KeepaliveOptions& opts);
  // Application write of `bytes` bytes. Returns the error if the socket is
  // dead (EPIPE after an error was reported, or the pending error).
  SocketError send(Time now, uint64_t bytes, TcpOutput& out);
  // close(): FIN after queued data.
  void close(Time now, TcpOutput& out);
  // close() with SO_LINGER 0, or a killed process's socket that held unread
  // data (process_kill.h): RST.
  void abort(Time now, TcpOutput& out);
  // The host lost all state (reboot/crash): no packets, state CLOSED.
  void vanish();

  void on_segment(Time now, const Segment& seg, TcpOutput& out);
  // Runs whatever timers are due at `now`.
  void on_timer(Time now, TcpOutput& out);
  Time next_wakeup() const;

  TcpState state() const { return state_; }
  SocketError error() const { return error_; }
  uint32_t snd_una() const { return snd_una_; }
  uint32_t snd_nxt() const { return snd_nxt_; }
  uint32_t rcv_nxt() const { return rcv_nxt_; }
  uint32_t iss() const { return iss_; }
  uint32_t irs() const { return irs_; }  // the peer's initial sequence number (0 before a SYN arrived)
  int probes_out() const { return probes_out_; }
  int keepalive_probes_sent() const { return probes_total_; }
  Time rto() const { return rto_; }
  Time keepalive_deadline() const { return ka_fire_; }
  const TcpEndpointConfig& config() const { return cfg_; }
  // Effective keepalive values after socket options and tunables.
  Time keepalive_idle() const;
  Time keepalive_interval() const;
  int keepalive_count() const;

 private:
  // The socket options in force (set_keepalive() merges into them). The
  // loader's ranges (os_profile.h SocketOptionSpec) keep every value within
  // 32 bits. The exact idle/interval are what non-Linux profiles read, the
  // *_s fields what Linux's path reads.
  struct KeepaliveSettings {
    Time idle;
    Time interval;
    int32_t idle_s = 0;
    int32_t interval_s = 0;
    int32_t count = 0;
    int32_t user_timeout_ms = 0;
  };
  // State only the non-Linux rules use (os_profile.h): allocated for those
  // profiles alone, so that Linux endpoints (fleets) stay small.
  struct OsState {
    Time last_rcv_any;           // last segment received of any kind (BSD t_rcvtime)
    int64_t last_rcv_tick = 0;   // slowtimo: the tick at or before last_rcv_any
    Time ka_last_intrvl;         // illumos tcp_ka_last_intrvl: last probe spacing, 0 = none
    int64_t rfc_srtt_us = -1;    // RFC 6298 SRTT (us), -1 = no sample yet
    int64_t rfc_rttvar_us = 0;   // RFC 6298 RTTVAR (us)
    Time waited;                 // illumos tcp_ms_we_have_waited
    std::optional<Time> ka_abort;  // illumos TCP_KEEPALIVE_ABORT_THRESHOLD; unset: the host's
  };
  // A socket option value as stored (see KeepaliveSettings).
  static int32_t option32(int64_t v) {
    assert(v >= INT32_MIN && v <= INT32_MAX && "the loader keeps socket options within 32 bits");
    return static_cast<int32_t>(v);
  }
  // Owns an OsState; copies copy it (endpoints are values).
  struct OsStateBox {
    std::unique_ptr<OsState> p;
    OsStateBox() = default;
    OsStateBox(const OsStateBox& o) : p(o.p ? std::make_unique<OsState>(*o.p) : nullptr) {}
    OsStateBox& operator=(const OsStateBox& o) {
      p = o.p ? std::make_unique<OsState>(*o.p) : nullptr;
      return *this;
    }
    OsStateBox(OsStateBox&&) noexcept = default;
    OsStateBox& operator=(OsStateBox&&) noexcept = default;
  };
  OsState& os_state() const {
    assert(os_.p && "only non-Linux rules read this");
    return *os_.p;
  }

  struct InFlight {
    uint32_t seq;
    uint32_t len;       // sequence space (FIN counts 1)
    uint8_t flags;      // flags of the original transmission
    Time sent;
    bool retransmitted;
  };
  enum class RtxKind : uint8_t { kNone, kRto, kTlp };

  Segment make(uint8_t flags, uint32_t seq, uint32_t len) const;
  void emit(TcpOutput& out, uint8_t flags, uint32_t seq, uint32_t len, NoteKind note, int64_t a = 0,
            int64_t b = 0);
  void send_ack(TcpOutput& out, NoteKind note);
  void push_data(Time now, TcpOutput& out);
  void transmit_new(Time now, TcpOutput& out, uint8_t flags, uint32_t len, NoteKind note, int64_t a);
  void fail(Time now, SocketError e, TcpOutput& out);
  void enter_closed();
  uint64_t jiffies(Time t) const { return cfg_.env->clock->jiffies(t); }
  Time arm(Time now, uint64_t delay_jiffies, ArmContext ctx) const {
    return cfg_.env->clock->timer_fire_time(now, delay_jiffies, ctx);
  }
  uint64_t keepalive_time_when() const;
  uint64_t keepalive_intvl_when() const;
  int keepalive_probes() const;
  uint64_t keepalive_time_elapsed(Time now) const;

  void handle_syn_sent(Time now, const Segment& seg, TcpOutput& out);
  void handle_rst(Time now, const Segment& seg, TcpOutput& out);
  // false: the segment is dropped (its ACK acknowledges data never sent).
  bool handle_ack(Time now, const Segment& seg, TcpOutput& out);
  // __tcp_oow_rate_limited(): true if an answer to an unacceptable segment
  // went out less than tcp_invalid_ratelimit ago (profiles with
  // receive.oow_ack_ratelimit); otherwise records `now` as the last answer.
  bool answer_rate_limited(Time now);
  // RFC 5961 challenge ACK, subject to the per-socket rate limit above.
  void send_challenge_ack(Time now, TcpOutput& out);
  void rtt_sample(Time rtt);
  void rearm_rto(Time now, ArmContext ctx);
  void schedule_tlp(Time now);
  void retransmit_timer(Time now, TcpOutput& out);
  void tlp_timer(Time now, TcpOutput& out);
  void keepalive_timer(Time now, TcpOutput& out);
  bool retransmits_timed_out(Time now, int boundary, Time rto_base) const;
  // The retransmission boundary of an orphan (tcp_orphan_retries()).
  int orphan_retries() const;
  Time clamp_rto_to_user_timeout(Time now) const;

  // Non-Linux profiles (os_profile.h rules); see tcp_endpoint_os.cc.
  bool linux_rules() const { return cfg_.env->os->timer == TimerModel::kLinuxWheel; }
  Time os_arm(Time now, Time delay) const;
  bool os_keepalive_on() const;
  Time os_ka_idle() const;
  Time os_ka_interval() const;
  int os_ka_count() const;
  Time os_ka_abort() const;
  Time os_ka_fixed_interval() const;
  void os_note_received(Time now);
  void os_arm_keepalive_idle(Time now);
  void os_set_keepalive(Time now, const KeepaliveOptions& opts);
  void os_keepalive_timer(Time now, TcpOutput& out);
  void os_keepalive_callout(Time now, TcpOutput& out);
  void os_keepalive_slowtimo(Time now, TcpOutput& out);
  void os_keepalive_illumos(Time now, TcpOutput& out);
  void os_send_probe(TcpOutput& out, int64_t limit);
  void os_keepalive_give_up(Time now, TcpOutput& out, int64_t limit);
  void os_rtt_sample(Time rtt);
  Time os_rto_base() const;
  Time os_backed_off_rto(int shift) const;
  void os_retransmit_timer(Time now, TcpOutput& out);

  // Ordered by size so that nothing is padded: the sizeof() is pinned in
  // tcp_endpoint_test.cc, since a fleet holds two per connection.
  TcpEndpointConfig cfg_;
  OsStateBox os_;               // non-Linux profiles only
  std::vector<InFlight> inflight_;
  KeepaliveSettings ka_;
  uint64_t unsent_ = 0;          // bytes written but not yet sent
  uint64_t last_write_bytes_ = 0;

  // RTT estimation (microseconds, Linux scaling: srtt x8, mdev x4).
  int64_t srtt_us_ = 0, mdev_us_ = 0, mdev_max_us_ = 0, rttvar_us_ = 0;
  Time rto_;
  Time retrans_stamp_ = Time::never();  // first retransmission, never if none

  // Timers (fire times after wheel rounding; never = not armed).
  Time rtx_fire_ = Time::never();
  Time ka_fire_ = Time::never();
  Time timewait_fire_ = Time::never();

  // Keepalive.
  uint64_t rcv_tstamp_ = 0;      // jiffies of the last acceptable ACK
  uint64_t lrcvtime_ = 0;        // jiffies of the last in-order data
  uint64_t last_oow_ack_ = 0;    // jiffies of the last answer that counts for the rate limit (tp->last_oow_ack_time)
  int probes_out_ = 0;
  int probes_total_ = 0;

  uint32_t iss_ = 0, irs_ = 0;
  uint32_t snd_una_ = 0, snd_nxt_ = 0, rcv_nxt_ = 0;
  uint32_t rtt_seq_ = 0;
  int retransmits_ = 0;          // icsk_retransmits

  TcpState state_ = TcpState::kClosed;
  SocketError error_ = SocketError::kNone;
  RtxKind rtx_kind_ = RtxKind::kNone;
  bool error_reported_ = false;
  bool fin_queued_ = false;      // close() called; FIN goes after unsent data
  bool tlp_outstanding_ = false;
  bool oow_answered_ = false;
  bool ka_enabled_ = false;      // SO_KEEPALIVE
};

}  // namespace kasim
