#include "kasim/tcp_endpoint.h"

#include <algorithm>
#include <cassert>

namespace kasim {

const char* tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::kClosed: return "CLOSED";
    case TcpState::kListen: return "LISTEN";
    case TcpState::kSynSent: return "SYN_SENT";
    case TcpState::kSynReceived: return "SYN_RECV";
    case TcpState::kEstablished: return "ESTABLISHED";
    case TcpState::kFinWait1: return "FIN_WAIT1";
    case TcpState::kFinWait2: return "FIN_WAIT2";
    case TcpState::kCloseWait: return "CLOSE_WAIT";
    case TcpState::kClosing: return "CLOSING";
    case TcpState::kLastAck: return "LAST_ACK";
    case TcpState::kTimeWait: return "TIME_WAIT";
  }
  return "?";
}

const char* socket_error_name(SocketError e) {
  switch (e) {
    case SocketError::kNone: return "none";
    case SocketError::kEconnreset: return "ECONNRESET";
    case SocketError::kEtimedout: return "ETIMEDOUT";
    case SocketError::kEconnrefused: return "ECONNREFUSED";
    case SocketError::kEpipe: return "EPIPE";
    case SocketError::kWsaEnetreset: return "WSAENETRESET";
  }
  return "?";
}

namespace {
constexpr Time kTimeWaitLen = Time::s(60);  // TCP_TIMEWAIT_LEN
using namespace tcp_flag;
}  // namespace

TcpEndpoint::TcpEndpoint(const TcpEndpointConfig& cfg) : cfg_(cfg) {
  assert(cfg.env && cfg.env->os && cfg.env->tunables && cfg.env->clock);
  const OsProfile& os = *cfg.env->os;
  // Every rule that reads OsState is behind one of these tests.
  if (os.timer != TimerModel::kLinuxWheel || !os.retransmit.linux_rtt_estimator ||
      os.retransmit.give_up != RetransmitGiveUp::kLinuxModel)
    os_.p = std::make_unique<OsState>();
  iss_ = cfg.iss;
  rto_ = os.rto_initial;
}

// ---------------------------------------------------------------- helpers

Segment TcpEndpoint::make(uint8_t flags, uint32_t seq, uint32_t len) const {
  Segment s;
  s.src = cfg_.local_addr;
  s.dst = cfg_.remote_addr;
  s.sport = cfg_.local_port;
  s.dport = cfg_.remote_port;
  s.seq = seq;
  s.ack = (flags & kAck) ? rcv_nxt_ : 0;
  s.len = len;
  s.flags = flags;
  s.window = (flags & kRst) ? 0 : cfg_.env->os->window;
  return s;
}

void TcpEndpoint::emit(TcpOutput& out, uint8_t flags, uint32_t seq, uint32_t len, NoteKind note,
                       int64_t a, int64_t b) {
  out.segments.push_back(EmittedSegment{make(flags, seq, len), note, a, b});
}

void TcpEndpoint::send_ack(TcpOutput& out, NoteKind note) { emit(out, kAck, snd_nxt_, 0, note); }

void TcpEndpoint::enter_closed() {
  state_ = TcpState::kClosed;
  inflight_.clear();
  unsent_ = 0;
  rtx_fire_ = ka_fire_ = timewait_fire_ = Time::never();
  rtx_kind_ = RtxKind::kNone;
}

void TcpEndpoint::fail(Time, SocketError e, TcpOutput& out) {
  error_ = e;
  out.app.push_back(AppEvent{AppEventKind::kError, e});
  enter_closed();
}

void TcpEndpoint::vanish() {
  enter_closed();
  state_ = TcpState::kClosed;
}

Time TcpEndpoint::next_wakeup() const { return std::min({rtx_fire_, ka_fire_, timewait_fire_}); }

// ------------------------------------------------------------- keepalive

namespace {
uint64_t time_to_jiffies(const LinuxClock& c, Time t) {
  if (c.ideal()) return static_cast<uint64_t>(t.count_ns());
  return c.from_us_ceil(t.count_us());
}
}  // namespace

