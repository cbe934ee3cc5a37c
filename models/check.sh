#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# models/check.sh - model-check the Promela models of models/ with spin
# (docs/verification.md): generate each verifier, compile it with gcc, run
# the safety search (assertions, invalid end states) and the liveness search
# (the model's LTL property, acceptance cycles under weak fairness), and
# check that each documented mutant is caught. Exit 0 only if every
# expected pass passed and every expected failure failed.
#
# Usage: models/check.sh [-v]      (-v: show pan's output of every run)
# Installs the Debian package spin if it is missing (needs root or sudo).
# Runs the searches in parallel, one per CPU; about a minute on 2 idle CPUs.
set -euo pipefail
cd "$(dirname "$0")"
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

if ! command -v spin >/dev/null; then
	echo "check.sh: installing spin"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq spin >/dev/null
fi
command -v gcc >/dev/null || { echo "check.sh: gcc is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=$(nproc 2>/dev/null || echo 2)
names=()

# run NAME MODEL EXPECT MODE [spin -D options...]
#   EXPECT: pass | fail        MODE: safety | liveness:<ltl name>
# Starts the check in the background (at most $jobs at once); its report
# goes to $work/NAME/report, its first word ok or FAIL.
run() {
	names+=("$1")
	mkdir -p "$work/$1"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	check "$@" >"$work/$1/report" 2>&1 &
}

check() {
	local name=$1 model=$2 expect=$3 mode=$4
	shift 4
	local dir="$work/$name" out errors verdict t0 t1 ccflags panflags
	cp "$model" "$dir/"
	t0=$(date +%s.%N)
	case $mode in
	safety)
		ccflags="-DSAFETY -DNOCLAIM"
		panflags=""
		;;
	liveness:*)
		ccflags="-DNFAIR=3"
		panflags="-a -f -N ${mode#liveness:}"
		;;
	esac
	if ! (cd "$dir" && spin "$@" -a "$(basename "$model")" >spin.out 2>&1); then
		echo "FAIL  $name: spin could not generate the verifier:"
		cat "$dir/spin.out"
		return
	fi
	# shellcheck disable=SC2086
	if ! (cd "$dir" && gcc -O2 -w $ccflags -o pan pan.c 2>cc.out); then
		echo "FAIL  $name: gcc could not compile the verifier:"
		cat "$dir/cc.out"
		return
	fi
	# shellcheck disable=SC2086
	out=$(cd "$dir" && ./pan -m1000000 $panflags 2>&1 || true)
	t1=$(date +%s.%N)
	[ $verbose = 1 ] && echo "$out"
	errors=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\).*/\1/p' | tail -1)
	if [ -z "$errors" ]; then
		echo "FAIL  $name: pan did not finish:"
		echo "$out" | tail -5
		return
	fi
	if echo "$out" | grep -q "max search depth too small\|search not completed"; then
		[ "$expect" = pass ] && errors=incomplete
	fi
	if [ "$expect" = pass ] && [ "$errors" = 0 ]; then
		verdict="ok   "
	elif [ "$expect" = fail ] && [ "$errors" != 0 ] && [ "$errors" != incomplete ]; then
		verdict="ok   "
	else
		verdict="FAIL "
	fi
	printf '%s %-44s expected %-4s errors=%-3s %9s states %5.1fs  %s\n' "$verdict" "$name" "$expect" \
		"$errors" "$(echo "$out" | sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' | tail -1)" \
		"$(awk "BEGIN { print $t1 - $t0 }")" "$(echo "$out" | grep -m1 -o 'pan:1: .*' || true)"
	if [ "$verdict" = "FAIL " ] && [ $verbose = 0 ]; then
		echo "$out" | tail -15 | sed 's/^/      /'
	fi
}

run wq.safety                       wq_pending.pml pass safety
run wq.safety.two_queueings         wq_pending.pml pass safety -DQ_CALLS=2
run wq.safety.plain_cancel          wq_pending.pml pass safety -DWITH_PLAIN_CANCEL
run wq.liveness                     wq_pending.pml pass liveness:term
run wq.mutant1.no_disable_count     wq_pending.pml fail safety -DMUTANT=1
run wq.mutant2.busy_after_unlock    wq_pending.pml fail safety -DMUTANT=2
run wq.mutant3.flush_no_recheck     wq_pending.pml fail liveness:term -DMUTANT=3

run irq.safety                      irq_oneshot.pml pass safety
run irq.safety.raises3              irq_oneshot.pml pass safety -DRAISES=3
run irq.safety.disable              irq_oneshot.pml pass safety -DWITH_DISABLE
run irq.safety.disable.r3           irq_oneshot.pml pass safety -DWITH_DISABLE -DRAISES=3
run irq.liveness                    irq_oneshot.pml pass liveness:unmasked
run irq.liveness.disable            irq_oneshot.pml pass liveness:unmasked -DWITH_DISABLE
# The fixed bug: uwq_enable_irq() unmasking while the primaries ran.
run irq.old_enable_bug              irq_oneshot.pml fail safety -DWITH_DISABLE -DOLD_ENABLE
run irq.mutant1.finalize_no_wait    irq_oneshot.pml fail safety -DMUTANT=1
run irq.mutant2.unmask_ignores_threads irq_oneshot.pml fail safety -DMUTANT=2
run irq.mutant3.unmask_no_repoll    irq_oneshot.pml fail safety -DMUTANT=3

wait
failures=0
for n in "${names[@]}"; do
	case $n in
	wq.safety) echo "== wq_pending.pml: pending/running/cancel/flush (src/wq)" ;;
	irq.safety) echo "== irq_oneshot.pml: oneshot mask/unmask (src/irq)" ;;
	esac
	cat "$work/$n/report"
	head -c 4 "$work/$n/report" | grep -q '^ok' || failures=$((failures + 1))
done
runs=${#names[@]}
if [ $failures -ne 0 ]; then
	echo "check.sh: $failures of $runs runs did not give the expected result"
	exit 1
fi
echo "check.sh: all $runs runs gave the expected result"
