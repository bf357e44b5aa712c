// The sentences `kasim run --explain` uses for the rules that differ between
// operating systems, one table per OS profile. Only this file's .cc knows how
// an OS phrases its keepalive; adding an OS is adding one table.
//
// Each field is a fmt format string with named arguments; a template may use
// any subset of them (fmt ignores the rest):
//   {node} {peer}              the host acting and the other end
//   {os}                       the acting host's OS profile title
//   {n} {count}                probe number (1-based) and probe limit
//   {idle} {intvl}             effective keepidle / keepintvl, "7200 s"
//   {idle_setting}             where keepidle comes from, e.g.
//   {intvl_setting}            "net.ipv4.tcp_keepalive_time (the default)",
//   {count_setting}            "TCP_KEEPIDLE (set by the application)"
//   {elapsed}                  time since the host last received a segment
//   {rounding}                 "" or " (the timer wheel at HZ=250 added 6.875747 s)"
//   {limit}                    count_limit or time_limit, filled in
//   {prev} {probe_seq}         the previous probe's number; the seq of the probe being answered
//   {total} {granule} {hz}     detect_bound's sum; timer_note's worst-case timer delay and HZ
//   {seq} {ack} {len}          the packet's fields
//   {snd_una} {expect}         probe: the sender's snd_una, what the peer expects
//   {payload}                  "no data" or "one byte (0x00)"
//   {user_timeout}             TCP_USER_TIMEOUT, "30 s"
//   {rto}                      retransmission timeout that expired
#pragma once

#include <string_view>

namespace kasim {

struct ExplainWording {
  std::string_view os;           // OsProfile::name this wording is for
  std::string_view first_probe;  // why probe 1 is sent (idle reached)
  std::string_view next_probe;   // why probe n > 1 is sent (previous unanswered)
  std::string_view probe_shape;  // what a probe carries and why the peer must answer
  std::string_view count_limit;  // "of {count}" part when the count decides
  std::string_view time_limit;   // the same when TCP_USER_TIMEOUT decides
  std::string_view answer;       // the peer answers a probe
  std::string_view give_up;      // keepalive gives up
  std::string_view retransmit_give_up;  // data retransmission gives up
  std::string_view rate_limited; // an out-of-window segment left unanswered
  std::string_view detect_bound; // how long keepalive takes to notice a dead peer
  std::string_view timer_note;   // why keepidle needs a margin below a middlebox timeout
};

// The wording for an OS profile name: Linux has its own table; every other
// OS gets a generic one that states only what all stacks share (numbers
// come from the trace and the profile) until it gets its own.
const ExplainWording& explain_wording(std::string_view os_name);

}  // namespace kasim
