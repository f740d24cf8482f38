#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine:
#   bash run.sh demo       installs what is missing, builds, runs the main demo
#   bash run.sh test       installs what is missing, builds, runs the whole test suite
#   bash run.sh sanitize   the same suite built with clang, AddressSanitizer and UBSan (build-san/)
#   bash run.sh fuzz       builds the libFuzzer targets (build-san/) and runs each for
#                          XGRAD_FUZZ_SECONDS (default 20) on its seed corpus in fuzz/corpus/
# All are idempotent: packages already present are skipped, the builds are incremental.
# Set XGRAD_ARCH=portable to build for the compiler's baseline CPU instead of this machine's.
set -euo pipefail
cd "$(dirname "$0")"

what="${1:-}"
case "$what" in
  demo|test|sanitize|fuzz) ;;
  *) echo "usage: bash run.sh demo|test|sanitize|fuzz" >&2; exit 2 ;;
esac

packages=(g++ make cmake libxtensor-dev libxsimd-dev xtl-dev libfmt-dev nlohmann-json3-dev libcli11-dev
          libgtest-dev libbenchmark-dev)
# Open MPI for data parallelism (xgrad::distributed; the tests start 2 ranks). The sanitizer build leaves
# it out (-DXGRAD_MPI=OFF) and so checks that everything builds and passes without MPI.
if [ "$what" = demo ] || [ "$what" = test ]; then packages+=(libopenmpi-dev openmpi-bin); fi
# clang with its sanitizer and libFuzzer runtimes (Debian 12: libclang-rt-14-dev; Ubuntu ships them in clang)
if [ "$what" = sanitize ] || [ "$what" = fuzz ]; then packages+=(clang libclang-rt-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  available=()
  for p in "${missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then available+=("$p"); else echo "run.sh: no package $p here, skipped"; fi
  done
  echo "run.sh: installing ${available[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${available[@]}"
else
  echo "run.sh: all ${#packages[@]} packages are installed"
fi

jobs="$(nproc 2>/dev/null || echo 2)"
if [ "$what" = demo ] || [ "$what" = test ]; then
  echo "run.sh: configuring build/ (Release, XGRAD_ARCH=${XGRAD_ARCH:-native})"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DXGRAD_ARCH="${XGRAD_ARCH:-native}" >/dev/null
  echo "run.sh: building with $jobs jobs"
  cmake --build build -j "$jobs"
else
  # One clang build serves both: ASan+UBSan everywhere (any report aborts), coverage for libFuzzer.
  echo "run.sh: configuring build-san/ (clang, -fsanitize=address,undefined, libFuzzer targets)"
  CXX=clang++ cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Release -DXGRAD_ARCH="${XGRAD_ARCH:-native}" \
    -DXGRAD_SANITIZE=address,undefined -DXGRAD_BUILD_FUZZ=ON -DXGRAD_BUILD_BENCHMARKS=OFF -DXGRAD_MPI=OFF >/dev/null
  echo "run.sh: building with $jobs jobs"
  cmake --build build-san -j "$jobs"
fi

case "$what" in
  demo)
    echo "run.sh: ./build/examples/bigram --plot out/plots   (the lecture's bigram model; --help for more)"
    ./build/examples/bigram --plot out/plots ;;
  test)
    echo "run.sh: ctest"
    cd build && ctest --output-on-failure -j "$jobs" ;;
  sanitize)
    # The million-step memory test runs in the plain build only: ASan keeps freed memory in
    # quarantine on purpose, so resident size says nothing there (and it takes ~50 s). So does the
    # mlp example's full 200,000-step run (its first 1,000 steps are checked here too).
    # An allocation that cannot be had returns null (std::bad_alloc, which the programs name) instead
    # of ASan's abort: the tests that ask for 400 GB check that message.
    echo "run.sh: ctest under AddressSanitizer + UndefinedBehaviorSanitizer"
    export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    cd build-san && ctest --output-on-failure -j "$jobs" -E 'AMillionStepsInSteadyMemory|TheFullRunEndsWithinAHundredth' ;;
  fuzz)
    # The targets run side by side, as many at once as there are cores; each one's last line is shown
    # when it ends, and a finding ends the run with its log.
    seconds="${XGRAD_FUZZ_SECONDS:-20}"
    mkdir -p build-san/fuzz/found
    targets=(safetensors npy corpus checkpoint wordvec tokenizer)
    fuzz_one() {
      local t="$1"
      mkdir -p "build-san/fuzz/scratch/$t"
      # new inputs go to the scratch directory (first); the committed seeds are only read
      ./build-san/fuzz/fuzz_$t -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 \
        -artifact_prefix="build-san/fuzz/found/$t-" "build-san/fuzz/scratch/$t" "fuzz/corpus/$t" \
        >"build-san/fuzz/$t.log" 2>&1
    }
    failed=""
    for ((i = 0; i < ${#targets[@]}; i += jobs)); do
      pids=()
      for t in "${targets[@]:i:jobs}"; do
        echo "run.sh: fuzz_$t for ${seconds} s (seeds: fuzz/corpus/$t; what it finds: build-san/fuzz/found/)"
        fuzz_one "$t" & pids+=("$!")
      done
      k=0
      for t in "${targets[@]:i:jobs}"; do
        if wait "${pids[$k]}"; then
          echo "run.sh: fuzz_$t: $(tail -1 "build-san/fuzz/$t.log")"
        else
          tail -40 "build-san/fuzz/$t.log"
          echo "run.sh: fuzz_$t failed; the input is in build-san/fuzz/found/" >&2
          failed="$failed $t"
        fi
        k=$((k + 1))
      done
    done
    if [ -n "$failed" ]; then exit 1; fi ;;
esac
