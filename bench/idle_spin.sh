#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compare idle-spin windows: queue-to-start latency at several gaps between
# items, plus throughput, each window in a fresh process. Usage:
#   bench/idle_spin.sh [build-dir]
set -eu
b=${1:-build-bench}/bench/wq_micro
"$b" floor 1000
for spin in 0 5000 20000 50000; do
  for gap in 2 10 30 100 1000; do
    UWQ_IDLE_SPIN_NS=$spin "$b" latency $gap 2000
  done
  UWQ_IDLE_SPIN_NS=$spin "$b" throughput 1000000
done
