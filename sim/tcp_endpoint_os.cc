// TcpEndpoint: the rules of the non-Linux profiles (os_profile.h). Each
// function follows one kernel routine; the profile's flags choose the
// variant. Sources per rule: docs/profiles/<os>.md.
#include <algorithm>
#include <cassert>

#include "kasim/tcp_endpoint.h"

namespace kasim {
namespace {
using namespace tcp_flag;

// BSD: keepalive runs while t_state <= TCPS_CLOSING (ESTABLISHED, CLOSE_WAIT,
// FIN_WAIT_1, CLOSING). AIX and illumos stop at CLOSE_WAIT and XNU adds
// FIN_WAIT_2; the differences are not modelled.
bool os_keepalive_runs_in(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
      return true;
    default:
      return false;
  }
}

int64_t ceil_ticks(Time d, Time tick) { return (d.count_ns() + tick.count_ns() - 1) / tick.count_ns(); }
}  // namespace

// ---------------------------------------------------------------- timers

Time TcpEndpoint::os_arm(Time now, Time delay) const {
  if (cfg_.env->os->timer == TimerModel::kSlowtimo) {
    assert(cfg_.env->slowtimo != nullptr && cfg_.env->slowtimo->valid());
    // t_timer[i] = n ticks: expires on the n-th tcp_slowtimo() after now.
    return cfg_.env->slowtimo->fire_time(now, std::max<int64_t>(ceil_ticks(delay, cfg_.env->os->tick), 1));
  }
  return now + std::max(delay, Time::ns(1));
}

// ------------------------------------------------------------- keepalive

bool TcpEndpoint::os_keepalive_on() const {
  return ka_enabled_ || (cfg_.env->os->keepalive.timer_always_runs && cfg_.env->tunables->always_keepalive);
}
Time TcpEndpoint::os_ka_idle() const { return ka_.idle > Time() ? ka_.idle : cfg_.env->tunables->keepalive_idle; }
Time TcpEndpoint::os_ka_interval() const {
  if (cfg_.env->os->keepalive.spacing == ProbeSpacing::kRtoBackoff) return os_ka_fixed_interval();
  return ka_.interval > Time() ? ka_.interval : cfg_.env->tunables->keepalive_interval;
}
int TcpEndpoint::os_ka_count() const { return ka_.count ? ka_.count : cfg_.env->tunables->keepalive_probes; }

// illumos tcp_opt_data.c: tcp_ka_abort_thres starts as the tunable and is
// set by TCP_KEEPALIVE_ABORT_THRESHOLD; TCP_KEEPCNT with TCP_KEEPINTVL sets
// it to cnt * intvl; TCP_KEEPCNT alone derives the interval from it.
Time TcpEndpoint::os_ka_abort() const {
  if (ka_.count > 0 && ka_.interval > Time()) return ka_.interval * ka_.count;
  return os_state().ka_abort ? *os_state().ka_abort : cfg_.env->tunables->keepalive_abort;
}
Time TcpEndpoint::os_ka_fixed_interval() const {
  if (ka_.interval > Time()) return ka_.interval;
  Time abort = os_state().ka_abort ? *os_state().ka_abort : cfg_.env->tunables->keepalive_abort;
  if (ka_.count > 0) return std::clamp(abort / ka_.count, cfg_.env->os->rto_min, cfg_.env->os->rto_max);
  return Time();
}

void TcpEndpoint::os_note_received(Time now) {
  const KeepaliveRules& k = cfg_.env->os->keepalive;
  os_state().last_rcv_any = now;
  if (cfg_.env->os->timer == TimerModel::kSlowtimo) os_state().last_rcv_tick = cfg_.env->slowtimo->tick_at_or_before(now);
  if (k.idle_reference == IdleReference::kAnySegment) probes_out_ = 0;
  // OpenBSD/XNU/AIX re-arm TCPT_KEEP to keepidle on every segment.
  if (k.rearm_on_receive && !ka_fire_.is_never()) os_arm_keepalive_idle(now);
}

void TcpEndpoint::os_arm_keepalive_idle(Time now) {
  if (!os_keepalive_runs_in(state_)) return;
  if (!os_keepalive_on() && !cfg_.env->os->keepalive.timer_always_runs) return;
  ka_fire_ = os_arm(now, os_ka_idle());
}

