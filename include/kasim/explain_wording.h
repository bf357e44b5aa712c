// The sentences `kasim run --explain` uses for the rules that differ between
// operating systems, one table per OS profile. Only this file's .cc knows how
// an OS phrases its keepalive; adding an OS is adding one table (a test
// checks that every profile in os_profiles() has its own).
//
// Each field is a fmt format string with named arguments; a template may use
// any subset of them (the sink passes them all, fmt ignores the rest). The
// numbers are the run's (from the trace) and the host's (from its profile and
// tunables); the templates only say which rule connects them.
//   {node} {peer}              the host acting and the other end
//   {os}                       the acting host's OS profile title, first word ("AIX")
//   {idle} {idle_setting}      effective keepidle, "7200 s (2h)", and where it comes from,
//                              e.g. "tcp_keepidle (14400 half-seconds), the default"
//   {intvl} {intvl_setting}    the same for keepintvl
//   {keepcnt} {count_setting}  the configured probe count and where it comes from
//   {probes}                   probes the OS sends before giving up ({keepcnt}, AIX {keepcnt}+1)
//   {spacing}                  how probes are spaced: "keepintvl 75 s (...)" or backoff_spacing
//   {cap}                      the longest gap between two probes
//   {abort} {abort_setting}    time-limited give-up (illumos): the abort interval and its source
//   {total}                    the give-up bound: keepidle + what follows it, by the OS's rule
//   {n} {n_probes}             probe number (1-based); probes sent, "1 probe" / "9 probes"
//   {prev} {gap}               the previous probe's number and the time since it
//   {count}                    the probe limit the endpoint reported for this probe
//   {limit}                    count_limit or time_limit, filled in
//   {elapsed} {rounding}       time since the host last received a segment that restarts
//                              its idle time; "" or how the OS's timers moved the probe
//   {seq} {seq_end} {ack} {len} the packet's fields ({seq_end} = seq + len)
//   {expect}                   probe: what the peer expects next (snd_una); answer: rcv_nxt
//   {rcv_nxt}                  the acting host's rcv_nxt (tracked from what it received)
//   {probe_seq}                answer: the seq of the probe being answered
//   {probe_verdict}            answer: why the probe is answered: a zero-byte probe is below
//                              rcv_nxt (not acceptable); a one-byte probe is data the host already
//                              has (a duplicate, answered by an immediate ACK)
//   {payload}                  "no data" or "one byte (0x00)"
//   {user_timeout}             TCP_USER_TIMEOUT, "30 s"
//   {n_retransmissions}        "12 retransmissions"
//   {retries} {retries_setting} the data retransmission limit and where it comes from
//   {r2} {r2_setting}          illumos: R2, the time limit on retransmission
//   {granule} {hz}             timer_note: worst-case timer error and Linux HZ
//   {orphan_retries} {orphan_setting} orphan_give_up: the orphan retry count in force and its source
#pragma once

#include <string_view>

namespace kasim {

struct ExplainWording {
  std::string_view os;             // OsProfile::name this wording is for
  std::string_view settings;       // the header's keepalive settings after keepidle
  std::string_view fixed_count;    // {count_setting} when the OS has no tunable for the count
  std::string_view fixed_retries;  // {retries_setting} when the OS has no tunable for it
  std::string_view backoff_spacing;  // {spacing} when probes are spaced by the RTO (illumos)
  std::string_view first_probe;    // why probe 1 is sent (idle reached)
  std::string_view next_probe;     // why probe n > 1 is sent (previous unanswered)
  std::string_view probe_shape;    // what a probe carries and why the peer must answer
  std::string_view count_limit;    // "of {count}" part when the count decides
  std::string_view time_limit;     // the same when a time limit decides
  std::string_view answer;         // the host answers a probe
  std::string_view give_up;        // keepalive gives up with an RST (the RST's line)
  std::string_view give_up_silent; // keepalive gives up sending nothing ("" if the OS always sends an RST)
  std::string_view retransmit_give_up;         // data retransmission gives up with an RST
  std::string_view retransmit_give_up_silent;  // the same without an RST ("" if never)
  std::string_view rst_below_rcv_nxt;  // an RST at rcv_nxt-1 accepted (AIX's 4.2BSD rule)
  std::string_view rate_limited;   // an out-of-window segment left unanswered
  std::string_view detect_bound;   // how long keepalive takes to notice a dead peer
  std::string_view sooner;         // which settings make a dead peer noticed sooner (a clause)
  std::string_view timer_note;     // why keepidle needs a margin below a middlebox timeout
  // Retransmission gives up on a socket its application had closed, by a
  // limit of its own ("" if the OS has none: the ordinary limit applies).
  std::string_view orphan_give_up;
};

// The wording for an OS profile name. Every profile has its own table; an
// unknown name gets a generic one that states only what all stacks share.
const ExplainWording& explain_wording(std::string_view os_name);

}  // namespace kasim