uint64_t TcpEndpoint::keepalive_time_when() const {
  return ka_.idle_s ? cfg_.env->clock->from_seconds(ka_.idle_s)
                    : time_to_jiffies(*cfg_.env->clock, cfg_.env->tunables->keepalive_idle);
}
uint64_t TcpEndpoint::keepalive_intvl_when() const {
  return ka_.interval_s ? cfg_.env->clock->from_seconds(ka_.interval_s)
                        : time_to_jiffies(*cfg_.env->clock, cfg_.env->tunables->keepalive_interval);
}
int TcpEndpoint::keepalive_probes() const {
  return ka_.count ? ka_.count : cfg_.env->tunables->keepalive_probes;
}
Time TcpEndpoint::keepalive_idle() const {
  return linux_rules() ? cfg_.env->clock->to_time(keepalive_time_when()) : os_ka_idle();
}
Time TcpEndpoint::keepalive_interval() const {
  return linux_rules() ? cfg_.env->clock->to_time(keepalive_intvl_when()) : os_ka_interval();
}
int TcpEndpoint::keepalive_count() const { return linux_rules() ? keepalive_probes() : os_ka_count(); }

uint64_t TcpEndpoint::keepalive_time_elapsed(Time now) const {
  uint64_t j = jiffies(now);
  return std::min(j - lrcvtime_, j - rcv_tstamp_);
}

static bool keepalive_runs_in(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      return true;
    default:
      return false;
  }
}

void TcpEndpoint::set_keepalive(Time now, const KeepaliveOptions& opts) {
  if (!linux_rules()) {
    os_set_keepalive(now, opts);
    return;
  }
  // SO_KEEPALIVE: tcp_set_keepalive() arms the timer for keepalive_time_when()
  // with the values in force *before* the TCP_KEEP* options that follow.
  bool was = ka_enabled_;
  ka_enabled_ = opts.enabled;
  if (opts.enabled && !was && keepalive_runs_in(state_))
    ka_fire_ = arm(now, keepalive_time_when(), ArmContext::kProcess);
  if (!opts.enabled) ka_fire_ = Time::never();
  // TCP_KEEPIDLE: re-arm for what is left of the new idle time.
  if (opts.idle_s) {
    ka_.idle_s = option32(opts.idle_s);
    if (ka_enabled_ && keepalive_runs_in(state_)) {
      uint64_t elapsed = keepalive_time_elapsed(now);
      uint64_t idle = keepalive_time_when();
      ka_fire_ = arm(now, idle > elapsed ? idle - elapsed : 0, ArmContext::kProcess);
    }
  }
  if (opts.interval_s) ka_.interval_s = option32(opts.interval_s);
  if (opts.count) ka_.count = option32(opts.count);
  ka_.user_timeout_ms = option32(opts.user_timeout_ms);
}

void TcpEndpoint::keepalive_timer(Time now, TcpOutput& out) {
  if (!linux_rules()) {
    os_keepalive_timer(now, out);
    return;
  }
  ka_fire_ = Time::never();
  if (!ka_enabled_ || !keepalive_runs_in(state_)) return;
  uint64_t next = keepalive_time_when();
  // "It is alive without keepalive 8)": data in flight or queued. (Queued
  // but unsent data cannot happen here while established: no send window or
  // cwnd is modelled, so every write goes out at once; the test stays to
  // follow tcp_keepalive_timer().)
  if (inflight_.empty() && unsent_ == 0) {
    uint64_t elapsed = keepalive_time_elapsed(now);
    if (elapsed >= keepalive_time_when()) {
      int64_t ut = ka_.user_timeout_ms;
      if ((ut != 0 && elapsed >= cfg_.env->clock->from_ms_ceil(ut) && probes_out_ > 0) ||
          (ut == 0 && probes_out_ >= keepalive_probes())) {
        // tcp_send_active_reset(): RST|ACK at snd_nxt, then tcp_write_err().
        out.keepalive_gave_up = probes_out_;
        emit(out, kRst | kAck, snd_nxt_, 0, NoteKind::kKeepaliveGiveUpRst, probes_out_,
             ut != 0 ? 0 : keepalive_probes());
        fail(now, SocketError::kEtimedout, out);
        return;
      }
      // tcp_xmit_probe_skb(): an old sequence number makes the peer answer.
      ++probes_out_;
      ++probes_total_;
      emit(out, kAck, snd_una_ - 1, 0, NoteKind::kKeepaliveProbe, probes_out_,
           ut != 0 ? 0 : keepalive_probes());
      next = keepalive_intvl_when();
    } else {
      next = keepalive_time_when() - elapsed;
    }
  }
  ka_fire_ = arm(now, next, ArmContext::kTimerCallback);
}

// ------------------------------------------------------------ connection

void TcpEndpoint::connect(Time now, TcpOutput& out) {
  assert(state_ == TcpState::kClosed);
  state_ = TcpState::kSynSent;
  snd_una_ = iss_;
  snd_nxt_ = iss_;
  transmit_new(now, out, kSyn, 0, NoteKind::kSyn, 0);
  rto_ = cfg_.env->os->rto_initial;
  rearm_rto(now, ArmContext::kProcess);
}

