#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: uwq and the pools its users would otherwise pick, side by side,
# on this machine, in this run. Installs missing peers (Debian
# packages), builds in release mode, runs every scenario of
# bench/peer_bench.c on every pool, each repetition in a fresh process, and
# the interrupt latencies of bench/irq_latency.c, the cost of making a
# worker (bench/worker_cost.c) and growth under a blocking mix
# (bench/blocking_mix.c growth); writes
# bench/results/<date>-<host>.md with plots in bench/results/<date>-<host>/.
# The full run then appends uwq's own micro-benchmarks (bench/run.sh).
#
#   bench/report.sh [--quick]     (BUILD_DIR, JOBS from the environment)
#
# --quick: 3 repetitions and smaller sizes, well under 2 minutes; its report
# is <date>-<host>-quick.md. Nothing here asserts a timing: a missed target
# is written down as MISS.
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
build=${BUILD_DIR:-build-bench}
jobs=${JOBS:-$(nproc)}
t_begin=$(date +%s)
say() { printf 'bench: %s\n' "$*" >&2; }

# ---- peers: Debian packages, installed when missing ----
need=()
for p in libuv1-dev libglib2.0-dev libtbb-dev pkg-config g++; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${need[@]}"; } >/dev/null 2>&1 ||
			say "could not install ${need[*]}: the pools they provide are reported as not installed"
	else
		say "not root or no apt-get: ${need[*]} not installed; their pools are reported as not installed"
	fi
fi

# ---- build ----
say "building in $build"
mkdir -p "$build"
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DUWQ_BUILD_BENCH=ON -DUWQ_BUILD_TESTS=OFF \
	-DUWQ_BUILD_EXAMPLES=OFF && cmake --build "$build" -j "$jobs"; } >"$build/bench-build.log" 2>&1; then
	tail -n 30 "$build/bench-build.log" >&2
	say "build failed (log: $build/bench-build.log)"
	exit 1
fi
bin=$build/bench
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- sizes ----
if [ $quick = 1 ]; then
	reps=3 s1n=50000 s2n=50000 s3n=200 s4n=100 s5t=0.5 s6ms=200 irqn=300 irqrate=200 tput_tmo=20 s4_tmo=5 wcr=3
else
	reps=5 s1n=1000000 s2n=1000000 s3n=2000 s4n=200 s5t=5 s6ms=1000 irqn=2000 irqrate=1000 tput_tmo=60 s4_tmo=15 wcr=7
fi

host=$(hostname)
day=$(date +%F)
name=$day-$host
[ $quick = 1 ] && name=$name-quick
out_md=bench/results/$name.md
out_dir=bench/results/$name
raw=$build/bench-raw
rm -rf "$raw" "$out_dir"
mkdir -p "$raw" "$out_dir"
runs=$raw/runs.txt
: >"$runs"

# ---- pools: every variant of every peer_bench_<lib> that was built ----
libs="uwq mutexpool libuv glib tbb omp"
declare -A pool_bin pool_kind pool_ver pool_about
pools_plain=() pools_all=() missing=()
for lib in $libs; do
	if [ -x "$bin/peer_bench_$lib" ]; then
		while IFS=$'\t' read -r v kind ver about; do
			pool_bin[$v]=$bin/peer_bench_$lib
			pool_kind[$v]=$kind
			pool_ver[$v]=$ver
			pool_about[$v]=$about
			pools_all+=("$v")
			[ "$kind" = plain ] && pools_plain+=("$v")
		done < <("$bin/peer_bench_$lib" --list)
	else
		case $lib in
		libuv) missing+=(libuv-ncpu libuv-4) ;;
		glib) missing+=(glib-ncpu glib-unlimited) ;;
		*) missing+=("$lib") ;;
		esac
	fi
done
is_uwq() { [[ $1 == uwq* ]]; }

# One repetition in a fresh process; its key=value line goes to $runs.
run_one() {
	local tmo=$1 scen=$2 pool=$3 rep=$4 line rc
	shift 4
	timeout -k 2 "$tmo" "${pool_bin[$pool]}" "$pool" "$scen" "$@" >"$raw/last.txt" 2>>"$raw/stderr.txt"
	rc=$?
	line=$(grep '^pool=' "$raw/last.txt" | tail -n 1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		line="pool=$pool scenario=$scen status=timeout limit_s=$tmo"
	elif [ -z "$line" ]; then
		line="pool=$pool scenario=$scen status=error rc=$rc"
	fi
	echo "rep=$rep $line" >>"$runs"
}

# What else used the CPUs while we measured: all CPU time the kernel counts
# (/proc/stat, steal apart) minus our own children's (bash's `times`, which
# must run in this shell, not in a subshell: a fork starts its count at 0).
# Sets snap to "busy_s total_s steal_s children_s".
cpu_snapshot() {
	times >"$raw/times.txt"
	snap="$(awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f %.2f %.2f", ($2 + $3 + $4 + $7 + $8) / hz,
		($2 + $3 + $4 + $5 + $6 + $7 + $8 + $9) / hz, $9 / hz }' /proc/stat)"
	snap="$snap $(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$raw/times.txt")"
}
cpu_snapshot
snap0=$snap

