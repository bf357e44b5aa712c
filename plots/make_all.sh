#!/usr/bin/env bash
# Regenerates the pictures of the seed scenarios from real kasim output.
#   plots/make_all.sh [--kasim PATH] [--out DIR]     (default: build/kasim, docs/img)
# `./dev.sh plots` builds kasim and runs this; the test suite runs it into a
# temporary directory. Uses Debian's python3 with python3-matplotlib and
# python3-yaml (dev.sh installs them); PYTHON overrides the interpreter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
kasim=$root/build/kasim
out=$root/docs/img
while [ $# -gt 0 ]; do
  case "$1" in
    --kasim) kasim=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) sed -n '2,6p' "$0" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-/usr/bin/python3}
[ -x "$kasim" ] || { echo "make_all.sh: no kasim binary at $kasim (build first: ./dev.sh test)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for s in firewall-expiry-reset firewall-keepalive-survives seed-linux-silenced-client; do
  "$kasim" run "$root/scenarios/$s.yaml" --format json -o "$work/$s.jsonl"
  "$py" "$here/ladder.py" "$work/$s.jsonl" -o "$out/$s.ladder.png"
done
for s in firewall-expiry-reset firewall-keepalive-survives; do
  "$py" "$here/fw_timeline.py" "$work/$s.jsonl" -o "$out/$s.timeline.png"
done
for mode in reset-sender drop; do
  "$py" "$here/sweep.py" --kasim "$kasim" --scenario "$root/scenarios/firewall-expiry-reset.yaml" \
    --keepidle 300:7200:300 --fw-timeout 900:7200:900 --duration 6h --on-expiry "$mode" -o "$work/sweep-$mode.csv"
  "$py" "$here/heatmap.py" "$work/sweep-$mode.csv" -o "$out/sweep-$mode.png" \
    --title "firewall-expiry-reset, 6 h runs: server keepidle × fw idle timeout, on_expiry: $mode"
done
