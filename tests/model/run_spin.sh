#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# run_spin.sh MODEL MODE [-DNAME[=VALUE]...]
#
# Verify a Promela model with spin, in the current directory (it writes
# pan.* and MODEL.trail there).
#   MODEL   path to the .pml file
#   MODE    expected_ok:   pan must report "errors: 0" after a full search
#           expected_fail: pan must report at least one error (a model
#                          variant with a deliberate bug); the error and
#                          the end of spin's replay of the trail are shown
#   -D...   passed to spin (the model's C preprocessor)
#
# Environment: SPIN (default spin), CC (default cc), PAN_CFLAGS (default
# "-O2 -DSAFETY"), PAN_OPTS (default "-m100000 -w21").
# Exit status: 0 as expected, 1 not as expected or a tool failed, 77 when
# spin or the C compiler is missing (CTest SKIP_RETURN_CODE).

set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 MODEL expected_ok|expected_fail [-DNAME[=VALUE]...]" >&2
	exit 1
fi
model=$1
mode=$2
shift 2
case $mode in
expected_ok | expected_fail) ;;
*)
	echo "$0: mode must be expected_ok or expected_fail, not '$mode'" >&2
	exit 1
	;;
esac
for d in "$@"; do
	case $d in
	-D*) ;;
	*)
		echo "$0: only -D options may follow the mode, not '$d'" >&2
		exit 1
		;;
	esac
done

spin=${SPIN:-spin}
cc=${CC:-cc}
cflags=${PAN_CFLAGS:--O2 -DSAFETY}
panopts=${PAN_OPTS:--m100000 -w21}

if ! command -v "$spin" >/dev/null 2>&1; then
	echo "SKIP: $spin not found (Debian/Ubuntu: apt-get install spin)"
	exit 77
fi
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "SKIP: C compiler $cc not found"
	exit 77
fi
if [ ! -r "$model" ]; then
	echo "$0: cannot read $model" >&2
	exit 1
fi

name=$(basename "$model")
rm -f pan pan.b pan.c pan.h pan.m pan.p pan.t pan.out "$name" "$name.trail"
# spin -t looks for the trail next to the model: work on a copy here.
cp "$model" "$name" || exit 1

echo "== spin $* -a $name   ($mode)"
if ! "$spin" "$@" -a "$name"; then
	echo "FAIL: spin could not translate $model"
	exit 1
fi
# shellcheck disable=SC2086 # word splitting of the flag lists is meant
if ! "$cc" $cflags -w -o pan pan.c; then
	echo "FAIL: $cc could not compile pan.c"
	exit 1
fi
# shellcheck disable=SC2086
./pan $panopts >pan.out 2>&1
rc=$?
cat pan.out

errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.out | tail -n 1)
if [ -z "$errors" ]; then
	echo "FAIL: no 'errors:' line in pan's output (pan exit status $rc)"
	exit 1
fi

if [ "$mode" = expected_ok ]; then
	if [ "$errors" -ne 0 ]; then
		echo "FAIL: spin found $errors error(s); the counterexample:"
		"$spin" "$@" -t -p -g "$name" | tail -n 80
		exit 1
	fi
	if grep -q -e "max search depth too small" -e "Search not completed" \
		-e "out of memory" pan.out; then
		echo "FAIL: the search was not complete (depth or memory limit)"
		exit 1
	fi
	echo "OK: no errors, full search"
	exit 0
fi

if [ "$errors" -eq 0 ]; then
	echo "FAIL: the bug variant ($*) passed: the check cannot catch it"
	exit 1
fi
echo "OK: spin found the bug ($errors error); the end of its trail:"
"$spin" "$@" -t -p -g "$name" | grep -v '^ *$' | tail -n 40
exit 0