say "$reps repetitions of S1-S6 (S1x, S6b), M1 on: ${pools_all[*]}"
for rep in $(seq 1 "$reps"); do
	say "repetition $rep/$reps"
	for p in "${pools_plain[@]}"; do
		run_one $tput_tmo S1 "$p" "$rep" -n $s1n
		run_one $tput_tmo S2 "$p" "$rep" -n $s2n
		run_one $tput_tmo S1x "$p" "$rep" -n $s2n
	done
	echo "rep=$rep $(timeout 60 "$bin/peer_bench_uwq" floor -n $s3n -o "$raw/floor-$rep.txt" | tail -n 1)" >>"$runs"
	for p in "${pools_plain[@]}"; do
		run_one $((s3n / 1000 + 20)) S3 "$p" "$rep" -n $s3n -o "$raw/S3-$p-$rep.txt"
	done
	for p in "${pools_all[@]}"; do
		run_one $s4_tmo S4 "$p" "$rep" -n $s4n -o "$raw/S4-$p-$rep.txt"
		run_one 15 S5 "$p" "$rep" -t $s5t
	done
	for p in "${pools_plain[@]}"; do
		run_one $((s6ms * 5 / 1000 + 20)) S6 "$p" "$rep" -n $s6ms -o "$raw/S6-$p-$rep.txt"
		run_one $((s6ms * 5 / 1000 + 20)) S6b "$p" "$rep" -n $s6ms -o "$raw/S6b-$p-$rep.txt"
		run_one 20 M1 "$p" "$rep"
	done
	kv=$(timeout 120 "$bin/irq_latency" $irqn --kv --raw "$raw/irq-$rep" --rate-ms $irqrate 2>>"$raw/stderr.txt" |
		grep '^kv ' | sed 's/^kv //')
	if [ -n "$kv" ]; then
		echo "rep=$rep pool=uwq scenario=irq status=ok $kv" >>"$runs"
	else
		echo "rep=$rep pool=uwq scenario=irq status=error" >>"$runs"
	fi
	# G1: growth follows need (bench/blocking_mix.c "growth"), cold pool.
	for m in unhinted hinted; do
		g=uwq-unbound
		[ $m = hinted ] && g=uwq-unbound-hinted
		kv=$(timeout 60 "$bin/blocking_mix" growth $m 2>>"$raw/stderr.txt" | grep '^kv ' | sed 's/^kv //')
		if [ -n "$kv" ]; then
			echo "rep=$rep pool=$g scenario=G1 status=ok $kv" >>"$runs"
		else
			echo "rep=$rep pool=$g scenario=G1 status=error" >>"$runs"
		fi
	done
	kv=$(timeout 120 "$bin/worker_cost" -r $wcr 2>>"$raw/stderr.txt" | grep '^kv ' | sed 's/^kv //')
	if [ -n "$kv" ]; then
		echo "rep=$rep pool=uwq scenario=W1 status=ok $kv" >>"$runs"
	else
		echo "rep=$rep pool=uwq scenario=W1 status=error" >>"$runs"
	fi
done
t_runs=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# "other_s total_s steal_s other_pct"
cpu_snapshot
others=$(echo "$snap0 $snap" | awk '{ busy = $5 - $1; tot = $6 - $2; st = $7 - $3; own = $8 - $4
	o = busy - own; if (o < 0) o = 0; printf "%.1f %.1f %.1f %.1f", o, tot, st, (tot > 0 ? 100 * o / tot : 0) }')

# ---- aggregation: median, min, max per scenario, pool and key ----
# stats.txt: scenario pool key n median min max (status=ok runs only)
# status.txt: scenario pool ok timeout error pass fail
awk -v stats="$raw/stats.txt" -v status="$raw/status.txt" '
function sortn(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
{
	delete f
	for (i = 1; i <= NF; i++) {
		eq = index($i, "=")
		if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	sp = f["scenario"] " " f["pool"]
	if (!(sp in seen)) { seen[sp] = 1; order[++nsp] = sp }
	st[sp, f["status"]]++
	if (f["result"] != "") res[sp, f["result"]]++
	if (f["status"] != "ok") next
	for (k in f) {
		if (f[k] !~ /^-?[0-9.]+$/ || k == "rep" || k == "ncpu") continue
		kk = sp SUBSEP k
		if (!(kk in nv)) keys[sp] = keys[sp] " " k
		v[kk, ++nv[kk]] = f[k] + 0
	}
}
END {
	for (o = 1; o <= nsp; o++) {
		sp = order[o]
		printf "%s %d %d %d %d %d\n", sp, st[sp, "ok"], st[sp, "timeout"], st[sp, "error"],
			res[sp, "PASS"], res[sp, "FAIL"] > status
		nk = split(keys[sp], ks, " ")
		for (i = 1; i <= nk; i++) {
			kk = sp SUBSEP ks[i]; n = nv[kk]
			delete a
			for (j = 1; j <= n; j++) a[j] = v[kk, j]
			sortn(a, n)
			med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			printf "%s %s %d %.6g %.6g %.6g\n", sp, ks[i], n, med, a[1], a[n] > stats
		}
	}
}' "$runs"

declare -A ST SS
while read -r s p k n med mn mx; do ST[$s|$p|$k]="$n $med $mn $mx"; done <"$raw/stats.txt"
while read -r s p ok to er pa fa; do SS[$s|$p]="$ok $to $er $pa $fa"; done <"$raw/status.txt"

# med/lo/hi SCEN POOL KEY -> number, or nothing (and false)
med() { [ -n "${ST[$1|$2|$3]:-}" ] && set -- ${ST[$1|$2|$3]} && echo "$2"; }
lo() { [ -n "${ST[$1|$2|$3]:-}" ] && set -- ${ST[$1|$2|$3]} && echo "$3"; }
hi() { [ -n "${ST[$1|$2|$3]:-}" ] && set -- ${ST[$1|$2|$3]} && echo "$4"; }
# every repetition of SCEN on POOL finished?
all_ok() { [ -n "${SS[$1|$2]:-}" ] && set -- ${SS[$1|$2]} && [ "$1" = "$reps" ]; }
# numbers of 1000 and more lose their decimals
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "") print "-"; else printf "%.*f", (x >= 1000 ? 0 : d), x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0) }'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }

# The best peer of SCEN by KEY (lowest median, or highest with "max"):
# among pools that are not uwq and finished every repetition. Prints "pool value".
best_peer() {
	local s=$1 k=$2 dir=${3:-min} p v best="" bv=""
	for p in "${pools_plain[@]}"; do
		is_uwq "$p" && continue
		all_ok "$s" "$p" || continue
		v=$(med "$s" "$p" "$k") || continue
		if [ -z "$bv" ] || awk -v a="$v" -v b="$bv" -v d="$dir" 'BEGIN { exit !(d == "min" ? a < b : a > b) }'; then
			best=$p bv=$v
		fi
	done
	[ -n "$best" ] && echo "$best $bv"
}

# best_peer SCEN KEY restricted to pools whose median cpu_pct is at most MAX.
best_peer_cpu() {
	local s=$1 k=$2 max=$3 p v c best="" bv=""
	for p in "${pools_plain[@]}"; do
		is_uwq "$p" && continue
		all_ok "$s" "$p" || continue
		c=$(med "$s" "$p" cpu_pct) || continue
		le "$c" "$max" || continue
		v=$(med "$s" "$p" "$k") || continue
		if [ -z "$bv" ] || le "$v" "$bv"; then
			best=$p bv=$v
		fi
	done
	[ -n "$best" ] && echo "$best $bv"
}

# "median [min–max]" of SCEN POOL KEY, with D decimals, divided by DIV
cell() {
	local m d=${4:-1} div=${5:-1}
	m=$(med "$1" "$2" "$3") || { echo "-"; return; }
	awk -v m="$m" -v a="$(lo "$1" "$2" "$3")" -v b="$(hi "$1" "$2" "$3")" -v d="$d" -v q="$div" \
		'BEGIN { if (m / q >= 1000) d = 0; printf "%.*f [%.*f–%.*f]", d, m / q, d, a / q, d, b / q }'
}

# A pool's row state: "" when every repetition finished, else a note.
state_note() {
	local r=${SS[$1|$2]:-}
	[ -z "$r" ] && { echo "not run"; return; }
	set -- $r
	[ "$1" = "$reps" ] && return
	echo "$1/$reps finished, $2 timed out, $3 errors"
}

# ---- plots ----
have_gnuplot=0
command -v gnuplot >/dev/null && have_gnuplot=1

# cdf OUT FILE...: sorted samples (ns) -> "µs fraction", at most ~2000 points
cdf() {
	local o=$1
	shift
	cat "$@" 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END {
		n = NR; if (!n) exit
		step = n > 2000 ? n / 2000 : 1
		for (i = 1; i <= n; i += step) { j = int(i); x = v[j] / 1000; if (x < 0.01) x = 0.01; print x, j / n }
		print v[n] / 1000, 1 }' >"$o"
}

# One line style per pool, the same in every plot: uwq thick, peers thin,
# reference lines (floor, bare loop) black.
style() {
	local c w=1.5 d=1
	case $1 in
	uwq-bound) c='#0072b2' w=3 ;; uwq-unbound) c='#d55e00' w=3 ;;
	uwq-bound-hinted) c='#56b4e9' w=3 d=2 ;; uwq-unbound-hinted) c='#e69f00' w=3 d=2 ;;
	mutexpool) c='#666666' ;; libuv-ncpu) c='#009e73' ;; libuv-4) c='#66c2a5' d=2 ;;
	glib-ncpu) c='#cc79a7' ;; glib-unlimited) c='#7b3294' d=2 ;; tbb) c='#b8860b' ;; omp) c='#a50026' ;;
	floor*|same-CPU*) c='#000000' w=2 d=3 ;; bare*) c='#000000' w=2 ;;
	*primary*) c='#0072b2' w=3 ;; *thread*) c='#d55e00' w=3 ;; *) c='#999999' ;;
	esac
	echo "lw $w lc rgb '$c' dt $d"
}

