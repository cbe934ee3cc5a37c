#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every UWQ_API function of include/uwq/*.h has a generated man page made
# from its own kernel-doc comment, and mandoc's linter finds nothing in
# any page at warning level or above (errors and warnings both fail).
# Usage: man_check.sh MAN_BUILD_DIR SRC_DIR. Exit 0 pass, 1 fail, 77 skip.
set -u
man=$1 src=$2
fail=0

# The function list is read here with sed, independently of
# man/kdoc2man.pl, so a function the generator misses is caught.
funcs=$(sed -n 's/^UWQ_API [^(]*[ *]\(uwq_[A-Za-z0-9_]*\)(.*/\1/p' "$src"/include/uwq/*.h | sort -u)
n=$(printf '%s\n' "$funcs" | grep -c .)
if [ "$n" -lt 50 ]; then
  echo "man_check: found only $n UWQ_API functions in $src/include/uwq: the pattern is stale"
  exit 1
fi
for f in $funcs; do
  page=$man/man3/$f.3
  if [ ! -f "$page" ]; then
    echo "man_check: $f has no page ($page)"
    fail=1
  elif grep -q '^\.\\" uwq-undocumented' "$page"; then
    echo "man_check: $f has no kernel-doc comment of its own in include/uwq"
    fail=1
  elif ! grep -q "^\.BI\? \"[^\"]*$f(" "$page"; then
    echo "man_check: $f: the page's synopsis does not declare it"
    fail=1
  fi
done
[ -f "$man/man7/uwq.7" ] || { echo "man_check: no uwq.7 in $man/man7"; fail=1; }
for f in $funcs; do
  grep -q "^\.BR $f (3)" "$man/man7/uwq.7" 2>/dev/null ||
    { echo "man_check: uwq(7) does not list $f"; fail=1; }
done

if ! command -v mandoc >/dev/null; then
  echo "man_check: $n pages present; mandoc not installed (apt-get install mandoc): lint skipped"
  [ $fail -eq 0 ] && exit 77
  exit 1
fi
lint=$(mandoc -T lint -W warning "$man"/man3/*.3 "$man"/man7/uwq.7 "$src"/man/uwq-top.1 2>&1)
if [ -n "$lint" ]; then
  printf '%s\n' "$lint"
  echo "man_check: mandoc -T lint -W warning reported the lines above"
  fail=1
fi
[ $fail -eq 0 ] && echo "man_check: $n functions, $n pages, uwq(7) and uwq-top(1): lint clean"
exit $fail
