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
# Nothing half-written is left beside them.
leftover=$(find "$dir" -name '.*.tmp-*')
[ -z "$leftover" ] || { echo "temporary files left behind: $leftover" >&2; exit 1; }
# A save that fails half-way keeps the previous picture and leaves no temporary file.
target=$dir/sweep-drop.png
before=$(md5sum < "$target")
"${PYTHON:-/usr/bin/python3}" -c '
import sys
sys.path.insert(0, sys.argv[1])
import atomic
class HalfWritten:
    def savefig(self, f, **kw):
        f.write(b"\x89PNG and then the disk was full")
        raise OSError("No space left on device")
try:
    atomic.save_figure(HalfWritten(), sys.argv[2], dpi=110)
except OSError:
    pass
else:
    sys.exit("save_figure swallowed the error")
' "$(dirname "$0")" "$target"
[ "$(md5sum < "$target")" = "$before" ] || { echo "a failed save changed $target" >&2; exit 1; }
leftover=$(find "$dir" -name '.*.tmp-*')
[ -z "$leftover" ] || { echo "a failed save left $leftover behind" >&2; exit 1; }
echo "plots: ${#expected[@]} PNGs in $dir"