plot_cdf() {	# PNG TITLE XLABEL then pairs of "datafile" "title"
	local png=$1 title=$2 xl=$3 plot="" sep=""
	shift 3
	while [ $# -ge 2 ]; do
		[ -s "$1" ] && plot+="$sep'$1' using 1:2 with lines $(style "$2") title '$2'" && sep=", "
		shift 2
	done
	[ -z "$plot" ] && return
	gnuplot <<-EOF 2>>"$raw/gnuplot.txt"
	set terminal pngcairo size 960,600 font ",10"
	set output '$png'
	set title "$title"
	set xlabel "$xl"
	set ylabel 'fraction of samples'
	set logscale x
	set yrange [0:1.02]
	set grid
	set key outside right
	set format x '%g'
	plot $plot
	EOF
}

if [ $have_gnuplot = 1 ]; then
	say "plotting"
	for s in S3 S6; do
		args=()
		for p in "${pools_plain[@]}"; do
			cdf "$raw/$s-$p.cdf" "$raw"/$s-"$p"-*.txt
			args+=("$raw/$s-$p.cdf" "$p")
		done
		if [ $s = S3 ]; then
			cdf "$raw/floor.cdf" "$raw"/floor-*.txt
			args+=("$raw/floor.cdf" "same-CPU futex wake (floor)")
			plot_cdf "$out_dir/S3-latency-cdf.png" "S3: submit-to-start latency, idle pool, one task per ms (all repetitions)" \
				"latency (µs, log scale)" "${args[@]}"
		else
			plot_cdf "$out_dir/S6-latency-cdf.png" "S6: submit-to-start latency at 80 % offered load of 100 µs tasks (all repetitions)" \
				"latency (µs, log scale)" "${args[@]}"
		fi
	done
	for k in floor bare primary thread; do cdf "$raw/irq-$k.cdf" "$raw"/irq-*-$k.txt; done
	plot_cdf "$out_dir/I1-I2-latency-cdf.png" "I1/I2: eventfd write to handler (all repetitions)" "latency (µs, log scale)" \
		"$raw/irq-bare.cdf" "bare epoll+eventfd loop" "$raw/irq-primary.cdf" "uwq primary handler (I1)" \
		"$raw/irq-thread.cdf" "uwq thread handler (I2)" "$raw/irq-floor.cdf" "same-CPU futex wake (floor)"
	plot=""
	sep=""
	for p in "${pools_all[@]}"; do
		f=$raw/S4-$p-1.txt
		[ -s "$f" ] && plot+="$sep'$f' using 1:(\$2 > 0 ? \$2 : 0.5) with steps $(style "$p") title '$p'" && sep=", "
	done
	if [ -n "$plot" ]; then
		gnuplot <<-EOF 2>>"$raw/gnuplot.txt"
		set terminal pngcairo size 960,600 font ",10"
		set output '$out_dir/S4-threads.png'
		set title "S4: pool threads over time, blocking mix (repetition 1; sampled every 1 ms)"
		set xlabel 'time since the first submit (ms)'
		set ylabel 'threads (process threads - 2 harness threads), log scale'
		set logscale y
		set grid
		set key outside right
		plot $plot
		EOF
	fi
fi

# ---- the report ----
say "writing $out_md"
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
vm=$(systemd-detect-virt --vm 2>/dev/null || true)
ct=$(systemd-detect-virt --container 2>/dev/null || true)
if [ -n "$vm" ] && [ "$vm" != none ]; then
	virt="yes: virtual machine ($vm)"
elif grep -qw hypervisor /proc/cpuinfo; then
	virt="yes: virtual machine (hypervisor CPU flag)"
else
	virt="no virtual machine"
fi
[ -n "$ct" ] && [ "$ct" != none ] && virt="$virt, in a container ($ct)"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no -- src include CMakeLists.txt 2>/dev/null | wc -l)
[ "$dirty" != 0 ] && commit="$commit + uncommitted changes to $dirty file(s) in src/ include/"
ver_of() { local p=$1; [ -n "${pool_ver[$p]:-}" ] && echo "${pool_ver[$p]}" || echo "not installed"; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
ncpu=$(nproc)
t_end=$(date +%s)
uwq_plain=() uwq_all=()
for p in "${pools_all[@]}"; do
	is_uwq "$p" || continue
	uwq_all+=("$p")
	[ "${pool_kind[$p]}" = plain ] && uwq_plain+=("$p")
done

{
echo "# uwq against the pools users would otherwise pick — $day, $host"
echo
echo "Made by \`make bench$([ $quick = 1 ] && echo ' QUICK=1')\` ($([ $quick = 1 ] && echo "quick run: $reps repetitions, smaller sizes" || echo "$reps repetitions")): $((t_runs - t_begin)) s to install, build and measure."
echo "Every figure is the median over $reps repetitions, each in a fresh process, with [min–max];"
echo "ratios are uwq's median over the best peer's median (best = the peer with the best median among those that finished every repetition)."
echo "Raw lines of every repetition: [\`$name/runs.txt\`]($name/runs.txt)."
echo
echo "## Machine"
echo
echo "| | |"
echo "|---|---|"
echo "| CPU | $cpu_model |"
echo "| CPUs (nproc) | $ncpu |"
echo "| kernel | $(uname -r) |"
echo "| virtualized | $virt |"
echo "| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
read -r oth_s tot_s steal_s oth_pct <<<"$others"
echo "| load average (1, 5, 15 min) | $load_start before the runs, $load_end after |"
echo "| CPU time used by other processes while measuring | $oth_s s of $tot_s s ($oth_pct %); steal by the hypervisor: $steal_s s |"
echo
if awk -v p="$oth_pct" 'BEGIN { exit !(p > 5) }'; then
	echo "**Warning: other processes used $oth_pct % of the CPU time while this ran; every figure below is disturbed by them. Run it again on a quiet machine.**"
fi
echo
echo "## Versions"
echo
echo "| | |"
echo "|---|---|"
echo "| uwq | $(ver_of uwq-bound), commit $commit |"
echo "| compiler | $(gcc --version | head -n 1), $(g++ --version 2>/dev/null | head -n 1 || echo 'no g++') |"
echo "| libuv | $(ver_of libuv-ncpu) (libuv1-dev $(pkgver libuv1-dev)) |"
echo "| GLib | $(ver_of glib-ncpu) (libglib2.0-dev $(pkgver libglib2.0-dev)) |"
echo "| oneTBB | $(ver_of tbb) (libtbb-dev $(pkgver libtbb-dev)) |"
echo "| OpenMP | $(ver_of omp) |"
echo "| gnuplot | $(gnuplot --version 2>/dev/null || echo 'not installed') |"
echo
echo "## Pools"
echo
echo "Each pool sits behind one small adapter (\`bench/peers/\`): init, submit from any thread (including from a running task), shutdown;"
echo "completion is one counter in the harness, the same for all. \"ncpu\" = $ncpu here."
echo
echo "| pool | configuration |"
echo "|---|---|"
for p in "${pools_all[@]}"; do echo "| $p | ${pool_about[$p]} |"; done
for p in "${missing[@]}"; do echo "| $p | not installed |"; done
echo

# ---------------- headline ----------------
echo "## Targets"
echo
echo "| target | uwq variant | uwq | reference | ratio | result |"
echo "|---|---|---|---|---|---|"
for s in S1 S2 S1x; do
	read -r bp bv <<<"$(best_peer $s ns_per_task)"
	for u in "${uwq_plain[@]}"; do
		v=$(med $s "$u" ns_per_task)
		echo "| $s ns/task ≤ best peer | $u | $(fmt "$v") ns | ${bp:-none} $(fmt "${bv:-}") ns | $(ratio "$v" "${bv:-}") | $(verdict le "$v" "${bv:-}") |"
	done
done
floor50=$(med floor floor p50_us)
read -r bp bv <<<"$(best_peer S3 p50_us)"
for u in "${uwq_plain[@]}"; do
	v=$(med S3 "$u" p50_us)
	echo "| S3 p50 ≤ best peer | $u | $(fmt "$v") µs | ${bp:-none} $(fmt "${bv:-}") µs | $(ratio "$v" "${bv:-}") | $(verdict le "$v" "${bv:-}") |"
	two=$(awk -v f="$floor50" 'BEGIN { if (f != "") print 2 * f }')
	echo "| S3 p50 ≤ 2 × same-CPU wake floor | $u | $(fmt "$v") µs | 2 × $(fmt "$floor50") µs | $(ratio "$v" "$floor50") × floor | $(verdict le "$v" "$two") |"
done
for u in "${uwq_all[@]}"; do
	lim=1.3
	[ "${pool_kind[$u]}" = hinted ] && lim=1.15
	v=$(med S4 "$u" wall_over_ideal)
	t=$(med S4 "$u" peak_threads)
	ok=MISS
	all_ok S4 "$u" && le "$v" $lim && le "$t" 64 && ok=PASS
	echo "| S4 wall/ideal ≤ $lim, peak threads ≤ 64 (cold pool) | $u | $(fmt "$v" 2), $(fmt "$t" 0) threads | ≤ $lim, ≤ 64 | - | $ok |"
done
for u in uwq-unbound uwq-unbound-hinted; do
	v=$(med G1 "$u" wall_over_ideal)
	t=$(med G1 "$u" peak_workers)
	ok=MISS
	all_ok G1 "$u" && le "$v" 1.35 && le 0 "$t" && le "$t" 24 && ok=PASS
	echo "| G1 growth follows need: wall/ideal ≤ 1.35, peak workers ≤ 24 (cold pool) | $u | $(fmt "$v" 2), $(fmt "$t" 0) workers | ≤ 1.35 × ideal, ≤ 24 workers | - | $ok |"
done
for u in "${uwq_all[@]}"; do
	set -- ${SS[S5|$u]:-0 0 0 0 0}
	echo "| S5 no deadlock (4 parents wait for children) | $u | $4/$reps PASS | every repetition | - | $([ "$4" = "$reps" ] && echo PASS || echo MISS) |"
done
read -r bp bv <<<"$(best_peer S6 p99_us)"
for u in "${uwq_plain[@]}"; do
	v=$(med S6 "$u" p99_us)
	echo "| S6 p99 ≤ best peer | $u | $(fmt "$v") µs | ${bp:-none} $(fmt "${bv:-}") µs | $(ratio "$v" "${bv:-}") | $(verdict le "$v" "${bv:-}") |"
done
# S6b: against the peers that leave a quarter of the CPUs free (a pool that
# spins buys latency with a whole core), and uwq's own CPU use bounded.
for k in p50_us p99_us; do
	read -r bp bv <<<"$(best_peer_cpu S6b $k 75)"
	for u in "${uwq_plain[@]}"; do
		v=$(med S6b "$u" $k)
		echo "| S6b ${k%_us} ≤ best peer using ≤ 75 % CPU | $u | $(fmt "$v") µs | ${bp:-none} $(fmt "${bv:-}") µs | $(ratio "$v" "${bv:-}") | $(verdict le "$v" "${bv:-}") |"
	done
done
for u in "${uwq_plain[@]}"; do
	v=$(med S6b "$u" cpu_pct)
	echo "| S6b CPU use ≤ offered load + 10 points | $u | $(fmt "$v" 0) % | ≤ 60 % | - | $(verdict le "$v" 60) |"
done
v=$(med irq uwq primary_p50_us)
b=$(med irq uwq bare_p50_us)
lim=$(awk -v b="$b" 'BEGIN { if (b != "") print 1.2 * b }')
echo "| I1 event→primary p50 ≤ 1.2 × bare loop | uwq | $(fmt "$v") µs | bare loop $(fmt "$b") µs | $(ratio "$v" "$b") | $(verdict le "$v" "$lim") |"
t=$(med irq uwq thread_p50_us)
f=$(med irq uwq floor_p50_us)
h=$(med irq uwq handoff_p50_us)
d=$(awk -v t="$t" -v b="$b" 'BEGIN { if (t != "" && b != "") printf "%.1f", t - b }')
dh=$(awk -v h="$h" -v b="$b" 'BEGIN { if (h != "" && b != "") printf "%.1f", h - b }')
# I2: uwq's thread handler against the same hand-off written by hand (an
# epoll loop at FIFO 51 waking its own FIFO 50 thread), + 1 µs.
hlim=$(awk -v h="$h" 'BEGIN { if (h != "") printf "%.2f", h + 1 }')
echo "| I2 event→thread p50 ≤ hand-off by hand + 1 µs | uwq | $(fmt "$t") µs (+$d µs over the bare loop) | hand-off by hand $(fmt "$h") µs (+$dh µs; wake floor $(fmt "$f") µs) | $(ratio "$t" "$h") | $(verdict le "$t" "$hlim") |"
v=$(med W1 uwq uwq_us)
b=$(med W1 uwq bare_us)
lim=$(awk -v b="$b" 'BEGIN { if (b != "") print 1.5 * b }')
echo "| W1 CPU to make a worker ≤ 1.5 × bare pthread_create+join | uwq | $(fmt "$v") µs | bare $(fmt "$b") µs (a thread held alive with 31 others: $(fmt "$(med W1 uwq held_us)") µs) | $(ratio "$v" "$b") | $(verdict le "$v" "$lim") |"
v=$(med W1 uwq remade_us)
echo "| W1 the same, again after idle workers were reaped | uwq | $(fmt "$v") µs | bare $(fmt "$b") µs | $(ratio "$v" "$b") | $(verdict le "$v" "$lim") |"
for u in "${uwq_plain[@]}"; do
	echo "| M1 idle RSS (no target) | $u | $(fmt "$(med M1 "$u" rss_kib)" 0) KiB, +$(fmt "$(med M1 "$u" delta_kib)" 0) KiB for $(fmt "$(med M1 "$u" threads)" 0) threads | smallest peer: $(best_peer M1 rss_kib | awk '{ printf "%s %d KiB", $1, $2 }') | $(ratio "$(med M1 "$u" rss_kib)" "$(best_peer M1 rss_kib | awk '{ print $2 }')") | - |"
done
echo

# ---------------- per scenario ----------------
# table_throughput SCEN
table_throughput() {
	local s=$1 p bp bv v
	read -r bp bv <<<"$(best_peer "$s" ns_per_task)"
	echo "| pool | ns/task | ratio to best peer ($bp) | note |"
	echo "|---|---|---|---|"
	for p in "${pools_plain[@]}"; do
		v=$(med "$s" "$p" ns_per_task)
		echo "| $p | $(cell "$s" "$p" ns_per_task) | $(ratio "$v" "${bv:-}") | $(state_note "$s" "$p") |"
	done
	for p in "${missing[@]}"; do echo "| $p | not installed | | |"; done
}

echo "## S1: 1 submitting thread"
echo
echo "$s1n empty tasks queued from one thread, then waited for; wall time / N. Tasks are preallocated and touched before the clock starts."
echo
table_throughput S1
echo
echo "## S2: 2 submitting threads"
echo
echo "$s2n empty tasks, $((s2n / 2)) from each of two threads; wall time / N."
echo
table_throughput S2
echo
echo "## S1x: 2 submitting threads, each pinned to its own CPU"
echo
echo "As S2, with submitter i pinned to the i-th CPU of the affinity mask while it submits: per-CPU pools each get one submitter's tasks."
echo
table_throughput S1x
echo
echo "OpenMP note: once more than 64 × team-size tasks are queued, libgomp runs a new task at once in the submitting thread instead of queueing it."
echo

table_latency() {	# SCEN KEY-FOR-RATIO...
	local s=$1 p v b50 b99 bp50 bp99
	read -r bp50 b50 <<<"$(best_peer "$s" p50_us)"
	read -r bp99 b99 <<<"$(best_peer "$s" p99_us)"
	echo "| pool | p50 µs | p99 µs | p99.9 µs | p50 / best peer ($bp50) | p99 / best peer ($bp99) | note |"
	echo "|---|---|---|---|---|---|---|"
	for p in "${pools_plain[@]}"; do
		echo "| $p | $(cell "$s" "$p" p50_us) | $(cell "$s" "$p" p99_us) | $(cell "$s" "$p" p999_us) |" \
			"$(ratio "$(med "$s" "$p" p50_us)" "${b50:-}") | $(ratio "$(med "$s" "$p" p99_us)" "${b99:-}") | $(state_note "$s" "$p") |"
	done
	for p in "${missing[@]}"; do echo "| $p | not installed | | | | | |"; done
}

echo "## S3: latency on an idle pool"
echo
echo "One empty task every 1 ms (open loop, $s3n recorded after 20 unrecorded), nothing else running."
echo "Latency = submit-to-start: from a clock read just before the submit call to a clock read first thing in the task."
echo
table_latency S3
echo "| floor: same-CPU futex wake | $(cell floor floor p50_us) | $(cell floor floor p99_us) | $(cell floor floor p999_us) | | | |"
echo
echo "The floor is measured in the same run, interleaved with S3: two threads pinned to one CPU; every 1 ms one stores a flag and calls FUTEX_WAKE,"
echo "the other, asleep in FUTEX_WAIT, reads the clock first thing when it returns; floor = that read minus the waker's clock read just before FUTEX_WAKE"
echo "(one wake-to-run on the same CPU, not a round trip)."
echo
[ -f "$out_dir/S3-latency-cdf.png" ] && echo "![S3 latency CDF]($name/S3-latency-cdf.png)" && echo

echo "## S4: blocking mix"
echo
echo "$s4n tasks sleeping 10 ms (nanosleep) and $s4n tasks burning 1 ms of thread CPU time, queued at once, interleaved sleep, burn, sleep, …"
echo "Ideal = max($s4n ms / $ncpu CPUs, 10 ms) = $(awk -v n=$s4n -v c=$ncpu 'BEGIN { x = n / c; if (x < 10) x = 10; print x }') ms."
echo "Peak threads: /proc/self/status \"Threads:\" sampled every 1 ms by a sampler thread, minus the harness's 2 threads (main, sampler);"
echo "for OpenMP the main thread is also a team member and so is not counted. The uwq hinted variants wrap the nanosleep in uwq_blocking_begin/end; no peer has such a hint."
echo "Repetitions that take longer than $s4_tmo s are killed and reported as timed out."
echo
echo "| pool | wall / ideal | wall ms | peak threads | ratio to best peer ($(best_peer S4 wall_over_ideal | cut -d' ' -f1)) | note |"
echo "|---|---|---|---|---|---|"
read -r bp bv <<<"$(best_peer S4 wall_over_ideal)"
for p in "${pools_all[@]}"; do
	echo "| $p | $(cell S4 "$p" wall_over_ideal 2) | $(cell S4 "$p" wall_ms 0) | $(cell S4 "$p" peak_threads 0) | $(ratio "$(med S4 "$p" wall_over_ideal)" "${bv:-}") | $(state_note S4 "$p") |"
done
for p in "${missing[@]}"; do echo "| $p | not installed | | | | |"; done
echo
echo "Reading the uwq-bound rows: a bound queue runs each task on the pool of the CPU the submitter is on when it queues it (the kernel's rule),"
echo "and S4's burst is queued in well under a millisecond from one thread, so its $s4n ms of burning lands on one CPU's pool:"
echo "$(awk -v n=$s4n -v c=$ncpu 'BEGIN { x = n / c; if (x < 10) x = 10; printf "%.1f", n / x }') × ideal is that variant's lower bound here unless the submitter migrates. In S6 the one submitter likewise queues each task to the pool of whichever CPU it woke up on."
echo
[ -f "$out_dir/S4-threads.png" ] && echo "![S4 threads over time]($name/S4-threads.png)" && echo

echo "## G1: growth follows need (uwq only)"
echo
echo "bench/blocking_mix.c growth, one fresh process per repetition: 2000 items that each sleep 2 ms, then burn 0.5 ms of thread CPU time,"
echo "queued at once on uwq_system_unbound_wq (a cold pool). Ideal = 2000 × 0.5 ms / $ncpu CPUs + 2 ms (no burn can start before the first sleep ends)."
echo "About $ncpu × (1 + 2 / 0.5) = $((ncpu * 5)) busy workers keep the CPUs busy (Little's law); peak workers = the unbound pool's workers at the end"
echo "(workers leave only by reaping, after 60 s idle). The hinted variant wraps the sleep in uwq_blocking_begin/end; the other is seen by the monitor."
echo
echo "| variant | wall / ideal | wall ms | peak workers | process CPU ms | note |"
echo "|---|---|---|---|---|---|"
for u in uwq-unbound uwq-unbound-hinted; do
	echo "| $u | $(cell G1 "$u" wall_over_ideal 2) | $(cell G1 "$u" wall_ms 0) | $(cell G1 "$u" peak_workers 0) | $(cell G1 "$u" cpu_ms 0) | $(state_note G1 "$u") |"
done
echo

echo "## S5: parents waiting for their children"
echo
echo "A pool of ncpu = $ncpu workers; 4 parent tasks each submit a child task from inside the pool and wait for it on a POSIX semaphore."
echo "Each repetition runs in a forked child killed after $s5t s: PASS if all four children ran, FAIL (deadlock) if it was killed."
echo
echo "| pool | result | PASS / repetitions | time to pass (ms) |"
echo "|---|---|---|---|"
for p in "${pools_all[@]}"; do
	set -- ${SS[S5|$p]:-0 0 0 0 0}
	if [ "$4" = "$reps" ]; then r=PASS; elif [ "$4" = 0 ]; then r="FAIL (deadlock)"; else r="FAIL (deadlock in $5 of $reps)"; fi
	t="-"
	[ "$4" != 0 ] && [ "$4" = "$reps" ] && t=$(cell S5 "$p" ms 2)
	echo "| $p | $r | $4/$reps | $t |"
done
for p in "${missing[@]}"; do echo "| $p | not installed | | |"; done
echo

echo "## S6: latency under 80 % load"
echo
echo "Open-loop arrivals of tasks that burn 100 µs of thread CPU time, at 0.8 × $ncpu CPUs / 100 µs (one every $(awk -v c=$ncpu 'BEGIN { printf "%.1f", 100 / (0.8 * c) }') µs) for $s6ms ms."
echo "Every task is a probe: submit-to-start latency as in S3. The submitter wakes on a 250 µs pacing tick (1 ns timer slack) and"
echo "submits every task due by then (one timer per task costs ~17 µs of CPU in a VM, taken from the pool); it never waits for"
echo "the pool: when it runs late it submits at once, so the offered load stays at 80 %."
echo
table_latency S6
echo
echo "The same tasks timed from when each was due (arrival-to-start: adds the submitter's own delays, e.g. when the pool's threads"
echo "starve it), the submitter's worst lag behind the schedule, and the process's CPU time over $ncpu CPUs × wall time"
echo "(the tasks alone are 80 %; the rest is the pool's and the harness's overhead, context switches included):"
echo
echo "| pool | arrival-to-start p50 µs | arrival-to-start p99 µs | max submitter lag ms | CPU use % | wall ms |"
echo "|---|---|---|---|---|---|"
for p in "${pools_plain[@]}"; do
	echo "| $p | $(cell S6 "$p" arr_p50_us) | $(cell S6 "$p" arr_p99_us) | $(cell S6 "$p" max_submit_lag_us 1 1000) |" \
		"$(cell S6 "$p" cpu_pct 0) | $(cell S6 "$p" wall_ms 0) |"
done
echo
[ -f "$out_dir/S6-latency-cdf.png" ] && echo "![S6 latency CDF]($name/S6-latency-cdf.png)" && echo

echo "## S6b: latency under 50 % load"
echo
echo "As S6 at 0.5 × $ncpu CPUs / 100 µs (one every $(awk -v c=$ncpu 'BEGIN { printf "%.1f", 100 / (0.5 * c) }') µs). The target compares uwq with the"
echo "peers whose CPU use stays at or below 75 %: a pool that spins its idle workers buys latency with whole CPUs. Spinning here (CPU use above 75 %):"
echo "$(for p in "${pools_plain[@]}"; do c=$(med S6b "$p" cpu_pct) && ! le "$c" 75 && printf '%s (%.0f %%) ' "$p" "$c"; done; echo)"
echo
table_latency S6b
echo
echo "| pool | arrival-to-start p50 µs | arrival-to-start p99 µs | max submitter lag ms | CPU use % | wall ms |"
echo "|---|---|---|---|---|---|"
for p in "${pools_plain[@]}"; do
	echo "| $p | $(cell S6b "$p" arr_p50_us) | $(cell S6b "$p" arr_p99_us) | $(cell S6b "$p" max_submit_lag_us 1 1000) |" \
		"$(cell S6b "$p" cpu_pct 0) | $(cell S6b "$p" wall_ms 0) |"
done
echo

echo "## I1–I3: interrupt lines (uwq only)"
echo
echo "bench/irq_latency.c, one fresh process per repetition: one eventfd write every 500 µs, $irqn events per measurement;"
echo "latency from the write to the bare loop's return from epoll_wait+read, to uwq's primary handler (I1), to uwq's thread handler (I2)."
echo "The bare loop runs at the dispatcher's priority (SCHED_FIFO 51 where permitted), and everything is on the dispatcher's CPU."
echo "The hand-off row is the bare loop waking a thread of its own at the handler threads' priority (FIFO 50): what any threaded handler pays"
echo "when the waker outranks the wakee (the thread runs once the loop is back in epoll_wait); the floor row is a wake whose wakee preempts the waker."
echo "I3: one thread raises as fast as it can for $irqrate ms; handled events per second (raised = handled + merged, nothing lost)."
echo
echo "| | p50 µs | p99 µs | p99.9 µs | p50 / bare loop |"
echo "|---|---|---|---|---|"
b=$(med irq uwq bare_p50_us)
for k in bare handoff primary thread floor; do
	case $k in
	bare) l="bare epoll+eventfd loop" ;; primary) l="I1 uwq primary handler" ;;
	handoff) l="bare loop + hand-off to its own thread (FIFO 51 -> 50, by hand)" ;;
	thread) l="I2 uwq thread handler" ;; floor) l="same-CPU futex wake (floor)" ;;
	esac
	echo "| $l | $(cell irq uwq ${k}_p50_us) | $(cell irq uwq ${k}_p99_us) | $(cell irq uwq ${k}_p999_us) | $(ratio "$(med irq uwq ${k}_p50_us)" "$b") |"