void TcpEndpoint::os_set_keepalive(Time now, const KeepaliveOptions& opts) {
  const KeepaliveRules& k = cfg_.env->os->keepalive;
  bool was = ka_enabled_;
  ka_enabled_ = opts.enabled;
  if (opts.idle > Time()) {
    ka_.idle = opts.idle;
    ka_.idle_s = option32(opts.idle_s);
  }
  // TCP_KEEPALIVE_ABORT_THRESHOLD: tcp_ka_cnt = tcp_ka_rinterval = 0.
  if (opts.abort) {
    os_state().ka_abort = opts.abort;
    ka_.count = 0;
    ka_.interval = Time();
    ka_.interval_s = 0;
  }
  if (opts.interval > Time()) {
    ka_.interval = opts.interval;
    ka_.interval_s = option32(opts.interval_s);
  }
  if (opts.count) ka_.count = option32(opts.count);
  ka_.user_timeout_ms = option32(opts.user_timeout_ms);
  if (!os_keepalive_runs_in(state_)) return;
  if (opts.enabled && !was && k.enable_arms_idle)
    ka_fire_ = os_arm(now, os_ka_idle());
  else if (opts.idle > Time() && k.idle_option_rearms && os_keepalive_on())
    ka_fire_ = os_arm(now, os_ka_idle());
  if (!os_keepalive_on() && !k.timer_always_runs) ka_fire_ = Time::never();
}

void TcpEndpoint::os_send_probe(TcpOutput& out, int64_t limit) {
  const KeepaliveRules& k = cfg_.env->os->keepalive;
  Segment s = make(kAck, snd_una_ - 1, k.probe_payload);
  if (k.probe_ack == ProbeAck::kRcvNxtMinus1) s.ack = rcv_nxt_ - 1;
  s.fill = k.probe_fill;
  ++probes_out_;
  ++probes_total_;
  out.segments.push_back(EmittedSegment{s, NoteKind::kKeepaliveProbe, probes_out_, limit});
}

void TcpEndpoint::os_keepalive_give_up(Time now, TcpOutput& out, int64_t limit) {
  const KeepaliveRules& k = cfg_.env->os->keepalive;
  out.keepalive_gave_up = probes_out_;
  // BSD tcp_drop(): a synchronized connection sends RST|ACK at snd_max.
  if (k.rst_on_give_up) emit(out, kRst | kAck, snd_nxt_, 0, NoteKind::kKeepaliveGiveUpRst, probes_out_, limit);
  fail(now, k.error == KeepaliveError::kWsaEnetreset ? SocketError::kWsaEnetreset : SocketError::kEtimedout, out);
}

void TcpEndpoint::os_keepalive_timer(Time now, TcpOutput& out) {
  ka_fire_ = Time::never();
  if (!os_keepalive_runs_in(state_)) return;
  switch (cfg_.env->os->keepalive.give_up) {
    case KeepaliveGiveUp::kSlowtimoCountPlusOne: os_keepalive_slowtimo(now, out); return;
    case KeepaliveGiveUp::kAbortInterval: os_keepalive_illumos(now, out); return;
    case KeepaliveGiveUp::kIdlePlusCount:
    case KeepaliveGiveUp::kProbeCount: os_keepalive_callout(now, out); return;
  }
}

// FreeBSD tcp_timer_keep(), XNU tcp_timers() TCPT_KEEP, OpenBSD
// tcp_timer_keep(); Windows modelled the same way (UNVERIFIED).
void TcpEndpoint::os_keepalive_callout(Time now, TcpOutput& out) {
  const KeepaliveRules& k = cfg_.env->os->keepalive;
  Time idle = os_ka_idle();
  Time intvl = os_ka_interval();
  int cnt = os_ka_count();
  Time elapsed = now - os_state().last_rcv_any;
  // FreeBSD does not re-arm on every segment: an early fire re-arms for
  // what is left of the idle time.
  if (!k.rearm_on_receive && elapsed < idle) {
    ka_fire_ = os_arm(now, idle - elapsed);
    return;
  }
  if (!os_keepalive_on() || (!k.probe_while_outstanding && !inflight_.empty())) {
    if (k.timer_always_runs || os_keepalive_on()) ka_fire_ = os_arm(now, idle);
    return;
  }
  if (elapsed >= idle + intvl * cnt) {
    os_keepalive_give_up(now, out, cnt);
    return;
  }
  os_send_probe(out, cnt);
  ka_fire_ = os_arm(now, intvl);
}

// AIX tcp_slowtimo() + tcp_timers() TCPT_KEEP: t_idle counts the ticks since
// the last segment and is incremented after the timers run, so at a fire it
// is one less than the ticks elapsed; the drop test therefore first holds
// one interval late and AIX sends keepcnt+1 probes.
void TcpEndpoint::os_keepalive_slowtimo(Time now, TcpOutput& out) {
  Time tick = cfg_.env->os->tick;
  int64_t idle_t = ceil_ticks(os_ka_idle(), tick);
  int64_t intvl_t = ceil_ticks(os_ka_interval(), tick);
  int64_t cnt = os_ka_count();
  int64_t k = cfg_.env->slowtimo->tick_at_or_before(now);
  int64_t t_idle = k - os_state().last_rcv_tick - 1;
  if (!os_keepalive_on()) {
    ka_fire_ = cfg_.env->slowtimo->time_of(k + idle_t);
    return;
  }
  if (t_idle >= idle_t + cnt * intvl_t) {
    os_keepalive_give_up(now, out, cnt + 1);
    return;
  }
  os_send_probe(out, cnt + 1);
  ka_fire_ = cfg_.env->slowtimo->time_of(k + intvl_t);
}

