#!/usr/bin/env bash
# Checks that the built latent_kernels holds code for every CUDA architecture the build lists: each
# kernels/cuda/*.cu object needs SASS (sm_N) for every "N-real" entry and PTX (compute_N) for every
# "N-virtual" entry ("N" alone: both). The nvcc command of each object is always read
# (compile_commands.json when exported, else build.ninja): it must carry a -gencode for each entry.
# Where the toolkit has cuobjdump, the objects inside the static library are read as well
# (--list-elf, --list-ptx). One "FAIL: <file> lacks <arch>" line per gap; exit 0 when nothing is
# missing, 1 when something is, 2 when the build cannot be read or the list cannot be checked, 3
# when only cuobjdump could tell (nvcc's own -arch=native) and the toolkit has none.
#
#   tools/check_cuda_archs.sh BUILD_DIR            the list the build was configured with
#                                                  (LATENT_CUDA_ARCHS_USED in its CMakeCache.txt)
#   tools/check_cuda_archs.sh --expect 75-real,80-real,120-virtual BUILD_DIR   a list stated here
#     --lib PATH        the static library (default: BUILD_DIR/liblatent_kernels.a)
#     --no-cuobjdump    read the compile commands only, even where cuobjdump exists
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "check_cuda_archs: $*" >&2; exit 2; }

expect="" lib="" use_cuobjdump=1 build=""
while (($#)); do
  case "$1" in
    --expect) (($# >= 2)) || usage; expect="$2"; shift 2 ;;
    --lib) (($# >= 2)) || usage; lib="$2"; shift 2 ;;
    --no-cuobjdump) use_cuobjdump=0; shift ;;
    -h|--help) usage ;;
    -*) echo "check_cuda_archs: unknown option $1" >&2; usage ;;
    *) [[ -z "${build}" ]] || usage; build="$1"; shift ;;
  esac
done
[[ -n "${build}" ]] || usage
[[ -f "${build}/CMakeCache.txt" ]] || die "${build} is not a configured build (no CMakeCache.txt)"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "${build}/CMakeCache.txt" | head -n 1; }

if [[ -z "${expect}" ]]; then
  expect="$(cache_value LATENT_CUDA_ARCHS_USED)"
  [[ -n "${expect}" ]] \
    || die "${build} lists no CUDA architectures (configured without nvcc?); give --expect"
