#!/usr/bin/env bash
# kill -9 at random moments, then resume: a run directory stays loadable and consistent after
# every kill, and the run finished by resuming is byte for byte the run that was never killed.
#
#   tests/scripts/kill_resume.sh LATENT DATA_DIR WORK_DIR [KILLS] [SEED]
#
# First the uninterrupted run, timed (W seconds). Then, KILLS times (default 12), `latent train`
# starts on the killed run's directory (with --resume once it holds a checkpoint) and is sent
# SIGKILL after a random delay in [0, W): during start-up, an epoch, a checkpoint write or the
# final pictures alike. After each kill the directory must hold a checkpoint link to a complete
# epoch whose metrics.csv has one row per epoch of train_state.json, and `latent sample` must load
# it. A start that finishes before its kill does not count as a kill: its run, resumed to the end,
# is compared with the uninterrupted one (model, optimizer state, train state, config, the best
# epoch's link and model, and metrics.csv without its wall-time column), and the next start begins a fresh run in a new
# directory. At the end the last killed run is resumed to its end and compared too.
set -euo pipefail
latent=$1 data=$2 work=$3 kills=${4:-12} seed=${5:-1}
RANDOM=${seed}
# A small validation set (128 images) keeps the best-epoch link in play at little cost.
args=(--model vae --hidden 64 --epochs 6 --train-limit 512 --val-size 128 --test-limit 64
      --batch-size 64 --binarize --threads 1 --data "${data}")
rm -rf "${work}"
mkdir -p "${work}"
fail() { echo "kill_resume: FAIL: $*" >&2; exit 1; }

start=$(date +%s.%N)
"${latent}" train "${args[@]}" --out "${work}/whole" > "${work}/whole.log" 2>&1 ||
  fail "the uninterrupted run failed: $(tail -n 3 "${work}/whole.log")"
wall=$(awk -v a="${start}" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "uninterrupted run: ${wall} s; kill delays drawn from [0, ${wall}) s"

lifetime=1
run="${work}/killed-${lifetime}"
# The directory after a kill: no checkpoint yet (killed before epoch 0 was published), or one
# that is complete and consistent.
check_consistent() {
  if [[ ! -L "${run}/checkpoint" ]]; then
    echo "  no checkpoint yet"
    return 0
  fi
  local target epoch rows
  target=$(readlink "${run}/checkpoint")
  [[ -d "${run}/${target}" ]] || fail "checkpoint -> ${target}, which does not exist"
  for f in config.json model.safetensors optimizer.safetensors train_state.json metrics.csv; do
    [[ -f "${run}/${target}/${f}" ]] || fail "${target} lacks ${f}"
  done
  epoch=$(sed -n 's/.*"epoch": \([0-9]*\).*/\1/p' "${run}/${target}/train_state.json")
  [[ "${target}" == "epoch-$(printf %04d "${epoch}")" ]] ||
    fail "${target} holds train_state.json of epoch ${epoch}"
  rows=$(($(wc -l < "${run}/${target}/metrics.csv") - 1))
  ((rows < 0)) && rows=0
  ((rows == epoch)) || fail "${target}: metrics.csv has ${rows} rows for epoch ${epoch}"
  if [[ -L "${run}/best" ]]; then
    [[ -f "${run}/$(readlink "${run}/best")/model.safetensors" ]] ||
      fail "best -> $(readlink "${run}/best"), which holds no model"
  fi
  "${latent}" sample --run "${run}" --n 4 --out "${work}/sample.png" > /dev/null 2>&1 ||
    fail "latent sample cannot load the run after a kill at epoch ${epoch}"
  echo "  consistent: epoch ${epoch}, ${rows} metrics rows, loads"
}

# The killed run against the uninterrupted one.
without_seconds() { sed 's/,[^,]*$//' "$1/metrics.csv"; }
compare_with_whole() {
  for f in model.safetensors optimizer.safetensors train_state.json config.json; do
    cmp -s "${work}/whole/checkpoint/${f}" "${run}/checkpoint/${f}" ||
      fail "${f} differs from the uninterrupted run's"
  done
  [[ "$(readlink "${work}/whole/best")" == "$(readlink "${run}/best")" ]] &&
    cmp -s "${work}/whole/best/model.safetensors" "${run}/best/model.safetensors" ||
    fail "the best epoch's link or model differs from the uninterrupted run's"
  diff <(without_seconds "${work}/whole") <(without_seconds "${run}") > /dev/null ||
    fail "metrics.csv differs from the uninterrupted run's"
  echo "  finished: equal to the uninterrupted run byte for byte"
}

done_kills=0 finished=0
for ((attempt = 1; attempt <= 5 * kills && done_kills < kills; ++attempt)); do
  if [[ -L "${run}/checkpoint" ]]; then
    cmd=("${latent}" train --resume "${run}" --threads 1)
  else  # --overwrite: a start killed before its epoch 0 may have left a staging directory
    cmd=("${latent}" train "${args[@]}" --out "${run}" --overwrite)
  fi
  delay=$(awk -v r="${RANDOM}" -v w="${wall}" 'BEGIN { printf "%.3f", r / 32768 * w }')
  # timeout sends SIGKILL after the delay unless the run has ended; 137 = 128 + SIGKILL.
  status=0
  { timeout --signal=KILL "${delay}" "${cmd[@]}" > "${work}/attempt-${attempt}.log" 2>&1; } \
    2> /dev/null || status=$?  # (bash's own "Killed" notice goes to /dev/null)
  if ((status == 137)); then
    done_kills=$((done_kills + 1))
    echo "kill ${done_kills} after ${delay} s (${cmd[2]})"
    check_consistent
  else
    ((status == 0)) || fail "a run ended with exit ${status}: $(tail -n 3 "${work}/attempt-${attempt}.log")"
    echo "run finished before its kill at ${delay} s"
    compare_with_whole
    finished=$((finished + 1)) lifetime=$((lifetime + 1))
    run="${work}/killed-${lifetime}"
  fi
done
((done_kills == kills)) || fail "only ${done_kills} of ${kills} runs were killed before finishing"

if [[ -d "${run}" ]]; then
  if [[ -L "${run}/checkpoint" ]]; then
    cmd=("${latent}" train --resume "${run}" --threads 1)
  else
    cmd=("${latent}" train "${args[@]}" --out "${run}" --overwrite)
  fi
  "${cmd[@]}" > "${work}/final.log" 2>&1 || fail "the final run failed: $(tail -n 3 "${work}/final.log")"
  compare_with_whole
  finished=$((finished + 1))
fi
echo "kill_resume: PASS (${kills} kills; ${finished} runs resumed to the end, each equal to the" \
  "uninterrupted run byte for byte)"
rm -rf "${work}"