void TcpEndpoint::listen() { state_ = TcpState::kListen; }

void TcpEndpoint::transmit_new(Time now, TcpOutput& out, uint8_t flags, uint32_t len, NoteKind note,
                               int64_t a) {
  Segment s = make(flags, snd_nxt_, len);
  out.segments.push_back(EmittedSegment{s, note, a, 0});
  uint32_t space = s.seq_len();
  inflight_.push_back(InFlight{snd_nxt_, space, s.flags, now, false});
  snd_nxt_ += space;
}

SocketError TcpEndpoint::send(Time now, uint64_t bytes, TcpOutput& out) {
  if (state_ == TcpState::kClosed || state_ == TcpState::kListen) {
    if (error_ != SocketError::kNone) return SocketError::kEpipe;
    return SocketError::kEpipe;
  }
  if (fin_queued_) return SocketError::kEpipe;
  unsent_ += bytes;
  last_write_bytes_ = bytes;
  if (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait) push_data(now, out);
  return SocketError::kNone;
}

void TcpEndpoint::push_data(Time now, TcpOutput& out) {
  bool was_idle = inflight_.empty();
  bool sent = false;
  while (unsent_ > 0) {
    uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(unsent_, cfg_.env->os->mss));
    unsent_ -= len;
    transmit_new(now, out, unsent_ == 0 ? kPsh | kAck : kAck, len, NoteKind::kData,
                 static_cast<int64_t>(last_write_bytes_));
    sent = true;
  }
  if (fin_queued_ && unsent_ == 0 &&
      (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait)) {
    transmit_new(now, out, kFin | kAck, 0, NoteKind::kFin, 0);
    state_ = state_ == TcpState::kEstablished ? TcpState::kFinWait1 : TcpState::kLastAck;
    sent = true;
  }
  if (sent && was_idle) {
    rearm_rto(now, ArmContext::kProcess);
    schedule_tlp(now);
  }
}

void TcpEndpoint::close(Time now, TcpOutput& out) {
  switch (state_) {
    case TcpState::kListen:
    case TcpState::kSynSent:
      enter_closed();
      return;
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      fin_queued_ = true;
      push_data(now, out);
      return;
    case TcpState::kSynReceived:
      fin_queued_ = true;
      return;
    default:
      return;
  }
}

void TcpEndpoint::abort(Time, TcpOutput& out) {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kSynReceived:
      // tcp_disconnect() -> tcp_send_active_reset()
      emit(out, kRst | kAck, snd_nxt_, 0, NoteKind::kAbortRst);
      break;
    default:
      break;
  }
  enter_closed();
}

// -------------------------------------------------------------- receive