done
echo
echo "| I3 rate | raises/s | handled/s | handled / bare loop |"
echo "|---|---|---|---|"
echo "| bare epoll+eventfd loop | $(cell irq uwq bare_raises_per_s 0) | $(cell irq uwq bare_handled_per_s 0) | |"
echo "| uwq primary handler | $(cell irq uwq uwq_raises_per_s 0) | $(cell irq uwq uwq_handled_per_s 0) | $(ratio "$(med irq uwq uwq_handled_per_s)" "$(med irq uwq bare_handled_per_s)") |"
echo
[ -f "$out_dir/I1-I2-latency-cdf.png" ] && echo "![I1/I2 latency CDF]($name/I1-I2-latency-cdf.png)" && echo

echo "## W1: the cost of making a worker"
echo
echo "bench/worker_cost.c, $wcr rounds per repetition, each measurement in a fresh process (a cold start). Process CPU per thread:"
echo "bare = 32 × pthread_create() + pthread_join() of a thread that does nothing, with the workers' stack size (one stack, reused from glibc's cache);"
echo "held = 32 such threads made one after another, each sleeping until all exist (32 stacks at once, as 32 workers need), and their ending;"
echo "uwq = CPU of a burst of 32 items that each block with a hint (a worker made per item) minus the same burst again with the workers there,"
echo "per worker made (the file says why that isolates creation), and the ending of the workers at uwq_shutdown(); \"again\": the same burst"
echo "after the pool's idle workers were reaped down to its reserve (the new workers get the reaped ones' stacks back)."
echo
echo "| | making, CPU µs per thread | / bare | ending, CPU µs per thread |"
echo "|---|---|---|---|"
echo "| bare create+join loop | $(cell W1 uwq bare_us) | | (included) |"
echo "| held: 32 alive at once | $(cell W1 uwq held_us) | $(ratio "$(med W1 uwq held_us)" "$(med W1 uwq bare_us)") | $(cell W1 uwq held_end_us) |"
echo "| uwq worker made on demand | $(cell W1 uwq uwq_us) | $(ratio "$(med W1 uwq uwq_us)" "$(med W1 uwq bare_us)") | $(cell W1 uwq uwq_end_us) |"
echo "| uwq worker made again after reaping | $(cell W1 uwq remade_us) | $(ratio "$(med W1 uwq remade_us)" "$(med W1 uwq bare_us)") | |"
echo

