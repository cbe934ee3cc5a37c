#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install uwq into a temporary prefix, then build and run a consumer with
# find_package(uwq) and with pkg-config. Usage: install_consumer.sh BUILD_DIR SRC_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/install/consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64:${LD_LIBRARY_PATH:-}" "$tmp/cm/consumer"
if command -v pkg-config >/dev/null; then
  pcdir=$(dirname "$(find "$tmp/prefix" -name uwq.pc | head -n1)")
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs uwq)
  cc -std=c11 -o "$tmp/pc_consumer" "$src/tests/install/consumer/main.c" $flags -pthread
  LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64:${LD_LIBRARY_PATH:-}" "$tmp/pc_consumer"
else
  echo "pkg-config not installed: that half skipped"
fi