void TcpEndpoint::on_segment(Time now, const Segment& seg, TcpOutput& out) {
  switch (state_) {
    case TcpState::kClosed:
      // No socket: RFC 9293 reset generation (tcp_v4_send_reset()).
      if (seg.has(kRst)) {
        out.discarded = NoteKind::kDropNoConnection;
        return;
      }
      {
        EmittedSegment r;
        r.seg.src = cfg_.local_addr;
        r.seg.dst = cfg_.remote_addr;
        r.seg.sport = cfg_.local_port;
        r.seg.dport = cfg_.remote_port;
        if (seg.has(kAck)) {
          r.seg.seq = seg.ack;
          r.seg.flags = kRst;
        } else {
          r.seg.ack = seg.seq + seg.seq_len();
          r.seg.flags = kRst | kAck;
        }
        r.note = NoteKind::kRstNoSocket;
        out.segments.push_back(r);
      }
      return;
    case TcpState::kListen:
      if (seg.has(kRst)) return;
      // A listener answers (and accepts) whoever sent the segment: behind a
      // NAT that is the translated address and port, not the client's own.
      cfg_.remote_addr = seg.src;
      cfg_.remote_port = seg.sport;
      if (!seg.has(kSyn) || seg.has(kAck)) {
        // A segment for a connection this listener does not know.
        EmittedSegment r;
        r.seg = make(kRst, seg.ack, 0);
        r.seg.ack = 0;
        r.note = NoteKind::kRstNoSocket;
        out.segments.push_back(r);
        return;
      }
      irs_ = seg.seq;
      rcv_nxt_ = seg.seq + 1;
      state_ = TcpState::kSynReceived;
      snd_una_ = snd_nxt_ = iss_;
      transmit_new(now, out, kSyn | kAck, 0, NoteKind::kSynAck, 0);
      rto_ = cfg_.env->os->rto_initial;
      rearm_rto(now, ArmContext::kProcess);
      return;
    case TcpState::kSynSent:
      handle_syn_sent(now, seg, out);
      return;
    case TcpState::kTimeWait:
      // A retransmitted FIN is acknowledged again; everything else ignored.
      if (seg.has(kFin)) send_ack(out, NoteKind::kAck);
      return;
    default:
      break;
  }
  if (!linux_rules()) os_note_received(now);

  if (state_ == TcpState::kSynReceived && seg.has(kSyn) && !seg.has(kAck)) {
    // Retransmitted SYN: the SYN-ACK goes again.
    emit(out, kSyn | kAck, iss_, 0, NoteKind::kSynAck, retransmits_);
    return;
  }

  // AIX (TCP_COMPAT_42): "Don't toss RST in response to 4.2-style keepalive".
  if (seg.has(kRst) && cfg_.env->os->receive.accept_rst_rcv_nxt_minus_1 && seg.seq == rcv_nxt_ - 1 &&
      state_ != TcpState::kSynReceived) {
    fail(now, state_ == TcpState::kCloseWait ? SocketError::kEpipe : SocketError::kEconnreset, out);
    return;
  }
  // tcp_sequence(): the segment must overlap the receive window.
  uint32_t wnd = cfg_.env->os->window;
  bool in_window = !seq_before(seg.end_seq(), rcv_nxt_) && !seq_after(seg.seq, rcv_nxt_ + wnd);
  if (!in_window) {
    if (seg.has(kRst)) {
      out.discarded = NoteKind::kDropOutOfWindow;
      return;
    }
    // tcp_oow_rate_limited(): "Data packets without SYNs are not likely part
    // of an ACK loop": a segment with payload is answered at once and does
    // not restart the interval; a 0-byte one (a keepalive probe) or a SYN is
    // limited. (A SYN goes to syn_challenge first: the same limit.)
    if ((seg.len == 0 || seg.has(kSyn)) && answer_rate_limited(now)) {
      out.discarded = NoteKind::kDupAckRateLimited;
      return;
    }
    send_ack(out, NoteKind::kAckOfProbe);
    return;
  }

  if (seg.has(kRst)) {
    handle_rst(now, seg, out);
    return;
  }
  if (seg.has(kSyn)) {
    // RFC 5961 challenge ACK for a SYN on a synchronized connection.
    send_challenge_ack(now, out);
    return;
  }
  if (!seg.has(kAck)) {
    out.discarded = NoteKind::kDropOutOfWindow;
    return;
  }

  TcpState before_ack = state_;
  if (!handle_ack(now, seg, out)) return;
  if (state_ == TcpState::kClosed) return;
  if (before_ack == TcpState::kSynReceived && state_ == TcpState::kSynReceived) return;

  // New data for an application that has closed its socket (FIN_WAIT1/2:
  // kasim's close is close(), not shutdown(SHUT_WR)): nobody can read it, so
  // the connection is reset (RFC 1122 4.2.2.13). Linux tcp_rcv_state_process()
  // with RCV_SHUTDOWN ("TCPAbortOnData"): tcp_reset(), and the caller sends
  // tcp_v4_send_reset(): seq = the segment's ack, no ACK flag. The BSDs do the
  // same (tcp_input.c: SS_NOFDREF, state > CLOSE_WAIT, data -> dropwithreset).
  // Checked against the kernel: tests/kernel/data-after-close.yaml.
  if ((state_ == TcpState::kFinWait1 || state_ == TcpState::kFinWait2) && seg.len > 0 &&
      seq_after(seg.seq + seg.len, rcv_nxt_)) {
    emit(out, kRst, seg.ack, 0, NoteKind::kRstDataAfterClose);
    enter_closed();
    return;
  }

  bool need_ack = false;
  NoteKind ack_note = NoteKind::kAck;
  if (seg.len > 0) {
    if (seg.seq == rcv_nxt_) {
      rcv_nxt_ += seg.len;
      lrcvtime_ = jiffies(now);
      need_ack = true;
    } else if (seq_before(seg.seq, rcv_nxt_)) {
      // Old data (a one-byte keepalive probe, a retransmission): ACK at once
      // (tcp_data_queue(): D-SACK + quick-ack); accept any new tail.
      uint32_t end = seg.seq + seg.len;
      if (seq_after(end, rcv_nxt_)) {
        rcv_nxt_ = end;
        lrcvtime_ = jiffies(now);
      } else {
        ack_note = NoteKind::kAckOfProbe;
      }
      need_ack = true;
    } else {
      // Out of order: not buffered in this model; a duplicate ACK asks again.
      send_ack(out, NoteKind::kAck);
      return;
    }
  }
  if (seg.has(kFin) && seg.seq + seg.len == rcv_nxt_) {
    rcv_nxt_ += 1;
    need_ack = true;
    ack_note = NoteKind::kAck;
    // End-of-file reaches only an application that still holds the socket:
    // after close() (FIN_WAIT1/2) nobody reads it.
    if (!fin_queued_) out.app.push_back(AppEvent{AppEventKind::kEof});
    switch (state_) {
      case TcpState::kEstablished: state_ = TcpState::kCloseWait; break;
      case TcpState::kFinWait1: state_ = TcpState::kClosing; break;
      case TcpState::kFinWait2:
        state_ = TcpState::kTimeWait;
        timewait_fire_ = now + kTimeWaitLen;
        rtx_fire_ = ka_fire_ = Time::never();
        out.app.push_back(AppEvent{AppEventKind::kClosed});
        break;
      default: break;
    }
  } else if (seg.has(kFin) && seq_before(seg.seq + seg.len, rcv_nxt_)) {
    // A FIN already received, sent again (CLOSE_WAIT, CLOSING, LAST_ACK):
    // tcp_data_queue() takes it as "a retransmit" and ACKs at once, as for
    // old data. (TIME_WAIT answers it above.)
    need_ack = true;
  }
  if (need_ack) send_ack(out, ack_note);
}

