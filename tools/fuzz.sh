#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz/ long, one after another: each starts from its seed
# corpus (tests/fuzz/corpus/NAME/) and a fresh working corpus, and tries RUNS inputs. Prints per
# harness the executions, executions per second, crashes, and the final corpus and coverage;
# exits nonzero if any harness crashed, keeping the reproducer (its path is printed).
#
#   tools/fuzz.sh                    every harness, 10^6 inputs each
#   tools/fuzz.sh 100000 json idx    those harnesses, 10^5 inputs each
#
# The tree is the clang one of tools/test_sim.sh (build-sim/: ASan and UBSan), configured and
# built here when needed; LATENT_FUZZ_BUILD=DIR picks another. LATENT_FUZZ_SEED sets libFuzzer's
# -seed (default 1, so a run repeats). Working corpora and reproducers go to
# DIR/tests/fuzz/long/NAME/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
runs="${1:-1000000}"
[[ $# -gt 0 ]] && shift
[[ "${runs}" =~ ^[1-9][0-9]*$ ]] || { echo "usage: tools/fuzz.sh [RUNS] [harness...]" >&2; exit 2; }
build="${LATENT_FUZZ_BUILD:-build-sim}"
seed="${LATENT_FUZZ_SEED:-1}"

harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  for file in tests/fuzz/fuzz_*.cc; do
    name="$(basename "${file}" .cc)"
    harnesses+=("${name#fuzz_}")
  done
fi
for name in "${harnesses[@]}"; do
  if [[ ! -f "tests/fuzz/fuzz_${name}.cc" ]]; then
    echo "no harness tests/fuzz/fuzz_${name}.cc" >&2
    exit 2
  fi
done

if [[ ! -f "${build}/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLATENT_CUDA=SIM -DLATENT_SANITIZE=address,undefined -DLATENT_FUZZ=ON
fi
cmake --build "${build}" -j "$(nproc)" --target "${harnesses[@]/#/fuzz_}"

# Each report fails the input that made it, which libFuzzer then saves as crash-*, leak-*, oom-*
# or timeout-*. One OpenMP thread: the harnesses are single-threaded work, and the machine's other
# cores are free for other jobs.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export OMP_NUM_THREADS=1

# The value of `stat::NAME: VALUE` in a log.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=()
rows=()
for name in "${harnesses[@]}"; do
  work="${build}/tests/fuzz/long/${name}"
  rm -rf "${work}"
  mkdir -p "${work}/corpus"
  log="${work}/fuzz.log"
  echo "== fuzz_${name}: ${runs} inputs, log ${log}"
  status=0
  "${build}/tests/fuzz/fuzz_${name}" "${work}/corpus" "tests/fuzz/corpus/${name}" \
    -runs="${runs}" -seed="${seed}" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="${work}/" >"${log}" 2>&1 || status=$?
  reproducers=$(find "${work}" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' -o -name 'timeout-*' \) | sort)
  crashes=$(grep -c . <<<"${reproducers}" || true)
  if [[ ${status} -ne 0 || ${crashes} -gt 0 ]]; then
    failed+=("${name}")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "${log}" | head -5 || true
    echo "   reproducer: ${reproducers:-none written (exit ${status}); see the log}"
  fi
  # The last status line holds the final coverage ("cov: N ft: N corp: UNITS/SIZE").
  line=$(grep -E '^#[0-9]+' "${log}" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"${line}")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"${line}")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"${line}")
  rows+=("$(printf '%-12s %12s %8s %8s %6s %6s %14s' "${name}" \
    "$(stat number_of_executed_units "${log}")" "$(stat average_exec_per_sec "${log}")" \
    "${crashes}" "${cov}" "${ft}" "${corp}")")
  echo "${rows[-1]}"
done

echo
printf '%-12s %12s %8s %8s %6s %6s %14s\n' harness executions exec/s crashes cov ft corpus
printf '%s\n' "${rows[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAIL (${failed[*]})"
  exit 1
fi
echo "fuzz: PASS"
