#!/usr/bin/env bash
# The test suite on a fresh machine: set up (tools/setup.sh: packages, MNIST, build), then run
# every test with CTest. Tests that need a GPU skip themselves when none is present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
bash tools/setup.sh
# Passive OpenMP waiting: CTest runs tests side by side on few cores, where a thread spinning at a
# barrier steals the core its partner needs (10-50x slower wall time under load).
OMP_WAIT_POLICY=passive ctest --test-dir build --output-on-failure -j "$(nproc)"
