#!/usr/bin/env bash
# Malformed inputs, from files and flags, given to the real `latent` binary: each must end in a
# plain error (exit 1, "latent CMD: error: ...") — never a crash, an internal error (exit 3) or
# success. Prints one Markdown table row per case: the input and the message it gets
# (docs/reliability.md lists them).
#
#   tests/scripts/bad_inputs.sh LATENT DATA_DIR WORK_DIR
set -euo pipefail
latent=$1 data=$2 work=$3
rm -rf "${work}"
mkdir -p "${work}"
failures=0

# IDX helpers: a big-endian header, then bytes.
be32() { printf '%08x' "$1" | sed 's/../\\x&/g'; }
idx_images() {  # DIR COUNT ROWS COLS [DATA_BYTES]
  mkdir -p "$1"
  printf "\x00\x00\x08\x03$(be32 "$2")$(be32 "$3")$(be32 "$4")" > "$1/train-images-idx3-ubyte"
  head -c "${5:-0}" /dev/zero >> "$1/train-images-idx3-ubyte"
  printf "\x00\x00\x08\x01$(be32 "$2")" > "$1/train-labels-idx1-ubyte"
  head -c "$2" /dev/zero >> "$1/train-labels-idx1-ubyte"
}
# A run to damage: two tiny epochs of a small VAE.
"${latent}" train --model vae --hidden 16 --latent-dim 2 --epochs 2 --train-limit 64 \
  --test-limit 16 --data "${data}" --out "${work}/run" --threads 1 > /dev/null 2>&1
copy_run() { cp -rL "${work}/run" "${work}/$1"; echo "${work}/$1"; }

# expect WHAT COMMAND...: the command must exit 1 with an error message.
expect() {
  local what=$1 status=0 out
  shift
  out=$("$@" 2>&1 > /dev/null) || status=$?
  local message
  # From the error line on (a divergence adds what the run directory keeps), lines joined by --.
  message=$(printf '%s\n' "${out}" | sed -n '/error:/,$p' |
    awk 'NR > 1 { printf " -- " } { printf "%s", $0 }' | sed "s|${work}/||g; s|${data}|DATA|g")
  if ((status != 1)) || [[ -z "${message}" ]]; then
    echo "bad_inputs: FAIL: ${what}: exit ${status}, output: ${out}" >&2
    failures=$((failures + 1))
    return 0
  fi
  printf '| %s | `%s` |\n' "${what}" "${message//|/\\|}"
}

echo "| input | message |"
echo "|---|---|"
idx_images "${work}/dims-max" 0 4294967295 4294967295
expect "IDX images of 0xFFFFFFFF x 0xFFFFFFFF pixels, count 0" \
  "${latent}" train --data "${work}/dims-max" --out "${work}/o1"
idx_images "${work}/dims-64k" 0 65536 65536
expect "IDX images of 65536 x 65536 pixels, count 0" \
  "${latent}" train --data "${work}/dims-64k" --out "${work}/o2"
idx_images "${work}/rows-0" 10 0 28
expect "IDX images of 0 rows" "${latent}" train --data "${work}/rows-0" --out "${work}/o3"
idx_images "${work}/count-0" 0 28 28
expect "IDX image file of 0 images" "${latent}" train --data "${work}/count-0" --out "${work}/o4"
idx_images "${work}/truncated" 10 28 28 7000
expect "IDX image file cut short (10 images of 28x28, 7000 bytes of data)" \
  "${latent}" train --data "${work}/truncated" --out "${work}/o5"
mkdir -p "${work}/magic"
printf '\x00\x00\x0d\x03' > "${work}/magic/train-images-idx3-ubyte"
cp "${work}/truncated/train-labels-idx1-ubyte" "${work}/magic/"
expect "IDX file of float32 (magic 0x00000D03)" \
  "${latent}" train --data "${work}/magic" --out "${work}/o6"
printf '\x1f\x8b\x08\x00garbage' > "${work}/magic/train-images-idx3-ubyte"
expect "gzip file with corrupt data" "${latent}" train --data "${work}/magic" --out "${work}/o7"
mkdir -p "${work}/mixed"
idx_images "${work}/mixed" 1 28 28 784
printf "\x00\x00\x08\x03$(be32 1)$(be32 14)$(be32 56)" > "${work}/mixed/t10k-images-idx3-ubyte"
head -c 784 /dev/zero >> "${work}/mixed/t10k-images-idx3-ubyte"
cp "${work}/mixed/train-labels-idx1-ubyte" "${work}/mixed/t10k-labels-idx1-ubyte"
expect "train images 28x28, test images 14x56" \
  "${latent}" train --data "${work}/mixed" --val-size 0 --out "${work}/o8"
