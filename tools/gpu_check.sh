#!/usr/bin/env bash
# One call on a lent GPU machine: build for sm_90, the CUDA tests, compute-sanitizer, the
# benchmarks, a 10-epoch VAE run, an Nsight Compute profile of two training steps, then the rest
# of the test suite (CPU-only tests, which CI also runs, last). Every step is timed and bounded by
# `timeout`, logs what it did, and the script carries on past failures; a summary table (step,
# status, seconds, key number) is printed last.
#
#   tools/gpu_check.sh                  everything, within GPU_CHECK_BUDGET seconds (default 560)
#   tools/gpu_check.sh --prepare-deps   run HERE, before the call: fills .deps/ (see below)
#
# What the GPU machine has: CMake, ninja, nvcc, g++, python3 with PyTorch, ncu, compute-sanitizer;
# no package registry. What it may lack, and what to carry (the device tool's `carry`):
#
#   carry: [".deps"]     made by `tools/gpu_check.sh --prepare-deps` on a machine with the Debian
#                        packages of tools/setup.sh (libgtest-dev, libstb-dev, zlib1g-dev) and MNIST
#                        in data/mnist. It holds, each used only where the system lacks it:
#                          .deps/gtest/{include,lib}  GoogleTest headers and static libraries
#                          .deps/stb/{include,lib}    stb_image{,_write}.h and libstb.a
#                          .deps/zlib/{include,lib}   zlib.h, zconf.h and libz.a
#                          .deps/mnist/*.gz           MNIST, gzip-compressed (11 MB, not 55)
#                        Without GoogleTest anywhere the script still builds `latent`
#                        (-DLATENT_BUILD_TESTS=OFF) and marks the ctest step SKIP.
#   data/mnist           optional: used instead of .deps/mnist when present. When only
#                        .deps/mnist exists, it is unpacked into data/mnist (the tests look for
#                        the raw files there, and bench/compare_step.sh reads data/mnist).
#
# Outputs go to $OUT (or ./gpu_check_out when OUT is unset). The device tool brings back at most 8
# files, so the per-step logs are packed into logs.tar.gz after each step (and the logs/ folder is
# removed at the end when $OUT is set). Files: summary.txt, logs.tar.gz, vae_metrics.csv,
# ncu_raw.csv (one row per profiled kernel), ncu_kernels.txt (digest: time, FLOP/s, DRAM),
# ncu_steps.ncu-rep (open in Nsight Compute), nsys_*.csv when nsys is on the PATH.
#
# Environment: GPU_CHECK_BUDGET (seconds for all steps, default 560: with a step's 10 s of grace
# to die and the summary, the script ends inside a 600 s call), GPU_CHECK_BUILD (build directory,
# default build-gpu). For a dry run on a machine without a GPU: GPU_CHECK_CUDA=OFF (CPU-only
# build) and GPU_CHECK_FORCE_DEPS=1 (use .deps even where the system has the libraries).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${OUT:-$PWD/gpu_check_out}"
cd "$ROOT" || exit 1

# --- --prepare-deps: run on the build machine, not the GPU machine ------------------------------
prepare_deps() {
  local lib=/usr/lib/x86_64-linux-gnu d="$ROOT/.deps" f
  mkdir -p "$d/gtest/include" "$d/gtest/lib" "$d/stb/include/stb" "$d/stb/lib" \
           "$d/zlib/include" "$d/zlib/lib" "$d/mnist" || return 1
  cp -r /usr/include/gtest "$d/gtest/include/" &&
    cp "$lib/libgtest.a" "$lib/libgtest_main.a" "$d/gtest/lib/" &&
    cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h "$d/stb/include/stb/" &&
    cp "$lib/libstb.a" "$d/stb/lib/" &&
    cp /usr/include/zlib.h /usr/include/zconf.h "$d/zlib/include/" &&
    cp "$lib/libz.a" "$d/zlib/lib/" || return 1
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
           t10k-labels-idx1-ubyte; do
    if [[ -f "data/mnist/$f.gz" ]]; then
      cp "data/mnist/$f.gz" "$d/mnist/" || return 1
    elif [[ -f "data/mnist/$f" ]]; then
      gzip -9 -c "data/mnist/$f" > "$d/mnist/$f.gz" || return 1
    else
      echo "gpu_check: data/mnist/${f}[.gz] missing (tools/fetch_data.sh fetches it)" >&2
      return 1
    fi
  done
  du -sh "$d"
  echo "gpu_check: .deps is ready; name it in the device tool's carry: [\".deps\"]"
}
if [[ "${1:-}" == "--prepare-deps" ]]; then
  prepare_deps
  exit $?
