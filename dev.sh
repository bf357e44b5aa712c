#!/usr/bin/env bash
# kasim's one entry point for people and CI.
#   ./dev.sh run [kasim run args...]  install what is missing, build, run (default: the built-in scenario)
#   ./dev.sh test                     install what is missing, build, run the whole test suite
#   ./dev.sh test-sanitize            the same suite under AddressSanitizer + UBSan (separate build dir)
#   ./dev.sh setup                    only install the Debian packages
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake ninja-build g++ libboost-graph-dev libyaml-cpp-dev libfmt-dev doctest-dev libcli11-dev
          nlohmann-json3-dev libpcap-dev python3
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
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >&2
  fi
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
  test-sanitize)
    setup; build build-asan -DKASIM_SANITIZE=ON -DKASIM_WERROR=ON
    cd build-asan && ctest --output-on-failure ;;
  *)
    sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