echo "## M1: memory of an idle pool"
echo
echo "VmRSS of the benchmark process after the pool started, ran one trivial task and sat idle 200 ms; the delta is over the same process"
echo "just before the pool started (libraries loaded); KiB per thread = delta / threads the pool added (its data and its threads' touched stacks)."
echo
echo "| pool | RSS KiB | delta KiB | threads | KiB per thread |"
echo "|---|---|---|---|---|"
for p in "${pools_plain[@]}"; do
	echo "| $p | $(cell M1 "$p" rss_kib 0) | $(cell M1 "$p" delta_kib 0) | $(cell M1 "$p" threads 0) | $(cell M1 "$p" kib_per_thread 0) |"
done
for p in "${missing[@]}"; do echo "| $p | not installed | | | |"; done
echo
if [ -s "$raw/stderr.txt" ]; then
	echo "## Messages"
	echo
	echo "The runs wrote $(wc -l <"$raw/stderr.txt") line(s) on stderr, kept in [\`$name/stderr.txt\`]($name/stderr.txt); the first ones:"
	echo
	echo '```'
	sort "$raw/stderr.txt" | uniq -c | sort -rn | head -n 10
	echo '```'
	echo
fi
} >"$out_md"

cp "$runs" "$out_dir/runs.txt"
[ -s "$raw/stderr.txt" ] && cp "$raw/stderr.txt" "$out_dir/stderr.txt"

# ---- uwq's own micro-benchmarks (full run only) ----
if [ $quick = 0 ]; then
	say "uwq micro-benchmarks (bench/run.sh)"
	{
		echo "## uwq micro-benchmarks"
		echo
		echo "\`bench/run.sh\`: idle-spin windows, the blocking mix against its floor, the monitor's cost, probe costs, the cost of making a worker, interrupt latency."
		echo
		echo '```'
		bench/run.sh "$build" 2>&1
		echo '```'
	} >>"$out_md"
fi
say "done in $(($(date +%s) - t_begin)) s: $out_md"
