#!/usr/bin/env bash
# The main job on a fresh machine: set up (tools/setup.sh), then train the VAE of the PyTorch
# MNIST example for 10 epochs on the GPU when one is present, else on the CPU. The run directory
# runs/vae/ receives model.safetensors, config.json, metrics.csv, samples.png and
# reconstructions.png; a run already there is replaced (continue an interrupted one instead with
# `build/latent train --resume runs/vae`). Extra arguments are passed to `latent train`.
# --val-size 0: the example trains on all 60000 training images and holds none out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
bash tools/setup.sh --target latent  # the CLI only: the test suite is tools/test.sh's to build
build/latent train --model vae --data data/mnist --epochs 10 --batch-size 128 --lr 1e-3 \
  --latent-dim 20 --seed 1 --val-size 0 --device auto --out runs/vae --overwrite "$@"
