#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live export is owner-only (uwq/export.h, the live export):
#  - /dev/shm/uwq.<pid> is mode 0600 and owned by the process's user, who
#    can read it with uwq-top;
#  - as root, also: user nobody (65534) can read neither the segment nor,
#    through uwq-top, the statistics: uwq-top says permission denied and
#    exits 1. Not root: only the mode and owner are checked.
# Usage: top_permissions.sh UWQ_TOP NIC_SIM
TOP=$1 NICSIM=$2
. "$(dirname "$0")/lib.sh"

start_nic_sim 150
seg=/dev/shm/uwq.$nic_pid
mode=$(stat -c '%a %u' "$seg") || fail "stat $seg"
[ "$mode" = "600 $(id -u)" ] || fail "$seg: mode and owner '$mode', want '600 $(id -u)'"

run_top "$tmp/out" "$tmp/err" --once "$nic_pid"
[ "$top_rc" -eq 0 ] || { cat "$tmp/err" >&2; fail "the owner cannot read it: exit $top_rc"; }
grep -q "^uwq-top  pid $nic_pid (nic-sim)" "$tmp/out" || { cat "$tmp/out" >&2; fail "owner's read"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "PASS (not root: mode and owner only)"
	exit 0
fi
command -v setpriv >/dev/null || skip "root, but no setpriv to become nobody"
# nobody must be able to run the binary: copy it out of a possibly private tree.
chmod 755 "$tmp"
cp "$TOP" "$tmp/uwq-top"
chmod 755 "$tmp/uwq-top"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody true || skip "setpriv cannot switch to uid 65534 here"

if as_nobody cat "$seg" >/dev/null 2>&1; then
	fail "user nobody can read $seg"
fi
for args in "--once" "--once --json" ""; do
	rc=0
	# shellcheck disable=SC2086
	as_nobody "$tmp/uwq-top" $args "$nic_pid" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	kill -0 "$nic_pid" 2>/dev/null && [ -e "$seg" ] || fail "nic-sim ended before the check (too slow?)"
	[ "$rc" -eq 1 ] || { cat "$tmp/err" >&2; fail "uwq-top $args as nobody: exit $rc, want 1"; }
	grep -q "permission denied: the statistics of process $nic_pid .* are readable only by user root (uid 0)" "$tmp/err" ||
		{ cat "$tmp/err" >&2; fail "uwq-top $args as nobody: no permission message"; }
	[ ! -s "$tmp/out" ] || fail "uwq-top $args as nobody wrote to stdout"
done
echo "PASS"
