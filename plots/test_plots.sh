#!/usr/bin/env bash
# Test (ctest "plots"): make_all.sh draws every picture from real kasim output
# into a fresh directory; each must be a non-trivial PNG.
#   plots/test_plots.sh KASIM_BINARY SCRATCH_DIR
set -euo pipefail
kasim=$1
dir=$2
rm -rf "$dir"
"$(dirname "$0")/make_all.sh" --kasim "$kasim" --out "$dir"
expected=(firewall-expiry-reset.ladder firewall-keepalive-survives.ladder seed-linux-silenced-client.ladder
          seed-aix-firewall-reset.ladder seed-aix-cable-pull.ladder
          firewall-expiry-reset.timeline firewall-keepalive-survives.timeline seed-aix-firewall-reset.timeline
          sweep-reset-sender sweep-drop fleet-vanishing-peers)
for name in "${expected[@]}"; do
  f=$dir/$name.png
  [ -f "$f" ] || { echo "missing $f" >&2; exit 1; }
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "$f is not a PNG" >&2; exit 1; }
  [ "$(stat -c %s "$f")" -gt 20000 ] || { echo "$f is suspiciously small" >&2; exit 1; }
done
echo "plots: ${#expected[@]} PNGs in $dir"
