#!/usr/bin/env bash
# `latent train --config RUN/config.json` retrains the recorded run: the same weights, byte for
# byte, the same metrics (without the wall-time column) and the same config.json; a flag beside
# --config overrides the file's value; a bad file is an error naming it.
#
#   tests/scripts/train_config.sh LATENT DATA_DIR WORK_DIR
set -euo pipefail
latent=$1 data=$2 work=$3
rm -rf "${work}"
mkdir -p "${work}"
fail() { echo "train_config: FAIL: $*" >&2; exit 1; }

# Run A: a VAE with non-default hyperparameters and training options, so that each must reach B.
"${latent}" train --model vae --hidden 32 --latent-dim 3 --schedule linear --warmup-steps 3 \
  --epochs 2 --batch-size 64 --lr 2e-3 --seed 7 --lr-schedule cosine --lr-warmup-steps 2 \
  --clip-norm 5 --train-limit 256 --test-limit 64 --data "${data}" --out "${work}/a" \
  --threads 1 > /dev/null
"${latent}" train --config "${work}/a/config.json" --out "${work}/b" --threads 1 > /dev/null
cmp "${work}/a/model.safetensors" "${work}/b/model.safetensors" ||
  fail "model.safetensors differs from the recorded run's"
without_seconds() { sed 's/,[^,]*$//' "$1/metrics.csv"; }
diff <(without_seconds "${work}/a") <(without_seconds "${work}/b") ||
  fail "metrics.csv differs from the recorded run's"
cmp "${work}/a/config.json" "${work}/b/config.json" || fail "config.json differs"

# A run without validation records no val_size; retrained from its file, it holds out none either
# (not the flag's default 5000), so it reproduces too.
"${latent}" train --model ae --latent-dim 4 --val-size 0 --epochs 1 --train-limit 256 \
  --test-limit 64 --data "${data}" --out "${work}/e" --threads 1 > /dev/null
"${latent}" train --config "${work}/e/config.json" --out "${work}/f" --threads 1 > /dev/null
cmp "${work}/e/model.safetensors" "${work}/f/model.safetensors" ||
  fail "a run without validation: model.safetensors differs from the recorded run's"
cmp "${work}/e/config.json" "${work}/f/config.json" || fail "a run without validation: config.json differs"

# An override: the command line's --lr wins over the file's, and is recorded.
"${latent}" train --config "${work}/a/config.json" --lr 0.01 --epochs 1 --out "${work}/c" \
  --threads 1 > /dev/null
grep -q '"lr": 0.01,' "${work}/c/config.json" || fail "--lr 0.01 is not in c/config.json"
grep -q '"hidden": "32"' "${work}/c/config.json" || fail "the file's --hidden was lost"

# expect WHAT PATTERN FILE: `latent train --config FILE` exits 1 with a message matching PATTERN
# that names FILE.
expect() {
  local what=$1 pattern=$2 file=$3 status=0 out
  out=$("${latent}" train --config "${file}" --out "${work}/bad" 2>&1) || status=$?
  ((status == 1)) || fail "${what}: exit ${status}, expected 1: ${out}"
  [[ "${out}" == *"${file}"* ]] || fail "${what}: the message does not name ${file}: ${out}"
  [[ "${out}" =~ ${pattern} ]] || fail "${what}: expected '${pattern}', found: ${out}"
  echo "${what}: ${out}"
}
printf 'not json' > "${work}/not-json.json"
expect "not JSON" "expected" "${work}/not-json.json"
sed 's/"batch_size"/"batch_sise"/' "${work}/a/config.json" > "${work}/unknown-key.json"
expect "unknown train key" 'unknown key "train"."batch_sise"' "${work}/unknown-key.json"
sed 's/"hidden"/"hiden"/' "${work}/a/config.json" > "${work}/unknown-flag.json"
expect "unknown hyperparameter" "unknown hyperparameter --hiden" "${work}/unknown-flag.json"
sed 's/"model_flags"/"model_flag"/' "${work}/a/config.json" > "${work}/unknown-top.json"
expect "unknown top-level key" 'unknown key "model_flag"' "${work}/unknown-top.json"
sed 's/"lr": [0-9.e-]*/"lr": "fast"/' "${work}/a/config.json" > "${work}/wrong-type.json"
expect "wrong type" '"train"."lr": expected a number' "${work}/wrong-type.json"
sed 's/"hidden": "32"/"hidden": 32/' "${work}/a/config.json" > "${work}/number-flag.json"
expect "hyperparameter not text" '"model_flags"."hidden": expected a string' \
  "${work}/number-flag.json"
expect "missing file" "" "${work}/no-such.json"
status=0
out=$("${latent}" train --config "${work}/a/config.json" --resume "${work}/a" 2>&1) || status=$?
((status == 1)) && [[ "${out}" == *"--config cannot be given with --resume"* ]] ||
  fail "--config with --resume: exit ${status}: ${out}"

# A file without keys added after it was written trains with their defaults: a copy of A's
# config without lr_schedule (cosine) and warmup_steps trains, and records, the constant schedule.
grep -v '"lr_schedule"\|"warmup_steps"' "${work}/a/config.json" > "${work}/old.json"
"${latent}" train --config "${work}/old.json" --epochs 1 --out "${work}/d" --threads 1 > /dev/null
grep -q '"lr_schedule": "constant"' "${work}/d/config.json" ||
  fail "a file without lr_schedule did not train with the default"
echo "train_config: PASS"
