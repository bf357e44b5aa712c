#!/bin/bash
# A FULL Linux conntrack table vs kasim's model. Needs root. Usage: tablefull.sh OUTDIR
#
# net.netfilter.nf_conntrack_max is global (read-only inside a namespace on
# 6.x) while the entry count is kept per namespace (nf_conntrack_net.count),
# so the limit is set in the initial namespace for a few seconds per case,
# and ALWAYS restored (trap on every exit path; the original value is also
# saved to OUTDIR/nf_conntrack_max.orig). Namespaces: ctf-c (client
# 10.78.0.1), ctf-fw (router with conntrack), ctf-s (server 10.78.1.1; its
# port 9999 drops SYNs), ctf-x1/ctf-x2 (a second conntrack namespace).
set -u
OUT=${1:-/tmp/ctf-compare}; mkdir -p "$OUT"
D=$(cd "$(dirname "$0")" && pwd)
KNOB=/proc/sys/net/netfilter/nf_conntrack_max
BKNOB=/proc/sys/net/netfilter/nf_conntrack_buckets
NS="ctf-c ctf-fw ctf-s ctf-x1 ctf-x2"
ORIG=$(cat $KNOB)
ORIGB=$(cat $BKNOB)
if [ "$ORIG" -lt 1024 ]; then
  echo "nf_conntrack_max is $ORIG: looks like a previous run did not restore it; not touching it" >&2; exit 1
fi
echo "$ORIG" > "$OUT/nf_conntrack_max.orig"; echo "$ORIGB" > "$OUT/nf_conntrack_buckets.orig"
PIDS=()
restore() {
  [ "$(cat $KNOB)" = "$ORIG" ] || echo "$ORIG" > $KNOB
  [ "$(cat $BKNOB)" = "$ORIGB" ] || echo "$ORIGB" > $BKNOB
}
cleanup() {
  restore
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for n in $NS; do ip netns del "$n" 2>/dev/null; done
  restore
  echo "nf_conntrack_max restored: $(cat $KNOB) (original $ORIG); nf_conntrack_buckets $(cat $BKNOB) (original $ORIGB)" | tee -a "$OUT/summary.txt"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

up() {
  for n in ctf-c ctf-fw ctf-s; do ip netns add "$n"; ip -n "$n" link set lo up; done
  ip -n ctf-c link add eth0 type veth peer name ethc netns ctf-fw
  ip -n ctf-s link add eth0 type veth peer name eths netns ctf-fw
  ip -n ctf-c addr add 10.78.0.1/24 dev eth0; ip -n ctf-c link set eth0 up
  ip -n ctf-s addr add 10.78.1.1/24 dev eth0; ip -n ctf-s link set eth0 up
  ip -n ctf-fw addr add 10.78.0.254/24 dev ethc; ip -n ctf-fw link set ethc up
  ip -n ctf-fw addr add 10.78.1.254/24 dev eths; ip -n ctf-fw link set eths up
  ip -n ctf-c route add default via 10.78.0.254
  ip -n ctf-s route add default via 10.78.1.254
  ip netns exec ctf-fw sysctl -qw net.ipv4.ip_forward=1
  ip netns exec ctf-fw nft -f - <<NFT
table inet ctf {
  chain forward_chain { type filter hook forward priority 0; policy accept;
    ct state invalid counter drop
    ct state new counter
  }
}
NFT
  # The server ignores SYNs to 9999 (no conntrack in ctf-s: a plain drop).
  ip netns exec ctf-s nft add table inet ctfs
  ip netns exec ctf-s nft add chain inet ctfs in '{ type filter hook input priority 0; policy accept; }'
  ip netns exec ctf-s nft add rule inet ctfs in tcp dport 9999 drop
  ip netns exec ctf-s python3 "$D/peers.py" server 8080 & PIDS+=($!)
  sleep 0.5
}
down() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null; PIDS=()
  for n in $NS; do ip netns del "$n" 2>/dev/null; done
}
fwstat() { ip netns exec ctf-fw conntrack -S 2>/dev/null | awk '{for(i=1;i<=NF;i++) if($i ~ /^(drop|early_drop|insert_failed)=/){split($i,a,"="); s[a[1]]+=a[2]}} END{printf "drop=%d early_drop=%d insert_failed=%d\n", s["drop"], s["early_drop"], s["insert_failed"]}'; }
wait_alone() {
  local i
  for i in $(seq 300); do
    [ -z "$(ip netns list | awk '{print $1}' | grep -v '^ctf-')" ] && return 0
    sleep 1
  done
  return 1
}
count() { ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }

# case NAME ASSURED UNASSURED MAX TIMEOUT BUCKETS [pernetns]: fill ctf-fw's
# table with ASSURED connections to 8080 and unanswered SYNs to 9999, set
# nf_conntrack_max=MAX (and nf_conntrack_buckets=BUCKETS unless "-"), then
# one new connect() with a TIMEOUT s limit. While the limit is low, a
# watchdog restores it at once if a foreign namespace appears.
case_run() {
  local name=$1 assured=$2 unassured=$3 max=$4 ctimeout=$5 buckets=$6 extra=${7:-}
  up
  local f="$OUT/$name.txt"
  echo "== $name: $assured assured + $unassured unreplied entries, nf_conntrack_max=$max, buckets=$buckets" > "$f"
  ip netns exec ctf-c tcpdump -nn -S -i eth0 -w "$OUT/$name.c.pcap" 2>/dev/null & PIDS+=($!)
  ip netns exec ctf-s tcpdump -nn -S -i eth0 -w "$OUT/$name.s.pcap" 2>/dev/null & PIDS+=($!)
  sleep 0.3
  [ "$assured" -gt 0 ] && { ip netns exec ctf-c python3 "$D/tablefull.py" hold 10.78.1.1 8080 "$assured" >> "$f" & PIDS+=($!); }
  [ "$unassured" -gt 0 ] && { ip netns exec ctf-c python3 "$D/tablefull.py" syns 10.78.1.1 9999 "$unassured" >> "$f" & PIDS+=($!); }
  sleep 1.5
  echo "-- ctf-fw before (count $(count ctf-fw)):" >> "$f"
  ip netns exec ctf-fw conntrack -L -p tcp 2>/dev/null | sort >> "$f"
  echo "-- stats before: $(fwstat)" >> "$f"
  dmesg -W > "$OUT/$name.dmesg" & PIDS+=($!)
  # The limit is global: lower it only while no namespace but ours exists
  # (other users of this machine run their own netns experiments).
  if ! wait_alone; then
    echo "-- SKIPPED: other network namespaces present for 300 s; nf_conntrack_max not touched" >> "$f"
    down; return
  fi
  [ "$buckets" != - ] && echo "$buckets" > $BKNOB
  echo "$max" > $KNOB
  echo "-- nf_conntrack_max=$(cat $KNOB) buckets=$(cat $BKNOB) at $(date +%s.%N | cut -c1-14)" >> "$f"
  ip netns exec ctf-c python3 "$D/tablefull.py" connect 10.78.1.1 8080 "$ctimeout" >> "$f" & local cpid=$!
  if [ "$extra" = pernetns ]; then
    # A second conntrack namespace while ctf-fw's table is full.
    ip netns add ctf-x1; ip netns add ctf-x2
    ip -n ctf-x1 link set lo up; ip -n ctf-x2 link set lo up
    ip -n ctf-x1 link add eth0 type veth peer name eth0 netns ctf-x2
    ip -n ctf-x1 addr add 10.78.2.1/24 dev eth0; ip -n ctf-x1 link set eth0 up
    ip -n ctf-x2 addr add 10.78.2.2/24 dev eth0; ip -n ctf-x2 link set eth0 up
    ip netns exec ctf-x1 nft add table inet ctfx
    ip netns exec ctf-x1 nft add chain inet ctfx output_chain '{ type filter hook output priority 0; policy accept; }'
    ip netns exec ctf-x1 nft add rule inet ctfx output_chain ct state new counter
    ip netns exec ctf-x2 python3 "$D/peers.py" server 8080 & PIDS+=($!)
    sleep 0.3
    ip netns exec ctf-x1 python3 "$D/tablefull.py" hold 10.78.2.2 8080 "$max" > "$OUT/$name.x1.txt" & PIDS+=($!)
    sleep 1
    echo "-- ctf-x1 (second namespace): count $(count ctf-x1) while ctf-fw count $(count ctf-fw)" >> "$f"
    cat "$OUT/$name.x1.txt" >> "$f"
    ip netns exec ctf-x1 python3 "$D/tablefull.py" connect 10.78.2.2 8080 2 >> "$f"
    echo "-- ctf-x1 after one more connect: count $(count ctf-x1)" >> "$f"
  fi
  while kill -0 $cpid 2>/dev/null; do
    if [ -n "$(ip netns list | awk '{print $1}' | grep -v '^ctf-')" ]; then
      restore; echo "-- ABORTED: a foreign namespace appeared; limits restored at $(date +%s.%N | cut -c1-14)" >> "$f"
      kill $cpid; break
    fi
    sleep 0.2
  done
  wait $cpid
  echo "-- ctf-fw after (count $(count ctf-fw)):" >> "$f"
  ip netns exec ctf-fw conntrack -L -p tcp 2>/dev/null | sort >> "$f"
  echo "-- stats after: $(fwstat)" >> "$f"
  restore
  echo "-- nf_conntrack_max restored to $(cat $KNOB), buckets $(cat $BKNOB) at $(date +%s.%N | cut -c1-14)" >> "$f"
  echo "-- kernel log:" >> "$f"
  sleep 0.2; grep -i conntrack "$OUT/$name.dmesg" >> "$f"
  sleep 0.3
  down
  for side in c s; do
    echo "-- packets at ctf-$side (port 8080/9999, SYNs and RSTs):" >> "$f"
    tcpdump -nn -S -tt -r "$OUT/$name.$side.pcap" 2>/dev/null | grep -e 'Flags \[S' -e 'Flags \[R' | cut -c1-120 >> "$f"
  done
}

: > "$OUT/summary.txt"
# Optional second argument: the names of the cases to run (default: all).
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
ONLY=${2:-}
want assured-full && case_run assured-full 4 0 4 10 - pernetns
want unassured-partly && case_run unassured-partly 2 2 4 10 -
want unassured-many && case_run unassured-many 2 40 42 10 -
# Early drop looks at 8 buckets from the newcomer's hash: with the smallest
# hash (512 buckets) and a table half full of unreplied entries it finds one.
want unassured-smallhash && case_run unassured-smallhash 2 254 256 10 512
# The gc worker's early drop (after a "table full" drop) kills unreplied
# entries anywhere once count >= nf_conntrack_max / 100 * 95: with max < 100
# that threshold is 0, which disables it, hence max 100 here.
want unassured-gc && case_run unassured-gc 2 98 100 70 -