void TcpEndpoint::handle_syn_sent(Time now, const Segment& seg, TcpOutput& out) {
  bool ack_ok = seg.has(kAck) && seg.ack == iss_ + 1;
  if (seg.has(kRst)) {
    if (ack_ok) fail(now, SocketError::kEconnrefused, out);
    else out.discarded = NoteKind::kDropOutOfWindow;
    return;
  }
  if (!seg.has(kSyn) || !ack_ok) {
    if (seg.has(kAck) && !ack_ok) {
      EmittedSegment r;
      r.seg = make(kRst, seg.ack, 0);
      r.note = NoteKind::kRstNoSocket;
      out.segments.push_back(r);
    }
    return;
  }
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  snd_una_ = seg.ack;
  if (!inflight_.empty() && !inflight_.front().retransmitted) rtt_sample(now - inflight_.front().sent);
  inflight_.clear();
  retransmits_ = 0;
  retrans_stamp_ = Time::never();
  rtx_fire_ = Time::never();
  rtx_kind_ = RtxKind::kNone;
  state_ = TcpState::kEstablished;
  rcv_tstamp_ = lrcvtime_ = jiffies(now);
  send_ack(out, NoteKind::kHandshakeAck);
  out.app.push_back(AppEvent{AppEventKind::kConnected});
  if (!linux_rules()) {
    os_note_received(now);
    os_arm_keepalive_idle(now);
  } else if (ka_enabled_) {
    ka_fire_ = arm(now, keepalive_time_when(), ArmContext::kProcess);
  }
  push_data(now, out);
}

void TcpEndpoint::handle_rst(Time now, const Segment& seg, TcpOutput& out) {
  bool exact = seg.seq == rcv_nxt_;
  // tcp_reset_check(): rcv_nxt-1 is also accepted once the peer's FIN is in.
  if (!exact && seg.seq == rcv_nxt_ - 1 &&
      (state_ == TcpState::kCloseWait || state_ == TcpState::kLastAck || state_ == TcpState::kClosing))
    exact = true;
  if (!exact) {
    // RFC 5961 §3.2: in-window but not exact -> challenge ACK.
    send_challenge_ack(now, out);
    return;
  }
  if (state_ == TcpState::kSynReceived) {
    enter_closed();
    return;
  }
  fail(now, state_ == TcpState::kCloseWait ? SocketError::kEpipe : SocketError::kEconnreset, out);
}

bool TcpEndpoint::answer_rate_limited(Time now) {
  if (!cfg_.env->os->receive.oow_ack_ratelimit) return false;
  uint64_t j = jiffies(now);
  uint64_t limit = time_to_jiffies(*cfg_.env->clock, cfg_.env->tunables->invalid_ratelimit);
  if (oow_answered_ && j - last_oow_ack_ < limit) return true;
  oow_answered_ = true;
  last_oow_ack_ = j;
  return false;
}

