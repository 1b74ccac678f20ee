#!/usr/bin/env bash
# Checks the direction of the layers on the sources: each folder includes only its own headers
# and those of the layers below it,
#
#   kernels -> core -> models -> tools/eval -> tools/plot -> tools/cli (and tests: anything)
#
# and prints, for each layer, how many includes go to each folder. The build enforces the same
# rule (each layer compiles against a view holding only the folders below it, see CMakeLists.txt);
# this check also catches what a view cannot see, such as an include by a relative path.
#
#   tools/check_layers.sh                       check the sources
#   tools/check_layers.sh --compile BUILD CXX   also show that the build refuses a forbidden
#                                               include: core's view compiles "core/tensor.h" but
#                                               not "models/model.h"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"

# Each layer and the folders it may include, in order from the bottom.
layers=(kernels core models tools/eval tools/plot tools/cli)
declare -A allowed=(
  [kernels]="kernels"
  [core]="kernels core"
  [models]="kernels core models"
  [tools/eval]="kernels core models tools/eval"
  [tools/plot]="kernels core models tools/eval tools/plot"
  [tools/cli]="kernels core models tools/eval tools/plot tools/cli"
)

# The folder an include path names: the longest layer that prefixes it.
folder_of() {
  local path="$1" best=""
  for layer in "${layers[@]}"; do
    [[ "${path}" == "${layer}/"* && ${#layer} -gt ${#best} ]] && best="${layer}"
  done
  echo "${best:-${path%%/*}}"
}

failures=0
for layer in "${layers[@]}"; do
  declare -A counts=()
  # The files of this layer, not of a layer nested inside it (tools/ holds three).
  while IFS= read -r file; do
    [[ "$(folder_of "${file}")" == "${layer}" ]] || continue
    while IFS=: read -r line path; do
      if [[ "${path}" == *..* ]]; then
        echo "FAIL: ${file}:${line} includes \"${path}\" by a relative path" >&2
        failures=$((failures + 1))
        continue
      fi
      target="$(folder_of "${path}")"
      [[ -d "${target}" ]] || continue  # a header of the same folder named without its path
      counts[${target}]=$((${counts[${target}]:-0} + 1))
      if [[ " ${allowed[${layer}]} " != *" ${target} "* ]]; then
        echo "FAIL: ${file}:${line} includes \"${path}\": ${layer} may include only" \
             "${allowed[${layer}]}" >&2
        failures=$((failures + 1))
      fi
    done < <(grep -no '^ *# *include *"[^"]*"' "${file}" | sed -E 's/^([0-9]+):.*"(.*)"/\1:\2/')
  done < <(find "${layer}" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) |
           sort)
  summary=""
  for target in "${layers[@]}"; do
    [[ -n "${counts[${target}]:-}" ]] && summary+=" ${target} ${counts[${target}]},"
  done
  printf '%-11s includes:%s\n' "${layer}" "${summary%,}"
  unset counts
done

if [[ "${1:-}" == --compile ]]; then
  build="$2" cxx="$3"
  view="${build}/layers/latent_core"
  [[ -d "${view}" ]] || { echo "FAIL: no layer view ${view}; configure ${build} first" >&2; exit 1; }
  probe="$(mktemp -d)"
  trap 'rm -rf "${probe}"' EXIT
  echo '#include "core/tensor.h"' > "${probe}/allowed.cc"
  echo '#include "models/model.h"' > "${probe}/forbidden.cc"
  if ! "${cxx}" -std=c++17 -fsyntax-only -I"${view}" "${probe}/allowed.cc"; then
    echo "FAIL: core's view cannot compile an include of core/tensor.h" >&2
    failures=$((failures + 1))
  elif "${cxx}" -std=c++17 -fsyntax-only -I"${view}" "${probe}/forbidden.cc" 2> "${probe}/err"; then
    echo "FAIL: core's view compiled an include of models/model.h" >&2
    failures=$((failures + 1))
  else
    echo "core's view refuses models/model.h: $(grep -m1 -o 'models/model.h.*' "${probe}/err")"
  fi
fi

if [[ ${failures} -gt 0 ]]; then
  echo "check_layers: FAIL (${failures})" >&2
  exit 1
fi
echo "check_layers: PASS"
