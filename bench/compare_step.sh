#!/usr/bin/env bash
# Times latent's VAE training step (or, with --iwae, its importance-weighted likelihood estimate)
# against the PyTorch reference (bench/pytorch_vae.py) side by side, on the same device, thread
# count, model shape, batch and data (DESIGN.md section 4: compare ratios measured in one run,
# never absolute times from different runs).
#
# The two benchmarks alternate (ours, torch, ours, torch) so that a burst of load from other
# processes hits both rather than one; each side then reports the smaller of its two medians, the
# run least disturbed by the machine.
#
# Usage: bench/compare_step.sh [--model vae|conv-vae] [--device cpu|cuda] [--threads N]
#                              [--steps N] [--iwae [--images N] [--samples K]]
#   --model    the model timed on both sides, at latent's default shape (default vae)
#   --steps    timed training steps per run (default 200, after 20 warm-up steps)
#   --iwae     time the importance-weighted estimate of log p(x) instead of the training step:
#              K samples per image (default 5000) on the first N test images (default 1000),
#              binarized, 500 samples per image decoded at a time; each run times it once
# Env:   LATENT_BIN      the latent binary (default: <repo>/build/latent)
#        TORCH_BLAS_DIR  a directory with an optimized libblas.so.3 to put first on the PyTorch
#                        side's LD_LIBRARY_PATH, e.g. OpenBLAS's .../openblas-openmp (the OpenMP
#                        build shares torch's thread pool; the pthread build adds a second pool
#                        that oversubscribes the cores). Debian's torch otherwise calls the system
#                        BLAS, which is the slow netlib reference unless an optimized one is
#                        installed.
set -euo pipefail

usage() {
  sed -n '/^# Usage:/,/^# *installed\./s/^# \{0,1\}//p' "$0"
}

device=cpu
threads=2
steps=200
warmup=20
batch=128
model=vae
iwae=false
images=1000
samples=5000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="${2:?--model needs a value}"; shift 2 ;;
    --iwae) iwae=true; shift ;;
    --images) images="${2:?--images needs a value}"; shift 2 ;;
    --samples) samples="${2:?--samples needs a value}"; shift 2 ;;
    --device) device="${2:?--device needs a value}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
    --steps) steps="${2:?--steps needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare_step.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [[ "$iwae" == false && ( "$images" != 1000 || "$samples" != 5000 ) ]]; then
  echo "compare_step.sh: --images and --samples size the IWAE timing: add --iwae" >&2
  exit 2
fi
# The PyTorch side has these two models only; catch a typo before either side starts.
case "$model" in
  vae|conv-vae) ;;
  *) echo "compare_step.sh: --model expects vae or conv-vae, found '$model'" >&2; exit 2 ;;
esac

# Locate the repository from this script's own path, so it works from any working directory;
# run from the root so the relative --data path resolves the same way for both sides.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
latent="${LATENT_BIN:-$repo/build/latent}"
# Debian's torch is installed for the system interpreter only; `python3` on PATH may lack it.
python=/usr/bin/python3
data=data/mnist

if [[ ! -x "$latent" ]]; then
  echo "compare_step.sh: latent binary not found at $latent" >&2
  echo "  build it: cmake -S $repo -B $repo/build -G Ninja && ninja -C $repo/build latent" >&2
  echo "  or point LATENT_BIN at one" >&2
  exit 1
fi
if [[ ! -x "$python" ]] || ! "$python" -c 'import torch' 2>/dev/null; then
  echo "compare_step.sh: $python with torch is required (Debian: apt-get install python3-torch)" >&2
  exit 1
fi
if [[ ! -d "$data" ]]; then
  echo "compare_step.sh: note: $repo/$data missing (tools/fetch_data.sh fetches it);" \
       "both sides time random pixels instead" >&2
fi

# The PyTorch side's command prefix: an optional BLAS override (see TORCH_BLAS_DIR above).
torch_cmd=("$python")
if [[ -n "${TORCH_BLAS_DIR:-}" ]]; then
  torch_cmd=(env "LD_LIBRARY_PATH=$TORCH_BLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$python")
fi
# Which BLAS torch's CPU GEMMs will run on decides the CPU baseline, so say it up front.
blas="$("${torch_cmd[@]}" -c 'import os, torch
print(" ".join(sorted({os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps")
                       if "blas" in l.lower() and "/" in l})) or "unknown")')"

# What both sides run: the benchmark, its flags, and the name of the number it ends with.
common=(--model "$model" --device "$device" --threads "$threads" --data "$data")
if [[ "$iwae" == true ]]; then
  ours_cmd=("$latent" bench iwae "${common[@]}" --images "$images" --samples "$samples")
  torch_args=(--mode iwae "${common[@]}" --images "$images" --samples "$samples")
  metric=iwae_s
  what="iwae, k $samples on $images images"
else
  common+=(--batch-size "$batch" --steps "$steps" --warmup "$warmup")
  ours_cmd=("$latent" bench step "${common[@]}")
  torch_args=(--mode step "${common[@]}")
  metric=step_ms
  what="batch $batch, steps $steps (+$warmup warm-up)"
fi

# Runs one benchmark, echoes its output to stderr for the record, and prints the number from its
# `$metric <value>` line. Any failure stops the script (set -e) with the benchmark's output shown.
measure() {
  local out
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "compare_step.sh: failed: $*" >&2
    exit 1
  fi
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  local v
  v="$(printf '%s\n' "$out" | awk -v key="$metric" '$1 == key { v = $2 } END { print v }')"
  if [[ -z "$v" ]]; then
    echo "compare_step.sh: no '$metric' line from: $*" >&2
    exit 1
  fi
  printf '%s\n' "$v"
}

echo "model $model, device $device, threads $threads, $what" >&2
echo "pytorch blas: $blas" >&2
ours=()
torch=()
for round in 1 2; do
  echo "round $round: latent" >&2
  ours+=("$(measure "${ours_cmd[@]}")")
  echo "round $round: pytorch" >&2
  torch+=("$(measure "${torch_cmd[@]}" "$repo/bench/pytorch_vae.py" "${torch_args[@]}")")
done

# Summary: per side, the smaller of the two runs' numbers (step: medians; iwae: single timings);
# the ratio < 1 means latent is faster.
awk -v o1="${ours[0]}" -v o2="${ours[1]}" -v t1="${torch[0]}" -v t2="${torch[1]}" \
    -v dev="$device" -v thr="$threads" -v model="$model" -v metric="$metric" 'BEGIN {
  o = (o1 < o2) ? o1 : o2
  t = (t1 < t2) ? t1 : t2
  printf "summary (model %s, device %s, threads %s; min of 2 runs, runs in brackets)\n", \
         model, dev, thr
  printf "  latent  %s %9.3f   [%s, %s]\n", metric, o, o1, o2
  printf "  pytorch %s %9.3f   [%s, %s]\n", metric, t, t1, t2
  printf "ratio latent/pytorch = %.2f (lower is faster)\n", o / t
}'
if [[ "$device" == cpu && "$blas" == */blas/libblas.so* ]]; then
  echo "note: pytorch ran on the netlib reference BLAS ($blas), a slow CPU peer;" \
       "install an optimized BLAS or set TORCH_BLAS_DIR for a fair ratio"
fi
