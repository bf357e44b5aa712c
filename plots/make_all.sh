#!/usr/bin/env bash
# Regenerates the pictures of the seed scenarios from real kasim output.
#   plots/make_all.sh [--kasim PATH] [--out DIR]     (default: build/kasim, docs/img)
# `./dev.sh plots` builds kasim and runs this; the test suite runs it into a
# temporary directory. The heatmaps come from `kasim sweep` (KASIM_SWEEP_JOBS
# threads, default 2). Uses Debian's python3 with python3-matplotlib (dev.sh
# installs it); PYTHON overrides the interpreter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
kasim=$root/build/kasim
out=$root/docs/img
while [ $# -gt 0 ]; do
  case "$1" in
    --kasim) kasim=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) sed -n '2,7p' "$0" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-/usr/bin/python3}
[ -x "$kasim" ] || { echo "make_all.sh: no kasim binary at $kasim (build first: ./dev.sh test)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The AIX field reports capture only at testServer, as the report did; the
# pictures want every node on the path.
declare -A every_node=(
  [seed-aix-firewall-reset]='capture=[testClient, firewallB, testServer]'
  [seed-aix-cable-pull]='capture=[testClient, testServer]'
)
for s in firewall-expiry-reset firewall-keepalive-survives seed-linux-silenced-client seed-aix-firewall-reset \
         seed-aix-cable-pull; do
  set_capture=()
  [ -n "${every_node[$s]:-}" ] && set_capture=(--set "${every_node[$s]}")
  "$kasim" run "$root/scenarios/$s.yaml" --format json "${set_capture[@]}" -o "$work/$s.jsonl"
  "$py" "$here/ladder.py" "$work/$s.jsonl" -o "$out/$s.ladder.png"
done
for s in firewall-expiry-reset firewall-keepalive-survives seed-aix-firewall-reset; do
  "$py" "$here/fw_timeline.py" "$work/$s.jsonl" -o "$out/$s.timeline.png"
done
# The heatmaps: kasim sweep over the server's keepidle x the firewall's idle timeout, 6 h runs.
idle=connections.telnet.keepalive.server.idle
timeout=middleboxes.fw.idle_timeout
for mode in reset-sender drop; do
  "$kasim" sweep "$root/scenarios/firewall-expiry-reset.yaml" --jobs "${KASIM_SWEEP_JOBS:-2}" \
    --set duration=6h --set middleboxes.fw.on_expiry="$mode" \
    --vary "$idle=300s..7200s:300s" --vary "$timeout=900s..7200s:900s" -o "$work/sweep-$mode.csv"
  "$py" "$here/heatmap.py" "$work/sweep-$mode.csv" -o "$out/sweep-$mode.png" --y "$idle" --x "$timeout" \
    --ylabel "server keepidle" --xlabel "fw idle timeout" \
    --title "firewall-expiry-reset, 6 h runs: server keepidle × fw idle timeout, on_expiry: $mode"
done
"$kasim" run "$root/scenarios/fleet-vanishing-peers.yaml" --format json -o "$work/fleet.jsonl"
"$py" "$here/fleet.py" "$work/fleet.jsonl" -o "$out/fleet-vanishing-peers.png"