void TcpEndpoint::send_challenge_ack(Time now, TcpOutput& out) {
  // tcp_send_challenge_ack(): first the per-socket limit (the host-wide
  // tcp_challenge_ack_limit is INT_MAX by default on 6.x: not modelled).
  if (answer_rate_limited(now)) {
    out.discarded = NoteKind::kDupAckRateLimited;
    return;
  }
  send_ack(out, NoteKind::kAckOfProbe);
}

bool TcpEndpoint::handle_ack(Time now, const Segment& seg, TcpOutput& out) {
  uint32_t ack = seg.ack;
  // tcp_ack() "old_ack": ignored, the idle clock untouched; the segment's
  // data is still processed. (An ACK older than snd_una - max_window, which
  // Linux drops with a challenge ACK, is not modelled.)
  if (seq_before(ack, snd_una_)) return true;
  if (seq_after(ack, snd_nxt_)) {
    // It acknowledges data never sent: the whole segment is dropped, data
    // included (tcp_ack() < 0 -> discard; BSD tcp_do_segment() "dropafterack").
    // Linux 6.x answers with a challenge ACK, BSD with an ACK. In SYN_RECV
    // nothing is sent (Linux answers a RST there: not modelled).
    out.discarded = NoteKind::kDropOutOfWindow;
    if (state_ != TcpState::kSynReceived) {
      if (linux_rules()) send_challenge_ack(now, out);
      else send_ack(out, NoteKind::kAckOfProbe);
    }
    return false;
  }
  // An acceptable ACK: tcp_ack() resets the keepalive bookkeeping.
  probes_out_ = 0;
  rcv_tstamp_ = jiffies(now);
  if (!seq_after(ack, snd_una_)) return true;

  Time rtt = Time::never();
  bool karn = false;
  while (!inflight_.empty()) {
    const InFlight& f = inflight_.front();
    if (seq_after(f.seq + f.len, ack)) break;
    if (f.retransmitted) karn = true;
    else if (rtt.is_never()) rtt = now - f.sent;
    inflight_.erase(inflight_.begin());
  }
  snd_una_ = ack;
  if (!rtt.is_never() && !karn) rtt_sample(rtt);
  retransmits_ = 0;
  if (os_.p) os_.p->waited = Time();
  tlp_outstanding_ = false;
  if (inflight_.empty()) retrans_stamp_ = Time::never();

  bool fin_acked = fin_queued_ && ack == snd_nxt_ && unsent_ == 0;
  switch (state_) {
    case TcpState::kSynReceived:
      state_ = TcpState::kEstablished;
      rcv_tstamp_ = lrcvtime_ = jiffies(now);
      out.app.push_back(AppEvent{AppEventKind::kConnected});
      if (!linux_rules()) os_arm_keepalive_idle(now);
      else if (ka_enabled_) ka_fire_ = arm(now, keepalive_time_when(), ArmContext::kProcess);
      break;
    case TcpState::kFinWait1:
      if (fin_acked) state_ = TcpState::kFinWait2;
      break;
    case TcpState::kClosing:
      if (fin_acked) {
        state_ = TcpState::kTimeWait;
        timewait_fire_ = now + kTimeWaitLen;
        ka_fire_ = Time::never();
        out.app.push_back(AppEvent{AppEventKind::kClosed});
      }
      break;
    case TcpState::kLastAck:
      if (fin_acked) {
        out.app.push_back(AppEvent{AppEventKind::kClosed});
        enter_closed();
        return true;
      }
      break;
    default:
      break;
  }
  if (inflight_.empty()) {
    rtx_fire_ = Time::never();
    rtx_kind_ = RtxKind::kNone;
  } else {
    rearm_rto(now, ArmContext::kProcess);
  }
  if (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait) push_data(now, out);
  return true;
}

// ------------------------------------------------------ retransmission

