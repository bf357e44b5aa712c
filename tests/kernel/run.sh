#!/usr/bin/env bash
# The kernel suite: every tests/kernel/*.yaml re-enacted with `kasim lab` on
# this machine's Linux kernel and compared with kasim's prediction.
#   tests/kernel/run.sh KASIM_BINARY [SCENARIO.yaml...]
# Cases run one after another by default: labs can run at once (each has its
# own uniquely named namespaces), but on a 2-core machine the load of one lab
# starting or tearing down delays another's packets and applications by
# several ms (measured: 8-12 ms). KASIM_LAB_JOBS=N runs N at a time.
#
# A case that does not match is run again, up to 3 attempts, and passes if one
# attempt matches. Why: the kernel sometimes runs a timer expiry one jiffy late
# (measured on this 2-vCPU VM: 0 to 46% of expiries per run, depending on load
# and CPU idle states). One late expiry is within the tolerance, but a timer
# re-armed from a late callback can land one wheel granule later (32 ms at
# level 1), which no fixed tolerance should hide. A rule kasim gets wrong fails
# (nearly) every attempt: of the two model bugs this suite found, the firewall
# one failed every run, the RTO one shows in 7 of 8 jiffy phases.
# Exit 0: every case matched; 1: a case did not (its report says where);
# 77: cannot run here (ctest shows it as skipped; the reason is printed).
set -u
kasim=${1:?usage: run.sh KASIM_BINARY [SCENARIO.yaml...]}
shift
dir=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("$dir"/*.yaml)

skip() { echo "SKIPPED: kernel lab suite: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables)"
for tool in ip tcpdump nft conntrack python3; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed"
done
probe="kasimlab-probe-$$"
ip netns add "$probe" 2>/dev/null || skip "'ip netns add' does not work here"
ip netns del "$probe"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
jobs=${KASIM_LAB_JOBS:-1}
pids=()
trap 'kill -INT "${pids[@]}" 2>/dev/null; wait; rm -rf "$out"; exit 130' INT TERM
for f in "${cases[@]}"; do
  n=$(basename "$f" .yaml)
  (
    for attempt in 1 2 3; do
      "$kasim" lab "$f" >"$out/$n.$attempt.txt" 2>&1
      rc=$?
      echo "$attempt" >"$out/$n.attempts"
      [ "$rc" -eq 1 ] || break  # 0 matched; 2 or more: not a mismatch, do not retry
    done
    echo "$rc" >"$out/$n.rc"
  ) &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
status=0
summary=""
for f in "${cases[@]}"; do
  n=$(basename "$f" .yaml)
  rc=$(cat "$out/$n.rc")
  attempts=$(cat "$out/$n.attempts")
  worst=""
  for ((a = 1; a <= attempts; a++)); do
    echo "=== $n, attempt $a of at most 3"
    cat "$out/$n.$a.txt"
    worst+=$(sed -n 's/.*worst time difference \([^ ]*\) ms.*/\1/p' "$out/$n.$a.txt")" "
  done
  summary+=$(printf '%-28s %-8s attempts %d, worst time difference per attempt (ms): %s' "$n" \
    "$([ "$rc" -eq 0 ] && echo MATCH || echo FAIL)" "$attempts" "${worst:-?}")$'\n'
  [ "$rc" -eq 0 ] || status=1
done
echo "=== summary"
printf '%s' "$summary"
exit $status
