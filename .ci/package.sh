#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CI stage: the Debian packages. Builds libuwq0, libuwq-dev and uwq-tools
# from a copy of the tree (dpkg-buildpackage -b, tests off), fails on any
# lintian error (warnings are printed), unpacks the packages into a
# scratch root with dpkg -x (the system is left alone) and builds and runs
# tests/install/consumer against that root, with CMake and pkg-config.
# Installs what it needs when missing. About 1.5 min on 2 cores once the
# tools are installed (docs/packaging.md).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

need=()
for p in debhelper dpkg-dev lintian mandoc cmake pkg-config gcc make; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "package: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ver=$(dpkg-parsechangelog -S Version)
src=$tmp/uwq-$ver
mkdir "$src"
# The tree as git sees it (tracked and new files, not build directories).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$src"
else
  tar --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$src"
fi

echo "=== dpkg-buildpackage -b -us -uc ==="
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
      dpkg-buildpackage -b -us -uc >"$tmp/build.log" 2>&1); then
  tail -n 60 "$tmp/build.log"
  echo "package: dpkg-buildpackage failed"
  exit 1
fi
# A symbol missing from debian/libuwq0.symbols fails above; a new one is
# only a diff in the log: show it.
grep -A30 'dpkg-gensymbols: warning' "$tmp/build.log" || true
ls "$tmp"/*.deb

echo "=== lintian ($((SECONDS - start)) s) ==="
rc=0
lintian --fail-on error "$tmp"/uwq_"$ver"_*.changes >"$tmp/lintian.txt" 2>&1 || rc=$?
grep -v 'with root privileges is not recommended' "$tmp/lintian.txt" || true
echo "package: lintian: $(grep -c '^E:' "$tmp/lintian.txt" || true) errors," \
  "$(grep -c '^W:' "$tmp/lintian.txt" || true) warnings"
[ $rc -eq 0 ] || { echo "package: lintian failed ($rc)"; exit 1; }

echo "=== consumer against the unpacked packages ($((SECONDS - start)) s) ==="
root=$tmp/root
for deb in "$tmp"/libuwq0_*.deb "$tmp"/libuwq-dev_*.deb "$tmp"/uwq-tools_*.deb; do
  dpkg -x "$deb" "$root"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=$root/usr/lib/$multiarch
cmake -S tests/install/consumer -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
cmake --build "$tmp/cm" >/dev/null
# The consumer must have found the scratch root's uwq, not another one.
grep -q "$root/usr" "$tmp/cm/CMakeCache.txt" || { echo "package: find_package(uwq) missed $root"; exit 1; }
LD_LIBRARY_PATH=$libdir "$tmp/cm/consumer"
flags=$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs uwq)
case $flags in *"$root"*) ;; *) echo "package: uwq.pc does not point into $root: $flags"; exit 1 ;; esac
cc -std=c11 -o "$tmp/pc_consumer" tests/install/consumer/main.c $flags -pthread
LD_LIBRARY_PATH=$libdir "$tmp/pc_consumer"
LD_LIBRARY_PATH=$libdir ldd "$tmp/pc_consumer" | grep -q "$libdir/libuwq.so.0" ||
  { echo "package: the consumer did not load $libdir/libuwq.so.0"; exit 1; }

# The packaged pages: one per function, and uwq(7), lint clean.
cp -r "$root/usr/share/man" "$tmp/man"
gunzip -r "$tmp/man"
n=$(ls "$tmp"/man/man3/uwq_*.3 | wc -l)
lint=$(mandoc -T lint -W warning "$tmp"/man/man*/* 2>&1 || true)
[ -z "$lint" ] || { printf '%s\n' "$lint"; echo "package: packaged man pages do not lint clean"; exit 1; }
"$root/usr/bin/uwq-top" --help >/dev/null
echo "package: ok: $n section-3 pages, consumer built by CMake and pkg-config, $((SECONDS - start)) s"