void TcpEndpoint::rtt_sample(Time rtt) {
  if (!cfg_.env->os->retransmit.linux_rtt_estimator) {
    os_rtt_sample(rtt);
    return;
  }
  // tcp_rtt_estimator() (net/ipv4/tcp_input.c), in microseconds.
  int64_t m = std::max<int64_t>(rtt.count_us(), 1);
  int64_t rto_min_us = cfg_.env->os->rto_min.count_us();
  if (srtt_us_ != 0) {
    m -= (srtt_us_ >> 3);
    srtt_us_ += m;
    if (m < 0) {
      m = -m;
      m -= (mdev_us_ >> 2);
      if (m > 0) m >>= 3;
    } else {
      m -= (mdev_us_ >> 2);
    }
    mdev_us_ += m;
    if (mdev_us_ > mdev_max_us_) {
      mdev_max_us_ = mdev_us_;
      if (mdev_max_us_ > rttvar_us_) rttvar_us_ = mdev_max_us_;
    }
    if (seq_after(snd_una_, rtt_seq_)) {
      if (mdev_max_us_ < rttvar_us_) rttvar_us_ -= (rttvar_us_ - mdev_max_us_) >> 2;
      rtt_seq_ = snd_nxt_;
      mdev_max_us_ = rto_min_us;
    }
  } else {
    srtt_us_ = m << 3;
    mdev_us_ = m << 1;
    rttvar_us_ = std::max(mdev_us_, rto_min_us);
    mdev_max_us_ = rttvar_us_;
    rtt_seq_ = snd_nxt_;
  }
  // __tcp_set_rto(): srtt + rttvar, bounded by TCP_RTO_MAX.
  // tcp_set_rto(): icsk_rto is kept in whole jiffies (usecs_to_jiffies rounds
  // up) and backoff doubles that jiffies value; converting only when arming
  // predicted 401 jiffies where Linux waits 408 (found by `kasim lab`).
  Time rto_exact = Time::us((srtt_us_ >> 3) + rttvar_us_);
  rto_ = std::min(cfg_.env->clock->to_time(time_to_jiffies(*cfg_.env->clock, rto_exact)), cfg_.env->os->rto_max);
}

void TcpEndpoint::rearm_rto(Time now, ArmContext ctx) {
  if (!linux_rules()) {
    rto_ = os_backed_off_rto(retransmits_);
    rtx_kind_ = RtxKind::kRto;
    rtx_fire_ = os_arm(now, rto_);
    return;
  }
  rtx_kind_ = RtxKind::kRto;
  rtx_fire_ = arm(now, time_to_jiffies(*cfg_.env->clock, rto_), ctx);
}

void TcpEndpoint::schedule_tlp(Time now) {
  // tcp_schedule_loss_probe(): PTO = 2*srtt, plus rto_min when a single
  // segment is in flight, but never later than the pending RTO.
  // Any synchronized state with something in flight: a FIN gets a loss probe
  // too (tcp_send_fin() -> tcp_write_xmit() -> tcp_schedule_loss_probe();
  // seen on the kernel in tests/kernel/data-after-close.yaml).
  bool synchronized = state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait ||
                      state_ == TcpState::kFinWait1 || state_ == TcpState::kLastAck;
  if (!cfg_.env->os->retransmit.tail_loss_probe || !synchronized || srtt_us_ == 0 || tlp_outstanding_ ||
      inflight_.empty())
    return;
  uint64_t pto = cfg_.env->clock->from_us_ceil(srtt_us_ >> 2);
  if (cfg_.env->clock->ideal()) pto = static_cast<uint64_t>(srtt_us_ >> 2) * 1000;
  pto += inflight_.size() == 1 ? time_to_jiffies(*cfg_.env->clock, cfg_.env->os->rto_min)
                               : (cfg_.env->clock->ideal() ? 8'000'000ull : 2ull);
  Time rto_delta = rto_ - (now - inflight_.front().sent);
  if (rto_delta > Time()) pto = std::min(pto, time_to_jiffies(*cfg_.env->clock, rto_delta));
  rtx_kind_ = RtxKind::kTlp;
  rtx_fire_ = arm(now, pto, ArmContext::kProcess);
}

int TcpEndpoint::orphan_retries() const {
  // tcp_orphan_retries(): "alive" is the RTO below TCP_RTO_MAX (the ICMP
  // soft-error case, which makes it 0 when not alive, is not modelled).
  int retries = cfg_.env->tunables->orphan_retries;
  if (retries == 0 && rto_ < cfg_.env->os->rto_max) retries = 8;
  return retries;
}

bool TcpEndpoint::retransmits_timed_out(Time now, int boundary, Time rto_base) const {
  if (retransmits_ == 0) return false;
  Time timeout;
  if (ka_.user_timeout_ms != 0) {
    timeout = Time::ms(ka_.user_timeout_ms);
  } else {
    // tcp_model_timeout(): the time `boundary` doublings from rto_base take.
    int64_t ratio = cfg_.env->os->rto_max / rto_base;
    int thresh = 0;
    while ((int64_t{2} << thresh) <= ratio) ++thresh;  // ilog2
    if (boundary <= thresh)
      timeout = rto_base * ((int64_t{2} << boundary) - 1);
    else
      timeout = rto_base * ((int64_t{2} << thresh) - 1) + cfg_.env->os->rto_max * (boundary - thresh);
  }
  return now - retrans_stamp_ >= timeout;
}

