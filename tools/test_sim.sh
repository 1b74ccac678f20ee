#!/usr/bin/env bash
# The test suite on the CUDA simulator, as CI runs it beside tools/test.sh: every CUDA kernel runs
# on the CPU (kernels/sim/), so every CUDA test runs here too and none skips. The tree is
# build-sim/: clang, -DLATENT_CUDA=SIM, AddressSanitizer and UndefinedBehaviorSanitizer over the
# whole project, the tests included. The CUDA kernel tests run once more under each schedule that
# exposes a missing barrier (reverse, shuffled, one warp starved; CTest's sim_schedule_* tests).
#
#   tools/test_sim.sh            install what is missing, fetch MNIST, build, run every test
#   tools/test_sim.sh -R Cuda    extra arguments go to ctest
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
# clang and its sanitizer and OpenMP runtimes, on top of what every build needs.
LATENT_EXTRA_PACKAGES="clang libclang-rt-14-dev libomp-dev" bash tools/setup.sh --no-build

CC=clang CXX=clang++ cmake -S . -B build-sim -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLATENT_CUDA=SIM -DLATENT_SANITIZE=address,undefined
cmake --build build-sim -j "$(nproc)"

# halt_on_error: the first report fails the test that made it. Passive OpenMP waiting: see
# tools/test.sh.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
OMP_WAIT_POLICY=passive ctest --test-dir build-sim --output-on-failure -j "$(nproc)" "$@"
