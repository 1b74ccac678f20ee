#!/usr/bin/env bash
# Fingerprints what latent computes, so that a change meant to keep behaviour can be checked to
# keep it bit for bit (training on the CPU is bitwise deterministic for a given build and machine):
#
#   tools/check_repro.sh record FILE [BUILD_DIR]    write the fingerprints to FILE
#   tools/check_repro.sh compare FILE [BUILD_DIR]   recompute them and diff against FILE
#
# Every registered model trains one epoch on the first 6000 MNIST training images (seed 1, CPU,
# 2 threads); its losses (metrics.csv) and checkpoint (model.safetensors) are hashed, and the
# figures it writes too. `latent eval` runs on the ae and the vae runs (PCA, probes, denoising,
# IWAE), and `latent sample` on the vae. With LATENT_REPRO_MAIN=1 the main job's ten full epochs
# are added (test loss 126.86 after epoch 1 and 105.64 after epoch 10 on the reference machine);
# compare repeats them when FILE holds them.
# FILE is specific to the machine and the build: record it before a change, compare after it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
file="${2:-}"
build="${3:-${root}/build}"
if [[ ! "${mode}" =~ ^(record|compare)$ || -z "${file}" ]]; then
  echo "usage: $0 record|compare FILE [BUILD_DIR]" >&2
  exit 2
fi
latent="${build}/latent"
[[ -x "${latent}" ]] || { echo "check_repro: no ${latent}; build it first" >&2; exit 2; }
data="${root}/data/mnist"
[[ -f "${data}/train-images-idx3-ubyte" || -f "${data}/train-images-idx3-ubyte.gz" ]] ||
  bash "${root}/tools/fetch_data.sh" "${data}"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
out="${work}/fingerprints"
: > "${out}"
# One line per file: what it is, then the SHA-256 of its bytes, less what may vary from run to run:
# the seconds column of metrics.csv, and in config.json and the reports, this script's temporary
# directory and the data directory (so that two checkouts of the project can be compared).
fingerprint() {  # LABEL FILE
  local hash
  case "$2" in
    *.csv) hash=$(awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") skip = i }
                   { line = ""; for (i = 1; i <= NF; i++) if (i != skip) line = line (line == "" ? "" : ",") $i
                     print line }' "$2" | sha256sum) ;;
    *.md | *.json) hash=$(sed "s#${work}#WORK#g; s#${data}#DATA#g" "$2" | sha256sum) ;;
    *) hash=$(sha256sum < "$2") ;;
  esac
  echo "$1 ${hash%% *}" >> "${out}"
}
common=(--data "${data}" --seed 1 --device cpu --threads 2)

models=$("${latent}" models | awk '/^[a-z]/ {print $1}')
for model in ${models}; do
  run="${work}/runs/${model}"
  "${latent}" train --model "${model}" --epochs 1 --train-limit 6000 --test-limit 1000 \
    --val-size 0 "${common[@]}" --out "${run}" > "${work}/${model}.log"
  for f in metrics.csv model.safetensors config.json; do fingerprint "${model}/${f}" "${run}/${f}"; done
  for f in "${run}"/*.png; do fingerprint "${model}/$(basename "${f}")" "${f}"; done
  echo "trained ${model}" >&2
done

for model in ae vae; do
  run="${work}/runs/${model}"
  "${latent}" eval --run "${run}" --test-limit 1000 --train-limit 6000 --iwae-k 50 \
    --iwae-limit 200 --probe-epochs 2 --device cpu --threads 2 --out "${run}/eval" > /dev/null
  for f in "${run}"/eval/*; do fingerprint "${model}/eval/$(basename "${f}")" "${f}"; done
  echo "evaluated ${model}" >&2
done
"${latent}" sample --run "${work}/runs/vae" --n 16 --device cpu --out "${work}/sample.png" > /dev/null
fingerprint "vae/sample.png" "${work}/sample.png"

main="${LATENT_REPRO_MAIN:-0}"
[[ "${mode}" == compare ]] && grep -q '^main/' "${file}" && main=1  # compare what was recorded
if [[ "${main}" == 1 ]]; then
  "${latent}" train --model vae --epochs 10 --batch-size 128 --lr 1e-3 --latent-dim 20 \
    --val-size 0 "${common[@]}" --out "${work}/runs/main" | tee "${work}/main.log" >&2
  fingerprint "main/metrics.csv" "${work}/runs/main/metrics.csv"
  fingerprint "main/model.safetensors" "${work}/runs/main/model.safetensors"
fi

if [[ "${mode}" == record ]]; then
  cp "${out}" "${file}"
  echo "check_repro: recorded $(wc -l < "${file}") fingerprints in ${file}" >&2
elif diff "${file}" "${out}" >&2; then
  echo "check_repro: all $(wc -l < "${file}") fingerprints identical" >&2
else
  echo "check_repro: FAILED, the fingerprints above differ (< recorded, > now)" >&2
  exit 1
fi