Time TcpEndpoint::clamp_rto_to_user_timeout(Time now) const {
  if (ka_.user_timeout_ms == 0 || retrans_stamp_.is_never()) return rto_;
  Time remaining = Time::ms(ka_.user_timeout_ms) - (now - retrans_stamp_);
  if (remaining <= Time()) return Time::ns(1);
  return std::min(rto_, remaining);
}

void TcpEndpoint::retransmit_timer(Time now, TcpOutput& out) {
  if (inflight_.empty()) return;
  bool handshake = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
  if (handshake) {
    // tcp_write_timeout(): SYN_SENT may retransmit syn_retries + syn_linear_timeouts times.
    int limit = state_ == TcpState::kSynSent ? cfg_.env->tunables->syn_retries + cfg_.env->tunables->syn_linear_timeouts
                                             : cfg_.env->tunables->synack_retries;
    if (retransmits_ >= limit) {
      if (state_ == TcpState::kSynSent) fail(now, SocketError::kEtimedout, out);
      else enter_closed();  // the request is dropped; no application saw it
      return;
    }
  } else if (cfg_.env->os->retransmit.give_up != RetransmitGiveUp::kLinuxModel) {
    os_retransmit_timer(now, out);
    return;
  } else {
    // tcp_write_timeout(): once the application has closed the socket
    // (SOCK_DEAD; kasim's close is close(), never shutdown(), so that is
    // fin_queued_) tcp_orphan_retries replaces tcp_retries2 in the same time
    // rule (TCP_USER_TIMEOUT still replaces both).
    bool orphan = fin_queued_;
    int boundary = orphan ? orphan_retries() : cfg_.env->tunables->retries2;
    if (retransmits_timed_out(now, boundary, cfg_.env->os->rto_min)) {
      // tcp_write_err(): no RST is sent (unlike keepalive). An orphan's
      // ETIMEDOUT reaches nobody: the socket is just freed.
      if (orphan) {
        out.orphan_gave_up = retransmits_;
        enter_closed();
      } else {
        fail(now, SocketError::kEtimedout, out);
      }
      return;
    }
  }
  InFlight& head = inflight_.front();
  head.retransmitted = true;
  ++retransmits_;
  if (retrans_stamp_.is_never()) retrans_stamp_ = now;
  if (head.flags & kSyn) {
    emit(out, head.flags, head.seq, 0, state_ == TcpState::kSynSent ? NoteKind::kSyn : NoteKind::kSynAck,
         retransmits_);
  } else {
    uint32_t len = head.len - ((head.flags & kFin) ? 1u : 0u);
    emit(out, head.flags, head.seq, len, NoteKind::kDataRetransmit, retransmits_, rto_.count_us());
  }
  // tcp_retransmit_timer(): the first syn_linear_timeouts SYN retransmissions
  // keep the RTO (icsk_backoff = 0); after that it doubles.
  if (!(state_ == TcpState::kSynSent && retransmits_ <= cfg_.env->tunables->syn_linear_timeouts))
    rto_ = std::min(rto_ * 2, cfg_.env->os->rto_max);
  rtx_kind_ = RtxKind::kRto;
  rtx_fire_ = arm(now, time_to_jiffies(*cfg_.env->clock, clamp_rto_to_user_timeout(now)),
                  ArmContext::kTimerCallback);
}

void TcpEndpoint::tlp_timer(Time now, TcpOutput& out) {
  if (inflight_.empty()) return;
  InFlight& last = inflight_.back();
  last.retransmitted = true;
  tlp_outstanding_ = true;
  uint32_t len = last.len - ((last.flags & kFin) ? 1u : 0u);
  emit(out, last.flags, last.seq, len, NoteKind::kTailLossProbe, 0, (now - last.sent).count_us());
  // tcp_rearm_rto() from now with the full RTO.
  rtx_kind_ = RtxKind::kRto;
  rtx_fire_ = arm(now, time_to_jiffies(*cfg_.env->clock, rto_), ArmContext::kTimerCallback);
}

void TcpEndpoint::on_timer(Time now, TcpOutput& out) {
  if (rtx_fire_ <= now) {
    RtxKind kind = rtx_kind_;
    rtx_fire_ = Time::never();
    rtx_kind_ = RtxKind::kNone;
    if (kind == RtxKind::kTlp) tlp_timer(now, out);
    else if (kind == RtxKind::kRto) retransmit_timer(now, out);
  }
  if (ka_fire_ <= now && state_ != TcpState::kClosed) keepalive_timer(now, out);
  if (timewait_fire_ <= now) {
    timewait_fire_ = Time::never();
    enter_closed();
  }
}

}  // namespace kasim
