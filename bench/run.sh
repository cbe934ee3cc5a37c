#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uwq micro-benchmarks: idle-spin windows (latency at several gaps, throughput),
# each in a fresh process, then the blocking mix, the monitor cost, probe
# costs, the cost of making a worker and interrupt latency. Usage:
#   bench/run.sh [build-dir]
set -eu
b=${1:-build-bench}/bench/wq_micro
"$b" floor 1000
for spin in 0 5000 20000 50000; do
  for gap in 2 10 30 100 1000; do
    UWQ_IDLE_SPIN_NS=$spin "$b" latency $gap 2000
  done
  UWQ_IDLE_SPIN_NS=$spin "$b" throughput 1000000
done
# The cost of statistics (uwq/stats.h): the same throughput with the
# clock reads off and on, alternating, three times each.
for i in 1 2 3; do
  for st in 0 1; do
    echo "UWQ_STATS=$st:"
    UWQ_STATS=$st "$b" throughput 1000000
  done
done
m=${1:-build-bench}/bench/blocking_mix
"$m" mix hinted 0 200	# the floor: the burns alone, no blocking
for mode in unhinted hinted; do
  for i in 1 2 3; do "$m" mix $mode 200 200; done
done
for mode in unhinted hinted; do
  for i in 1 2 3; do "$m" growth $mode; done	# growth follows need: 2000 x (2 ms sleep + 0.5 ms CPU)
done
"$m" monitor
"${1:-build-bench}/bench/probe_cost"
"${1:-build-bench}/bench/worker_cost"	# making a worker against a bare pthread_create()
"${1:-build-bench}/bench/irq_latency" 5000