fi
# The architectures each file must hold, as nvcc names them: sm_N (SASS), compute_N (PTX).
want=()
for entry in ${expect//[,;]/ }; do
  [[ "${entry}" =~ ^([0-9]+[a-z]?)(-real|-virtual)?$ ]] \
    || die "cannot check '${entry}': give explicit architectures such as 86-real or 120-virtual"
  n="${BASH_REMATCH[1]}"
  [[ "${BASH_REMATCH[2]}" == "-virtual" ]] || want+=("sm_${n}")
  [[ "${BASH_REMATCH[2]}" == "-real" ]] || want+=("compute_${n}")
done
((${#want[@]})) || die "empty list of architectures"

src="$(cache_value latent_SOURCE_DIR)"
[[ -d "${src}/kernels/cuda" ]] || src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mapfile -t sources < <(cd "${src}" && ls kernels/cuda/*.cu)
((${#sources[@]})) || die "no kernels/cuda/*.cu under ${src}"

# cuobjdump: the toolkit's own, else one on PATH, else none.
cuobjdump=""
if ((use_cuobjdump)); then
  nvcc="$(cache_value CMAKE_CUDA_COMPILER)"
  if [[ -n "${nvcc}" && -x "$(dirname "${nvcc}")/cuobjdump" ]]; then
    cuobjdump="$(dirname "${nvcc}")/cuobjdump"
  else
    cuobjdump="$(command -v cuobjdump || true)"
  fi
fi

failures=0 read_from=()
fail() { echo "FAIL: $1 lacks $2 ($3)"; failures=$((failures + 1)); }
# check_file FILE SOURCE ARCH...: every wanted architecture is among the ARCHs found in SOURCE.
check_file() {
  local file="$1" how="$2" w missing=0
  shift 2
  for w in "${want[@]}"; do
    [[ " $* " == *" ${w} "* ]] || { fail "${file}" "${w}" "${how}"; missing=1; }
  done
  ((missing)) || echo "ok   ${file}: ${want[*]} (${how})"
}

# --- 1. the nvcc command of each object -----------------------------------------------------------
# Lines "SOURCE<TAB>COMMAND" for every .cu compile of the build.
if [[ -f "${build}/compile_commands.json" ]]; then
  commands_from="compile_commands.json"
  # CMake writes one key per line, "command" before "file".
  commands="$(awk '/^ *"command":/ { cmd = $0 }
                   /^ *"file":/ {
                     f = $0; sub(/^ *"file": *"/, "", f); sub(/",? *$/, "", f)
                     if (f ~ /\.cu$/) print f "\t" cmd
                   }' "${build}/compile_commands.json")"
elif [[ -f "${build}/build.ninja" ]]; then
  commands_from="build.ninja"
  # "build OBJ: CUDA_COMPILER__latent_kernels_<config> SOURCE ...", then indented "FLAGS = ..." lines.
  commands="$(awk '/^build / {
                     f = ""
                     if ($3 ~ /^CUDA_COMPILER__latent_kernels/ && $4 ~ /\.cu$/) f = $4
                     next
                   }
                   f != "" && /^  FLAGS = / { print f "\t" $0 }' "${build}/build.ninja")"
else
  die "${build} has neither compile_commands.json nor build.ninja (configure with -G Ninja)"
fi
for file in "${sources[@]}"; do
  cmd="$(awk -F '\t' -v abs="${src}/${file}" -v rel="${file}" \
             '$1 == abs || $1 == rel { print $2; exit }' <<<"${commands}")"
  if [[ -z "${cmd}" ]]; then
    fail "${file}" "a compile command" "none in ${commands_from}"
    continue
  fi
  # Forms: --generate-code=arch=compute_N,code=[compute_N,sm_N], -gencode arch=...,code=sm_N,
  # -code=...; a lone -arch=sm_N means SASS and PTX for N. nvcc's own -arch=native|all|all-major
  # names no architecture, so only the binary can answer.
  if [[ "${cmd}" =~ (-arch|--gpu-architecture)[=\ ](native|all|all-major)([\ \"]|$) ]]; then
    if [[ -z "${cuobjdump}" ]]; then
      echo "check_cuda_archs: SKIP: ${file} is built with -arch=${BASH_REMATCH[2]}, and only" \
           "cuobjdump, which this toolkit lacks, can tell what that holds"
      exit 3
    fi
    echo "note ${file}: compiled with -arch=${BASH_REMATCH[2]}, checked in the library only"
    continue
  fi
  archs=()
  if [[ "${cmd}" == *code=* ]]; then
    mapfile -t archs < <(grep -oE 'code=[^ ]+' <<<"${cmd}" \
                           | grep -oE '(sm|compute)_[0-9]+[a-z]?' | sort -u)
  else
    while read -r n; do
      [[ -z "${n}" ]] || archs+=("sm_${n}" "compute_${n}")
    done < <(grep -oE '(-arch|--gpu-architecture)[= ](sm|compute)_[0-9]+[a-z]?' <<<"${cmd}" \
               | grep -oE '[0-9]+[a-z]?$' || true)
  fi
  check_file "${file}" "${commands_from}" "${archs[@]}"
done
read_from+=("${commands_from}")

# --- 2. what the library holds, where cuobjdump exists --------------------------------------------
if [[ -n "${cuobjdump}" ]]; then
  lib="${lib:-${build}/liblatent_kernels.a}"
  [[ -f "${lib}" ]] || die "no library ${lib} (build the latent_kernels target first, or pass --lib)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "${tmp}"' EXIT
  members="$(ar t "${lib}")"
  for file in "${sources[@]}"; do
    member="$(basename "${file}").o"
    if ! grep -qxF "${member}" <<<"${members}"; then
      fail "${file}" "an object" "no ${member} in $(basename "${lib}")"
      continue
    fi
    ar p "${lib}" "${member}" >"${tmp}/${member}"
    # "ELF file    1: conv.1.sm_90.cubin"; "PTX file    1: conv.1.sm_90.ptx", the PTX named by its
    # virtual architecture (sm_N or compute_N, by toolkit).
    elf="$("${cuobjdump}" --list-elf "${tmp}/${member}" 2>&1 || true)"
    ptx="$("${cuobjdump}" --list-ptx "${tmp}/${member}" 2>&1 || true)"
    archs=()
    mapfile -t archs < <({ grep -oE '\.sm_[0-9]+[a-z]?\.cubin' <<<"${elf}" \
                             | grep -oE 'sm_[0-9]+[a-z]?'
                           grep -oE '\.(sm|compute)_[0-9]+[a-z]?\.ptx' <<<"${ptx}" \
                             | grep -oE '[0-9]+[a-z]?' | sed 's/^/compute_/'; } | sort -u)
    if ((${#archs[@]} == 0)); then
      # A file without kernels (only host calls into cuBLAS, say) may embed no device code at all.
      echo "note ${file}: no device code in ${member} (cuobjdump)"
      continue
    fi
    check_file "${file}" "cuobjdump" "${archs[@]}"
  done
  read_from+=("cuobjdump")
fi

how="$(IFS=+; echo "${read_from[*]}")"
if ((failures)); then
  echo "check_cuda_archs: FAIL (${failures} missing of ${want[*]} in ${#sources[@]} files;" \
       "read ${how})"
  exit 1
fi
echo "check_cuda_archs: PASS (${want[*]} in each of ${#sources[@]} files; read ${how})"
