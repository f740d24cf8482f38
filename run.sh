#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine:
#   bash run.sh demo   installs what is missing, builds, runs the main demo
#   bash run.sh test   installs what is missing, builds, runs the whole test suite
# Both are idempotent: packages already present are skipped, the build is incremental.
# Set XGRAD_ARCH=portable to build for the compiler's baseline CPU instead of this machine's.
set -euo pipefail
cd "$(dirname "$0")"

what="${1:-}"
case "$what" in
  demo|test) ;;
  *) echo "usage: bash run.sh demo|test" >&2; exit 2 ;;
esac

packages=(g++ make cmake libxtensor-dev libxsimd-dev xtl-dev libfmt-dev nlohmann-json3-dev libcli11-dev
          libgtest-dev libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "run.sh: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "run.sh: all ${#packages[@]} packages are installed"
fi

jobs="$(nproc 2>/dev/null || echo 2)"
echo "run.sh: configuring build/ (Release, XGRAD_ARCH=${XGRAD_ARCH:-native})"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DXGRAD_ARCH="${XGRAD_ARCH:-native}" >/dev/null
echo "run.sh: building with $jobs jobs"
cmake --build build -j "$jobs"

if [ "$what" = demo ]; then
  echo "run.sh: ./build/examples/bigram --plot out/plots   (the lecture's bigram model; --help for more)"
  ./build/examples/bigram --plot out/plots
else
  echo "run.sh: ctest"
  cd build && ctest --output-on-failure -j "$jobs"
fi