elif [[ $# -gt 0 ]]; then
  sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 2
fi

# --- set-up -----------------------------------------------------------------------------------
export PATH="$PATH:/usr/local/cuda/bin"
LOGS="$DEST/logs"
WORK="$(mktemp -d /tmp/gpu_check.XXXXXX)"
BUILD="${GPU_CHECK_BUILD:-$ROOT/build-gpu}"
LATENT="$BUILD/latent"
BUDGET="${GPU_CHECK_BUDGET:-560}"
mkdir -p "$LOGS" || exit 1
START=$SECONDS
SUMMARY=()   # "step|status|seconds|key" rows
DETAILS=()   # lines printed above the summary table
STEP_NO=0
declare -A STEP_MS=()  # bench step medians by configuration
LAST_LOG=""
LAST_RC=0
LAST_SECS=0

has_mnist() {
  local s
  for s in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
           t10k-labels-idx1-ubyte; do
    [[ -e "$1/$s" || -e "$1/$s.gz" ]] || return 1
  done
}

# The tests look for the raw (not gzip) files in data/mnist, so carried .gz files are unpacked.
DATA=""
if ! has_mnist data/mnist && has_mnist .deps/mnist; then
  mkdir -p data/mnist
  for gz in .deps/mnist/*.gz; do
    gunzip -c "$gz" > "data/mnist/$(basename "$gz" .gz)"
  done
fi
has_mnist data/mnist && DATA=data/mnist

# Packs the logs so far; called after every step, so a call cut short still returns them.
pack_logs() {
  tar -czf "$DEST/logs.tar.gz.tmp" -C "$DEST" logs 2>/dev/null &&
    mv "$DEST/logs.tar.gz.tmp" "$DEST/logs.tar.gz"
}

# run_step NAME MAX_SECONDS CMD...: runs CMD under `timeout`, its output in logs/NN_NAME.log, with
# at most MAX_SECONDS or what is left of the budget (keeping 15 s for the summary). Sets LAST_RC
# (124 on timeout, 200 when skipped for lack of time), LAST_LOG and LAST_SECS.
run_step() {
  local name="$1" max="$2"
  shift 2
  STEP_NO=$((STEP_NO + 1))
  LAST_LOG="$LOGS/$(printf '%02d' "$STEP_NO")_$name.log"
  local left=$((BUDGET - (SECONDS - START) - 15))
  local limit=$((max < left ? max : left))
  if ((limit < 10)); then
    echo "skipped: ${left}s of the budget left" > "$LAST_LOG"
    LAST_RC=200
    LAST_SECS=0
    return 0
  fi
  echo "== $name (limit ${limit}s)"
  local t0=$SECONDS
  {
    echo "\$ $*"
    echo "(limit ${limit}s)"
  } > "$LAST_LOG"
  timeout --kill-after=10 "$limit" "$@" >> "$LAST_LOG" 2>&1
  LAST_RC=$?
  LAST_SECS=$((SECONDS - t0))
  echo "(exit status $LAST_RC after ${LAST_SECS}s)" >> "$LAST_LOG"
  if ((LAST_RC != 0)); then
    echo "   exit status $LAST_RC; last lines of $(basename "$LAST_LOG"):"
    tail -n 8 "$LAST_LOG" | sed 's/^/   | /' | cut -c1-160
  fi
  pack_logs
}

status_of() {
  case "$1" in
    0) echo ok ;;
    124 | 137) echo TIMEOUT ;;
    200) echo SKIP ;;
    *) echo "FAIL($1)" ;;
  esac
}

# record NAME KEY [STATUS]: one summary row for the step just run.
record() {
  local status="${3:-$(status_of "$LAST_RC")}"
  SUMMARY+=("$1|$status|$LAST_SECS|$2")
}

skip() {
  SUMMARY+=("$1|SKIP|0|$2")
}

# The last line of LAST_LOG matching an extended regex, or "".
last_match() {
  grep -E "$1" "$LAST_LOG" | tail -n 1
}

# --- 1. the machine -------------------------------------------------------------------------
# shellcheck disable=SC2016  # $(nproc) expands in the inner shell
run_step machine 30 bash -c '
  nvidia-smi
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
             --format=csv,noheader
  nvcc --version | tail -n 2
  cmake --version | head -n 1
  g++ --version | head -n 1
  command -v ninja g++ ncu nsys compute-sanitizer python3
  python3 -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda)"
  echo "nproc $(nproc)"
  true'
GPU="$(grep -m1 -E ', [0-9.]+, [0-9]+ MiB' "$LAST_LOG" | cut -d, -f1-2)"
record machine "${GPU:-no GPU found}" "$([[ -n "$GPU" ]] && echo ok || echo FAIL)"
DETAILS+=("data: ${DATA:-none (no data/mnist, no .deps/mnist): training steps skipped}")

# --- 2. build ---------------------------------------------------------------------------------
# Dependencies: the system's when present, else the carried ones in .deps (see the header).
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release "-DLATENT_CUDA=${GPU_CHECK_CUDA:-ON}")
FORCE_DEPS="${GPU_CHECK_FORCE_DEPS:-0}"
PREFIXES=()
DEPS_NOTE=""
system_lib() {  # system_lib NAME: a libNAME.{a,so} in a system library directory
  compgen -G "/usr/lib/x86_64-linux-gnu/lib$1.[as]*" > /dev/null ||
    compgen -G "/usr/lib/lib$1.[as]*" > /dev/null ||
    compgen -G "/usr/local/lib/lib$1.[as]*" > /dev/null
}
if [[ "$FORCE_DEPS" != 1 && -f /usr/include/gtest/gtest.h ]] && system_lib gtest; then
  DEPS_NOTE+="gtest:system "
elif [[ -f .deps/gtest/include/gtest/gtest.h ]]; then
  PREFIXES+=("$ROOT/.deps/gtest")
  CMAKE_ARGS+=("-DGTEST_ROOT=$ROOT/.deps/gtest")
  DEPS_NOTE+="gtest:.deps "
else
  CMAKE_ARGS+=(-DLATENT_BUILD_TESTS=OFF)
  DEPS_NOTE+="gtest:none(tests off) "
fi
if [[ "$FORCE_DEPS" != 1 && -f /usr/include/stb/stb_image_write.h ]] && system_lib stb; then
  DEPS_NOTE+="stb:system "
else
  PREFIXES+=("$ROOT/.deps/stb")
  DEPS_NOTE+="stb:.deps "
fi
if [[ "$FORCE_DEPS" != 1 && -f /usr/include/zlib.h ]] && system_lib z; then
  DEPS_NOTE+="zlib:system"
else
  PREFIXES+=("$ROOT/.deps/zlib")
  DEPS_NOTE+="zlib:.deps"
fi
if ((${#PREFIXES[@]})); then
  CMAKE_ARGS+=("-DCMAKE_PREFIX_PATH=$(IFS=';'; echo "${PREFIXES[*]}")")
fi
GENERATOR=()
KEEP_GOING=()  # build every target that can be built: a broken test file must not cost `latent`
if command -v ninja > /dev/null; then
  GENERATOR=(-G Ninja)
  KEEP_GOING=(-k 0)
else
  KEEP_GOING=(-k)
fi

echo "dependencies: $DEPS_NOTE"
# shellcheck disable=SC2016  # $1, $2, $@ expand in the inner shell
run_step build 300 bash -c 'cmake -S . -B "$1" "${@:3}" && cmake --build "$1" -j "$(nproc)" -- $2' \
  _ "$BUILD" "${KEEP_GOING[*]}" "${GENERATOR[@]}" "${CMAKE_ARGS[@]}"
built=""
for t in latent latent_tests; do [[ -x "$BUILD/$t" ]] && built+="${built:+ }$t"; done
record build "sm_90 Release; built: ${built:-nothing}; ${DEPS_NOTE% }"

# --- 3. the test suite: the CUDA tests now (every one has "Cuda" in its name), the CPU rest last --
# run_ctest NAME MAX [ctest args]: one ctest run and its summary row.
run_ctest() {
  local name="$1" max="$2"
  shift 2
  if [[ ! -x "$BUILD/latent_tests" || "$BUILD_RC" -ne 0 ]]; then
    if [[ "$DEPS_NOTE" == *"tests off"* ]]; then
      skip "$name" "no GoogleTest (carry .deps)"
    else
      skip "$name" "the build failed"
    fi
    return
  fi
  # Eight tests at a time, two OpenMP threads each: the CPU tests must not oversubscribe 16 cores.
  run_step "$name" "$max" env OMP_NUM_THREADS=2 ctest --test-dir "$BUILD" --output-on-failure \
    -j 8 --timeout $((max - 10)) "$@"
  local result skipped
  result="$(last_match 'tests passed')"
  if [[ -z "$result" ]]; then  # cut short: count what finished
    local passed failed
    passed="$(grep -cE 'Test +#.* Passed' "$LAST_LOG")"
    failed="$(grep -cE 'Test +#.*(Failed|Exception|Timeout)' "$LAST_LOG")"
    result="unfinished: $passed passed, $failed failed"
  fi
  skipped="$(grep -c '(Skipped)' "$LAST_LOG")"
  if grep -q 'No tests were found' "$LAST_LOG"; then
    record "$name" "no tests matched $*" "NO-TESTS"
  else
    record "$name" "$result; $skipped skipped"
  fi
  DETAILS+=("$name: $result; skipped: $skipped")
  while IFS= read -r line; do DETAILS+=("  $line"); done < <(grep -E '\((Skipped|Failed)\)' "$LAST_LOG" | head -n 10)
}
BUILD_RC=$LAST_RC
run_ctest ctest_cuda 120 -R Cuda

# --- 4. compute-sanitizer on a short training run --------------------------------------------
SHORT_TRAIN=(train --epochs 1 --train-limit 512 --test-limit 256 --device cuda)
[[ -n "$DATA" ]] && SHORT_TRAIN+=(--data "$DATA")
for tool in memcheck racecheck initcheck synccheck; do
  if [[ ! -x "$LATENT" ]] || ! command -v compute-sanitizer > /dev/null || [[ -z "$DATA" ]]; then
    skip "$tool" "needs latent, compute-sanitizer and MNIST"
    continue
  fi
  limit=75
  [[ "$tool" == racecheck ]] && limit=120
  run_step "$tool" "$limit" compute-sanitizer --tool "$tool" --error-exitcode 99 \
    "$LATENT" "${SHORT_TRAIN[@]}" --out "$WORK/san_$tool"
  found="$(last_match '(ERROR|RACECHECK) SUMMARY')"
  status=""
  ((LAST_RC == 99)) && status="ERRORS"
  record "$tool" "${found:-no summary line}" "$status"
done

# --- 5. benchmarks ----------------------------------------------------------------------------
if [[ -x "$LATENT" ]]; then
  run_step bench_gemm 90 "$LATENT" bench gemm --device cuda
  sq="$(last_match '^square +4096 ')"
  fc1="$(last_match '^vae fc1 forward ')"
  record bench_gemm "4096^3 ours/cublas $(awk '{print $NF}' <<< "$sq"); fc1 fwd $(awk '{print $NF}' <<< "$fc1")"
  DETAILS+=("bench gemm (GFLOP/s; ratio = ours / cuBLAS):")
  while IFS= read -r line; do DETAILS+=("  $line"); done < <(grep -E '^(shape|square|vae)' "$LAST_LOG")

  STEP_ARGS=(bench step --model vae --steps 200 --warmup 20)
  [[ -n "$DATA" ]] && STEP_ARGS+=(--data "$DATA")
  for gemm in latent cublas; do
    run_step "bench_step_cuda_$gemm" 60 "$LATENT" "${STEP_ARGS[@]}" --device cuda --gemm "$gemm"
    STEP_MS[$gemm]="$(last_match '^step_ms ' | awk '{print $2}')"
    record "bench_step_cuda_$gemm" "step_ms ${STEP_MS[$gemm]:-?}"
  done
  run_step bench_step_cpu16 90 "$LATENT" "${STEP_ARGS[@]}" --device cpu --threads 16
  STEP_MS[cpu]="$(last_match '^step_ms ' | awk '{print $2}')"
  record bench_step_cpu16 "step_ms ${STEP_MS[cpu]:-?}"
  DETAILS+=("bench step (VAE, batch 128, median ms): cuda/latent ${STEP_MS[latent]:-?}, cuda/cublas ${STEP_MS[cublas]:-?}, cpu 16 threads ${STEP_MS[cpu]:-?}")
else
  for s in bench_gemm bench_step_cuda_latent bench_step_cuda_cublas bench_step_cpu16; do
    skip "$s" "no latent binary"
  done
fi

# PyTorch peer. bench/compare_step.sh (alternating runs) when it works here; it looks for torch in
# /usr/bin/python3, so when that fails, bench/pytorch_vae.py runs once under the python3 on PATH.
if [[ -x "$LATENT" && -f bench/compare_step.sh ]]; then
  run_step compare_step 120 env LATENT_BIN="$LATENT" bash bench/compare_step.sh --device cuda
  if ((LAST_RC == 0)); then
    record compare_step "$(last_match 'ratio latent/pytorch')"
  elif [[ -f bench/pytorch_vae.py ]]; then
    record compare_step "failed; falling back to pytorch_vae.py"
    TORCH_ARGS=(--mode step --device cuda --batch-size 128 --steps 200 --warmup 20)
    [[ -n "$DATA" ]] && TORCH_ARGS+=(--data "$DATA")
    run_step pytorch_step 90 env PYTHONUNBUFFERED=1 python3 bench/pytorch_vae.py "${TORCH_ARGS[@]}"
    torch_ms="$(last_match '^step_ms ' | awk '{print $2}')"
    ratio="$(awk -v o="${STEP_MS[latent]:-}" -v t="$torch_ms" \
             'BEGIN { if (o > 0 && t > 0) printf "%.2f", o / t; else print "?" }')"
    record pytorch_step "torch step_ms ${torch_ms:-?}; latent/torch ${ratio} (separate runs)"
  fi
else
  skip compare_step "bench/compare_step.sh or latent missing"
fi

# --- 6. ten epochs of the VAE on the GPU ------------------------------------------------------
if [[ -x "$LATENT" && -n "$DATA" ]]; then
  run_step train_vae 150 "$LATENT" train --device cuda --data "$DATA" --out "$WORK/run_vae"
  e10="$(last_match '^epoch 10 ')"
  loss="$(awk '{for (i = 1; i < NF; ++i) if ($i == "test_loss") print $(i + 1)}' <<< "$e10")"
  status=""
  if [[ -n "$loss" ]] && awk -v l="$loss" 'BEGIN { exit !(l >= 106) }'; then status="ABOVE-BOUND"; fi
  secs="$(grep -E '^epoch ' "$LAST_LOG" | awk '{print $NF}' | tr -d s | sort -g |
          awk '{v[NR] = $1} END { if (NR) print v[int((NR + 1) / 2)] }')"
  record train_vae "epoch-10 test_loss ${loss:-?} (bound 106); median epoch ${secs:-?}s" "$status"
  while IFS= read -r line; do DETAILS+=("  $line"); done < <(grep -E '^epoch ' "$LAST_LOG")
  [[ -f "$WORK/run_vae/metrics.csv" ]] && cp "$WORK/run_vae/metrics.csv" "$DEST/vae_metrics.csv"
  mkdir -p "$LOGS/run_vae" && cp "$WORK"/run_vae/*.{json,csv,png} "$LOGS/run_vae/" 2>/dev/null
  pack_logs
else
  skip train_vae "needs latent and MNIST"
fi

# --- 6b. latent eval of that run on the GPU: IWAE with k = 5000 over the whole test set --------
if [[ -x "$LATENT" && -f "$WORK/run_vae/model.safetensors" ]]; then
  run_step eval_vae 240 "$LATENT" eval --device cuda --run "$WORK/run_vae" --iwae-k 5000 \
    --anomaly-epochs 1 --out "$WORK/run_vae/eval"
  nll="$(grep -A4 '"iwae"' "$LAST_LOG" | awk -F': ' '/"nll"/ {print $2}' | tr -d ',')"
  record eval_vae "IWAE k=5000 NLL ${nll:-?} nats on the test set (grey levels, not binarized)"
  mkdir -p "$LOGS/run_vae/eval" && cp "$WORK"/run_vae/eval/* "$LOGS/run_vae/eval/" 2>/dev/null
  pack_logs
else
  skip eval_vae "needs the trained run of step 6"
fi

# --- 7. Nsight Compute: steps 50 and 51 of a training run -------------------------------------
# FP32 FLOPs = 2 * FFMA + FADD + FMUL thread instructions; bytes = DRAM read + write.
NCU_METRICS="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum"
NCU_METRICS+=",dram__throughput.avg.pct_of_peak_sustained_elapsed"
NCU_METRICS+=",sm__throughput.avg.pct_of_peak_sustained_elapsed"
NCU_METRICS+=",gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed"
NCU_METRICS+=",smsp__sass_thread_inst_executed_op_ffma_pred_on.sum"
NCU_METRICS+=",smsp__sass_thread_inst_executed_op_fadd_pred_on.sum"
NCU_METRICS+=",smsp__sass_thread_inst_executed_op_fmul_pred_on.sum"
NCU_METRICS+=",launch__grid_size,launch__block_size,launch__registers_per_thread"
PROFILE_TRAIN=(train --epochs 1 --train-limit 8192 --test-limit 256 --device cuda)
[[ -n "$DATA" ]] && PROFILE_TRAIN+=(--data "$DATA")

# Summarizes ncu_raw.csv per kernel name: launches, total time, FP32 FLOP/s against the H100 SXM's
# 66.9 TFLOP/s, DRAM bytes/s against ~3.0 TB/s, and the Speed Of Light percentages.
ncu_digest() {
  python3 - "$1" <<'PY'
import csv, sys
from collections import OrderedDict

rows = list(csv.reader(open(sys.argv[1], newline="", errors="replace")))
head = next((i for i, r in enumerate(rows) if "Kernel Name" in r), None)
if head is None:
    print("no 'Kernel Name' column: nothing profiled?")
    sys.exit(1)
cols = rows[head]
body = rows[head + 1:]
scale = {}
has_units = bool(body and body[0] and not body[0][cols.index("Kernel Name")])
if has_units:  # a row of units under the header: scale to seconds and bytes
    units = body.pop(0)
    prefixes = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    for c, u in zip(cols, units):
        u = u.strip()
        if u.endswith(("second", "byte")) and u not in ("second", "byte"):
            scale[c] = prefixes.get(u[0], 1.0)

def num(r, name):
    if name not in cols:
        return 0.0
    s = r[cols.index(name)].replace(",", "").strip()
    try:
        return float(s) * scale.get(name, 1.0)
    except ValueError:
        return 0.0

agg = OrderedDict()
for r in body:
    if len(r) != len(cols):
        continue
    name = r[cols.index("Kernel Name")].replace("(anonymous namespace)::", "")
    name = name.replace("latent::kernels::", "").removeprefix("void ").split("(")[0]
    t = num(r, "gpu__time_duration.sum") * (1.0 if has_units else 1e-9)  # ns without units
    flop = (2 * num(r, "smsp__sass_thread_inst_executed_op_ffma_pred_on.sum")
            + num(r, "smsp__sass_thread_inst_executed_op_fadd_pred_on.sum")
            + num(r, "smsp__sass_thread_inst_executed_op_fmul_pred_on.sum"))
    byt = num(r, "dram__bytes_read.sum") + num(r, "dram__bytes_write.sum")
    a = agg.setdefault(name[:60], [0, 0.0, 0.0, 0.0, 0.0, 0.0])
    a[0] += 1; a[1] += t; a[2] += flop; a[3] += byt
    a[4] += num(r, "sm__throughput.avg.pct_of_peak_sustained_elapsed") * t
    a[5] += num(r, "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed") * t
total = sum(a[1] for a in agg.values())
print(f"{len(body)} kernels, {total * 1e6:.1f} us of GPU time in the profiled steps")
print(f"{'kernel':<42} {'n':>3} {'us':>8} {'GFLOP/s':>8} {'%66.9T':>6} {'GB/s':>7} {'%3TB/s':>6}"
      f" {'SM%':>5} {'Mem%':>5}")
for name, (n, t, flop, byt, sm, mem) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
    fs = flop / t if t else 0.0
    bs = byt / t if t else 0.0
    print(f"{name[:42]:<42} {n:>3} {t * 1e6:>8.1f} {fs / 1e9:>8.1f} {100 * fs / 66.9e12:>6.2f}"
          f" {bs / 1e9:>7.1f} {100 * bs / 3.0e12:>6.2f} {sm / t if t else 0:>5.1f}"
          f" {mem / t if t else 0:>5.1f}")
PY
}

NCU="$(command -v ncu || compgen -G '/opt/nvidia/nsight-compute/*/ncu' | tail -n 1)"
if [[ -x "$LATENT" && -n "$NCU" && -n "$DATA" ]]; then
  # --clock-control none: measure the card at the clocks it runs at (and leave its settings alone).
  ncu_step=ncu
  run_step ncu 150 "$NCU" --profile-from-start off --nvtx --clock-control none \
    --metrics "$NCU_METRICS" --export "$WORK/ncu_steps" --force-overwrite \
    "$LATENT" "${PROFILE_TRAIN[@]}" --profile-steps 50:52 --out "$WORK/run_ncu"
  if [[ ! -f "$WORK/ncu_steps.ncu-rep" ]]; then
    record ncu "no report written" FAIL
    # One retry with a section every ncu version has, in case a metric name was refused.
    ncu_step=ncu_sol
    run_step ncu_sol 120 "$NCU" --profile-from-start off --nvtx --clock-control none \
      --section SpeedOfLight --export "$WORK/ncu_steps" --force-overwrite \
      "$LATENT" "${PROFILE_TRAIN[@]}" --profile-steps 50:52 --out "$WORK/run_ncu"
  fi
  if [[ -f "$WORK/ncu_steps.ncu-rep" ]]; then
    { "$NCU" --import "$WORK/ncu_steps.ncu-rep" --csv --page raw --print-units base ||
        "$NCU" --import "$WORK/ncu_steps.ncu-rep" --csv --page raw; } > "$DEST/ncu_raw.csv" \
      2>> "$LAST_LOG"
    ncu_digest "$DEST/ncu_raw.csv" > "$DEST/ncu_kernels.txt" 2>&1
    cp "$DEST/ncu_kernels.txt" "$LOGS/"
    if (($(stat -c %s "$WORK/ncu_steps.ncu-rep") < 16000000)); then
      cp "$WORK/ncu_steps.ncu-rep" "$DEST/"
    fi
    record "$ncu_step" "$(head -n 1 "$DEST/ncu_kernels.txt")"
    DETAILS+=("ncu, steps 50-51 (ncu_kernels.txt):")
    while IFS= read -r line; do DETAILS+=("  $line"); done < <(head -n 16 "$DEST/ncu_kernels.txt")
    pack_logs
  elif [[ "$ncu_step" == ncu_sol ]]; then
    record ncu_sol "no report written" FAIL
  fi
else
  skip ncu "needs latent, ncu and MNIST"
fi

# --- 8. Nsight Systems, when it is on the PATH (it was not on this workplace's images) ----------
NSYS="$(command -v nsys || true)"
if [[ -x "$LATENT" && -n "$NSYS" && -n "$DATA" ]]; then
  # shellcheck disable=SC2016  # $1.. expand in the inner shell
  run_step nsys 90 bash -c '"$1" profile --trace=cuda,nvtx --capture-range=cudaProfilerApi \
      --capture-range-end=stop --force-overwrite true -o "$2/nsys_steps" "${@:4}" &&
    "$1" stats --report cuda_gpu_kern_sum,nvtx_sum --format csv --output "$3/nsys" \
      "$2/nsys_steps.nsys-rep"' _ "$NSYS" "$WORK" "$DEST" \
    "$LATENT" "${PROFILE_TRAIN[@]}" --profile-steps 50:60 --out "$WORK/run_nsys"
  record nsys "$(compgen -G "$DEST/nsys*.csv" | wc -l) CSV reports"
else
  skip nsys "nsys not on the PATH (or no latent/MNIST)"
fi

# --- 9. the CPU tests (CI runs them too, so they come last here) ---------------------------------
run_ctest ctest_cpu 200 -E Cuda

# --- summary ------------------------------------------------------------------------------------
{
  echo
  echo "=== details"
  printf '%s\n' "${DETAILS[@]}"
  echo
  echo "=== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS - START)) s of ${BUDGET} s; logs in $DEST)"
  printf '%-24s %-12s %5s  %s\n' step status secs key
  for row in "${SUMMARY[@]}"; do
    IFS='|' read -r s st secs key <<< "$row"
    printf '%-24s %-12s %5s  %s\n' "$s" "$st" "$secs" "$key"
  done
} | tee "$DEST/summary.txt"
cp "$DEST/summary.txt" "$LOGS/"
pack_logs
# The device tool returns at most 8 files: keep the packed logs, drop the loose ones.
[[ -n "${OUT:-}" && -f "$DEST/logs.tar.gz" ]] && rm -rf "$LOGS"
rm -rf "$WORK"
exit 0