expect "--model deep-ae --widths 999999999,999999999" \
  "${latent}" train --model deep-ae --widths 999999999,999999999 --data "${data}" --out "${work}/o9"
expect "--latent-dim 100000" "${latent}" train --latent-dim 100000 --data "${data}" --out "${work}/o10"
expect "a model larger than the machine: --model deep-ae --widths 65536,65536,65536,65536" \
  "${latent}" train --model deep-ae --widths 65536,65536,65536,65536 --train-limit 64 \
  --test-limit 16 --data "${data}" --out "${work}/o11"
expect "--out on a path that cannot be created" \
  "${latent}" train --out /proc/no/such/run --data "${data}"
expect "--out on a directory that holds a run" "${latent}" train --out "${work}/run" --data "${data}"
expect "--resume with a flag the run fixes (--lr)" "${latent}" train --resume "${work}/run" --lr 0.1
expect "--resume with fewer epochs than completed" \
  "${latent}" train --resume "${work}/run" --epochs 1
expect "--resume of a directory without a run" "${latent}" train --resume "${work}/dims-max"
expect "--epochz 3 (unknown flag)" "${latent}" train --epochz 3
expect "--batch-size 0" "${latent}" train --batch-size 0
expect "--val-size 60000, the whole training split" \
  "${latent}" train --val-size 60000 --data "${data}" --out "${work}/o11"
expect "--patience 3 without a validation set" "${latent}" train --patience 3 --val-size 0
expect "--lr nan" "${latent}" train --lr nan

run=$(copy_run nan-model)
python_free_nan() {  # overwrites every float of model.safetensors' data section with NaN bytes
  local file=$1 header
  header=$(od -An -t u8 -N 8 "${file}" | tr -d ' ')
  local size
  size=$(stat -c %s "${file}")
  { head -c $((8 + header)) "${file}"
    head -c $(((size - 8 - header) / 4)) /dev/zero | tr '\0' 'x' | sed 's/x/\x00\x00\xc0\x7f/g'
  } > "${file}.nan"
  mv "${file}.nan" "${file}"
}
python_free_nan "${run}/model.safetensors"
expect "model.safetensors full of NaN" "${latent}" sample --run "${run}" --out "${work}/s.png"
run=$(copy_run extra-tensor)
cp "${work}/run/checkpoint/optimizer.safetensors" "${run}/model.safetensors"
expect "model.safetensors holding tensors the model lacks (Adam's moments)" \
  "${latent}" sample --run "${run}" --out "${work}/s.png"
run=$(copy_run truncated-model)
head -c 1000 "${work}/run/model.safetensors" > "${run}/model.safetensors"
expect "model.safetensors cut to 1000 bytes" "${latent}" sample --run "${run}" --out "${work}/s.png"
run=$(copy_run huge-config)
sed -i 's/"height": 28/"height": 4294967296/' "${run}/config.json"
expect "config.json with height 2^32" "${latent}" sample --run "${run}" --out "${work}/s.png"
run=$(copy_run negative-classes)
sed -i 's/"num_classes": [0-9]*/"num_classes": -3/' "${run}/config.json"
expect "config.json with num_classes -3" "${latent}" sample --run "${run}" --out "${work}/s.png"
run=$(copy_run bad-json)
printf '{"model": "vae", ' > "${run}/config.json"
expect "config.json cut short" "${latent}" sample --run "${run}" --out "${work}/s.png"
run="${work}/run-metrics"
cp -r "${work}/run" "${run}"
target=$(readlink "${run}/checkpoint")
printf 'epoch,train_loss,test_loss,seconds\n1,abc,1,1\n' > "${run}/${target}/metrics.csv"
expect "metrics.csv with a word for a number, on --resume" \
  "${latent}" train --resume "${run}" --epochs 3
run="${work}/run-lagging"
cp -r "${work}/run" "${run}"
target=$(readlink "${run}/checkpoint")
head -n 2 "${work}/run/metrics.csv" > "${run}/${target}/metrics.csv"
expect "metrics.csv one row short of the checkpoint's epoch, on --resume" \
  "${latent}" train --resume "${run}" --epochs 3
expect "training that diverges (--lr 10)" "${latent}" train --lr 10 --epochs 5 --train-limit 512 \
  --test-limit 64 --threads 1 --data "${data}" --out "${work}/diverge"

if ((failures)); then
  echo "bad_inputs: FAIL (${failures} cases did not end in a plain error)"
  exit 1
fi
echo "bad_inputs: PASS (every case ended in a plain error)"
rm -rf "${work}"
