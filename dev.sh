#!/usr/bin/env bash
# kasim's one entry point for people and CI.
#   ./dev.sh run [kasim run args...]  install what is missing, build, run (default: the built-in scenario)
#   ./dev.sh test                     install what is missing, build, run the whole test suite
#   ./dev.sh test-sanitize            the same suite under AddressSanitizer + UBSan (separate build dir)
#   ./dev.sh plots                    build, then regenerate the seed scenarios' pictures in docs/img
#   ./dev.sh fuzz [SECONDS]           libFuzzer (clang, ASan+UBSan) on the loader and on whole runs, SECONDS each (default 60)
#   ./dev.sh determinism              every scenario's text, JSON and pcap output is byte-identical across runs and build types (RelWithDebInfo, ASan, Release)
#   ./dev.sh bench                    Release build; engine benchmark and the scenarios/bench workloads at several sizes
#   ./dev.sh setup                    only install the Debian packages
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake ninja-build g++ libboost-graph-dev libyaml-cpp-dev libfmt-dev doctest-dev libcli11-dev
          nlohmann-json3-dev libpcap-dev python3 tshark python3-matplotlib parallel
          iproute2 tcpdump nftables conntrack)  # the last four: `kasim lab` and tests/kernel

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    # tshark's package asks whether non-root users may capture; answer no (kasim only reads files).
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | $sudo debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    # ccache, when someone installed it, shares objects between checkouts
    # (paths are made relative to the checkout); nothing requires it.
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" >&2
  fi
  export CCACHE_BASEDIR=$PWD
  cmake --build "$dir" -j "$(nproc)" >&2
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  run)
    setup; build build
    if [ $# -eq 0 ]; then exec build/kasim run; else exec build/kasim run "$@"; fi ;;
  test)
    setup; build build -DKASIM_WERROR=ON
    cd build
    rc=0; ctest --output-on-failure || rc=$?
    # ctest does not print why a test was skipped; the kernel suite says it in its output.
    grep -h '^SKIPPED:' Testing/Temporary/LastTest.log >&2 || true
    exit $rc ;;
  plots)
    setup; build build
    exec plots/make_all.sh --kasim build/kasim --out docs/img ;;
  test-sanitize)
    setup; build build-asan -DKASIM_SANITIZE=ON -DKASIM_WERROR=ON
    cd build-asan && ctest --output-on-failure ;;
  fuzz)
    setup
    PACKAGES=(clang libclang-rt-14-dev); setup
    secs=${1:-60}
    CXX=clang++ build build-fuzz -DKASIM_FUZZ=ON -DKASIM_SANITIZE=ON
    for target in fuzz_scenario fuzz_run; do
      work=$(mktemp -d)
      cp scenarios/*.yaml tests/bad/*.yaml tests/fuzz/regressions/* "$work"/ 2>/dev/null || true
      echo "== $target: ${secs}s" >&2
      if ! build-fuzz/$target "$work" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
           -artifact_prefix=tests/fuzz/regressions/ -print_final_stats=1 2>"$work.log"; then
        tail -40 "$work.log" >&2; echo "dev.sh: $target found a failure; the input is in tests/fuzz/regressions/" >&2; exit 1
      fi
      grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|cov:" "$work.log" | tail -3 >&2
      rm -rf "$work" "$work.log"
    done ;;
  determinism)
    # Three build types: RelWithDebInfo (build), ASan+UBSan (build-asan) and
    # Release (build-release, -O3 -DNDEBUG: no asserts, other inlining), and
    # a repeated run of the fast Release binary.
    setup; build build; build build-asan -DKASIM_SANITIZE=ON -DKASIM_WERROR=ON
    build build-release -DCMAKE_BUILD_TYPE=Release
    out=$(mktemp -d); n=0
    for f in scenarios/*.yaml; do
      for fmt in text json; do
        build/kasim run "$f" --format $fmt > "$out/a" && build-asan/kasim run "$f" --format $fmt > "$out/b"
        build-release/kasim run "$f" --format $fmt > "$out/c" && build-release/kasim run "$f" --format $fmt > "$out/d"
        for o in b c d; do
          if ! cmp -s "$out/a" "$out/$o"; then
            echo "dev.sh: $f ($fmt) differs between runs or build types (build vs $o)" >&2; diff "$out/a" "$out/$o" | head >&2; exit 1
          fi
        done
        n=$((n+1))
      done
      build/kasim run "$f" --pcap "$out/a.pcap" >/dev/null && build-asan/kasim run "$f" --pcap "$out/b.pcap" >/dev/null
      build-release/kasim run "$f" --pcap "$out/c.pcap" >/dev/null
      for p in "$out"/a.*.pcap; do
        [ -e "$p" ] || continue
        for o in b c; do
          if ! cmp -s "$p" "${p/\/a./\/$o.}"; then echo "dev.sh: $f: $(basename "$p") differs between build types (build vs $o)" >&2; exit 1; fi
        done
        n=$((n+1))
      done
      rm -f "$out"/*.pcap
    done
    rm -rf "$out"; echo "determinism: $n outputs identical across RelWithDebInfo, ASan and Release builds and repeated runs" ;;
  bench)
    setup; build build-release -DCMAKE_BUILD_TYPE=Release
    build-release/kasim_bench
    tmp=$(mktemp -d)
    size() {  # size FILE COUNT -> scaled copy
      sed "s/^\(    count:\) [0-9]*$/\1 $2/" "$1" > "$tmp/$(basename "$1" .yaml)-$2.yaml"; echo "$tmp/$(basename "$1" .yaml)-$2.yaml"
    }
    echo "== small-day (typical scenario, including YAML parsing and startup)"
    /usr/bin/time -f "   200 runs of the whole process: %e s wall, %U s user, %S s sys" \
      bash -c 'for i in $(seq 200); do build-release/kasim run scenarios/bench/small-day.yaml --no-trace >/dev/null; done'
    for n in 1000 10000 100000; do
      echo "== heartbeat-star N=$n"; build-release/kasim run "$(size scenarios/bench/heartbeat-star.yaml $n)" --no-trace --stats 2>&1 >/dev/null | sed 's/^/   /'
    done
    for n in 10000 100000 1000000; do
      echo "== fleet-day N=$n"; build-release/kasim run "$(size scenarios/bench/fleet-day.yaml $n)" --no-trace --stats 2>&1 >/dev/null | sed 's/^/   /'
    done
    echo "== output: heartbeat-star N=2600 (1,014,000 packets on links, 1.52 M trace and pcap records)"
    hb="$(size scenarios/bench/heartbeat-star.yaml 2600)"
    /usr/bin/time -f "   no trace: %e s wall, %U s user" build-release/kasim run "$hb" --no-trace >/dev/null
    /usr/bin/time -f "   JSON: %e s wall, %U s user, %S s sys" build-release/kasim run "$hb" --format json -o "$tmp/out.json"
    /usr/bin/time -f "   pcap: %e s wall, %U s user, %S s sys" build-release/kasim run "$hb" --no-trace --pcap "$tmp/out.pcap" >/dev/null
    rm -f "$tmp"/out*
    echo "== fleet-day-vanish N=1000000"
    build-release/kasim run scenarios/bench/fleet-day-vanish.yaml --no-trace --stats 2>&1 >/dev/null | sed 's/^/   /'
    rm -rf "$tmp" ;;
  *)
    sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