// illumos tcp_keepalive_timer().
void TcpEndpoint::os_keepalive_illumos(Time now, TcpOutput& out) {
  if (!ka_enabled_) return;
  Time idle = os_ka_idle();
  Time idletime = now - os_state().last_rcv_any;
  Time abort = os_ka_abort();
  // -1: no count, the abort interval decides (trace notes say so).
  if (abort > Time() && idletime > idle + abort) {
    os_keepalive_give_up(now, out, -1);
    return;
  }
  if (inflight_.empty() && idletime >= idle) {
    os_send_probe(out, -1);
    Time fire;
    Time fixed = os_ka_fixed_interval();
    if (fixed > Time()) {
      fire = fixed;
    } else if (os_state().ka_last_intrvl > Time()) {
      fire = std::min({idle - Time::ms(1), os_state().ka_last_intrvl * 2, cfg_.env->os->rto_max});
    } else {
      fire = rto_;  // tcp_rto: the connection's current RTO
    }
    os_state().ka_last_intrvl = fire;
    ka_fire_ = os_arm(now, fire);
    return;
  }
  os_state().ka_last_intrvl = Time();
  Time fire = idle - idletime;
  if (fire <= Time()) fire = idle;
  ka_fire_ = os_arm(now, fire);
}

// -------------------------------------------------------- retransmission

// RFC 6298 (the BSD and illumos estimators differ in scaling and rounding,
// not in kind; see the profiles' "retransmission" rule).
void TcpEndpoint::os_rtt_sample(Time rtt) {
  int64_t m = std::max<int64_t>(rtt.count_us(), 1);
  if (os_state().rfc_srtt_us < 0) {
    os_state().rfc_srtt_us = m;
    os_state().rfc_rttvar_us = m / 2;
  } else {
    int64_t diff = os_state().rfc_srtt_us > m ? os_state().rfc_srtt_us - m : m - os_state().rfc_srtt_us;
    os_state().rfc_rttvar_us = (3 * os_state().rfc_rttvar_us + diff) / 4;
    os_state().rfc_srtt_us = (7 * os_state().rfc_srtt_us + m) / 8;
  }
  rto_ = os_backed_off_rto(0);
}

Time TcpEndpoint::os_rto_base() const {
  if (os_state().rfc_srtt_us < 0) return cfg_.env->os->rto_initial;
  return std::max(cfg_.env->os->rto_min, Time::us(os_state().rfc_srtt_us + 4 * os_state().rfc_rttvar_us));
}

Time TcpEndpoint::os_backed_off_rto(int shift) const {
  const RetransmitRules& r = cfg_.env->os->retransmit;
  int s = std::min(shift, r.max_backoff_shift);
  s = std::min(s, 40);
  Time t = os_rto_base() * (int64_t{1} << s) + r.rto_slop;
  return std::clamp(t, cfg_.env->os->rto_min, cfg_.env->os->rto_max);
}

// BSD tcp_timer_rexmt() / illumos tcp_timer(), data phase.
void TcpEndpoint::os_retransmit_timer(Time now, TcpOutput& out) {
  const RetransmitRules& r = cfg_.env->os->retransmit;
  bool give_up = false;
  if (r.give_up == RetransmitGiveUp::kCount) {
    give_up = retransmits_ + 1 > cfg_.env->tunables->retries2;  // ++t_rxtshift > TCP_MAXRXTSHIFT
  } else {
    // R2 = 0 in ESTABLISHED: retransmit forever.
    Time r2 = cfg_.env->tunables->retransmit_abort;
    give_up = r2 > Time() && os_state().waited > r2;
  }
  if (give_up) {
    if (r.rst_on_give_up) emit(out, kRst | kAck, snd_nxt_, 0, NoteKind::kRetransmitGiveUpRst, retransmits_);
    fail(now, SocketError::kEtimedout, out);
    return;
  }
  Time expired = rto_;
  ++retransmits_;
  if (retrans_stamp_.is_never()) retrans_stamp_ = now;
  Time next = os_backed_off_rto(retransmits_);
  os_state().waited += next;
  InFlight& head = inflight_.front();
  head.retransmitted = true;
  uint32_t len = head.len - ((head.flags & kFin) ? 1u : 0u);
  emit(out, head.flags, head.seq, len, NoteKind::kDataRetransmit, retransmits_, expired.count_us());
  rto_ = next;
  rtx_kind_ = RtxKind::kRto;
  rtx_fire_ = os_arm(now, next);
}

}  // namespace kasim
