#!/bin/bash
# Compares kasim's linux-conntrack profile with a real nftables/conntrack
# firewall in network namespaces mb-c (client 10.77.0.1), mb-fw (router),
# mb-s (server 10.77.1.1). Needs root. Usage: run.sh OUTDIR
# Each case: established timeout 10 s, connection idles 15 s, client writes.
set -u
OUT=${1:-/tmp/mb-compare}; mkdir -p "$OUT"
D=$(cd "$(dirname "$0")" && pwd)
NS="mb-c mb-fw mb-s"
down() { for n in $NS; do ip netns del "$n" 2>/dev/null; done; }
up() {
  for n in $NS; do ip netns add "$n"; ip -n "$n" link set lo up; done
  ip -n mb-c link add eth0 type veth peer name ethc netns mb-fw
  ip -n mb-s link add eth0 type veth peer name eths netns mb-fw
  ip -n mb-c addr add 10.77.0.1/24 dev eth0; ip -n mb-c link set eth0 up
  ip -n mb-s addr add 10.77.1.1/24 dev eth0; ip -n mb-s link set eth0 up
  ip -n mb-fw addr add 10.77.0.254/24 dev ethc; ip -n mb-fw link set ethc up
  ip -n mb-fw addr add 10.77.1.254/24 dev eths; ip -n mb-fw link set eths up
  ip -n mb-c route add default via 10.77.0.254
  ip -n mb-s route add default via 10.77.1.254
  ip netns exec mb-fw sysctl -qw net.ipv4.ip_forward=1
}
# case NAME LOOSE INVALID_VERDICT [extra fw rule] [server rule added at 12 s, after the expiry]
case_run() {
  local name=$1 loose=$2 verdict=$3 extra=${4:-} late=${5:-}
  down; up
  ip netns exec mb-fw nft -f - <<NFT
table inet mb {
  chain mbforward { type filter hook forward priority 0; policy accept;
    ct state invalid counter $verdict
    $extra
  }
}
NFT
  ip netns exec mb-fw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=10 \
      net.netfilter.nf_conntrack_tcp_loose=$loose
  ip netns exec mb-s python3 "$D/peers.py" server 8080 & local spid=$!
  ip netns exec mb-c tcpdump -nn -S -i eth0 -w "$OUT/$name.pcap" 2>/dev/null & local tpid=$!
  sleep 0.5
  {
    echo "== $name (loose=$loose, ct state invalid $verdict${extra:+; $extra})"
    ip netns exec mb-c python3 "$D/peers.py" client 10.77.1.1 8080 15 &
    local cpid=$!
    if [ -n "$late" ]; then
      sleep 12; ip netns exec mb-s nft -f - <<<"table inet mbs { chain out { type filter hook output priority 0; policy accept; $late; }; }"
      # The old entry has expired; a long established timeout now shows whether the picked-up entry is capped.
      ip netns exec mb-fw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=600
      sleep 4.5
    else
      sleep 16.5
    fi
    echo "-- conntrack entries 1.5 s after the late write:"
    ip netns exec mb-fw conntrack -L -p tcp 2>/dev/null
    wait $cpid
    echo "-- nft counters:"; ip netns exec mb-fw nft list ruleset | grep counter
  } > "$OUT/$name.txt" 2>&1
  sleep 0.5; kill $tpid $spid 2>/dev/null; wait $tpid $spid 2>/dev/null
  echo "-- client-side packets:" >> "$OUT/$name.txt"
  tcpdump -nn -S -r "$OUT/$name.pcap" 2>/dev/null | grep -v -e ICMP6 -e ARP | cut -c1-150 >> "$OUT/$name.txt"
}
case_run loose 1 drop
case_run strict-drop 0 drop
case_run strict-reject 0 "reject with tcp reset"
# The picked-up entry without a reply: the server's answers are dropped.
case_run loose-noreply 1 drop "" "tcp sport 8080 counter drop"
# Kernel defaults in a fresh namespace.
down; up
ip netns exec mb-fw nft add table inet probe
for k in tcp_timeout_established tcp_loose tcp_max_retrans tcp_timeout_unacknowledged tcp_timeout_max_retrans \
         tcp_timeout_syn_sent tcp_timeout_fin_wait tcp_timeout_time_wait tcp_timeout_close; do
  ip netns exec mb-fw sysctl net.netfilter.nf_conntrack_$k
done > "$OUT/defaults.txt" 2>&1
# Table full: nf_conntrack_max is global (init_net); this only reports whether
# this kernel lets a namespace set its own. tablefull.sh measures a full table.
down; up
ip netns exec mb-fw sysctl -w net.netfilter.nf_conntrack_max=1 > "$OUT/table-full.txt" 2>&1
down
