#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run a system with rumpbridge-run and compare its console with a file.
#
#   run_system.sh [options] RUMPBRIDGE_RUN SYSTEM_FILE SEARCH_DIR EXPECTED_STDOUT
#     --skip-unless PATH   exit 77 (CTest: skipped) with a message if PATH is absent
#     --needs-netns        exit 77 with a message unless root with /dev/net/tun
#                          and network namespaces (netns="own")
#     --needs-cpus N       exit 77 with a message unless this process may use N CPUs
#     --status N           the launcher's expected exit status (default 0)
#     --stderr REGEX       its stderr must match REGEX (grep -E), repeatable
#     --exits              the system stops by itself: wait for the launcher
#                          instead of stopping it with SIGTERM
#     --time S             give up after S seconds (default 30)
#     --signal SIG         stop it with SIG instead of TERM (e.g. INT, as Ctrl-C)
#     --arg ARG            pass ARG to the launcher, repeatable
#     --emulator CMD       run the launcher under CMD (cross builds: qemu-user);
#                          the PDs too, through RUMPBRIDGE_PD_WRAPPER
#
# Without --exits: waits until stdout has as many lines as EXPECTED_STDOUT,
# waits 0.3 s more (extra output must show up), then sends SIGTERM, as
# run-qemu stops QEMU once the expected output is seen.  Then stdout must
# equal EXPECTED_STDOUT (carriage returns of a serial capture ignored).
set -u
status=0 exits= time=30 stderr_res=() emulator= sig=TERM extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--skip-unless)
		if [ ! -e "$2" ]; then echo "skipped: $2 is absent (set MICROKIT_SDK)"; exit 77; fi
		shift 2 ;;
	--needs-netns)
		if [ "$(id -u)" -ne 0 ]; then
			echo "skipped: netns=\"own\" needs root (the launcher creates the namespace)"; exit 77
		fi
		if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
			echo "skipped: this machine lacks /dev/net/tun or network namespaces (unshare -n)"; exit 77
		fi
		shift ;;
	--needs-cpus)
		if [ "$(nproc)" -lt "$2" ]; then echo "skipped: needs $2 CPUs, has $(nproc)"; exit 77; fi
		shift 2 ;;
	--status) status=$2; shift 2 ;;
	--stderr) stderr_res+=("$2"); shift 2 ;;
	--exits) exits=1; shift ;;
	--time) time=$2; shift 2 ;;
	--emulator) emulator=$2; shift 2 ;;
	--signal) sig=$2; shift 2 ;;
	--arg) extra+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 4 ] || { echo "usage: $0 [options] RUMPBRIDGE_RUN SYSTEM SEARCH_DIR EXPECTED" >&2; exit 2; }
run=$1 system=$2 dir=$3 expected=$4
out=$(mktemp) err=$(mktemp) want=$(mktemp)
trap 'rm -f "$out" "$err" "$want"' EXIT
tr -d '\r' <"$expected" >"$want"
nwant=$(wc -l <"$want")

if [ -n "$emulator" ]; then
	export RUMPBRIDGE_PD_WRAPPER="$emulator"
fi
# shellcheck disable=SC2086 # the emulator command is split into words
$emulator "$run" "$system" --search-path "$dir" --timeout "$time" "${extra[@]+"${extra[@]}"}" >"$out" 2>"$err" &
pid=$!
if [ -z "$exits" ]; then
	end=$((SECONDS + time))
	while kill -0 "$pid" 2>/dev/null && [ "$(wc -l <"$out")" -lt "$nwant" ] && [ $SECONDS -lt $end ]; do
		sleep 0.02
	done
	sleep 0.3
	kill -"$sig" "$pid" 2>/dev/null
fi
wait "$pid"
rc=$?
fail=
if ! diff -u "$want" "$out"; then
	echo "FAIL: console output differs from $expected (- expected, + got)"
	fail=1
fi
if [ "$rc" -ne "$status" ]; then
	echo "FAIL: exit status $rc, expected $status"
	fail=1
fi
for re in "${stderr_res[@]+"${stderr_res[@]}"}"; do
	if ! grep -qE -- "$re" "$err"; then
		echo "FAIL: stderr does not match /$re/"
		fail=1
	fi
done
# A sanitizer report from the launcher or a PD (sanitizer builds) fails too.
if grep -qE 'ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error:' "$err"; then
	echo "FAIL: a sanitizer reported a problem"
	fail=1
fi
if [ -n "$fail" ]; then
	echo "--- stderr:"
	cat "$err"
	exit 1
fi
echo "ok: $(basename "$system"): $nwant line(s) as expected, exit status $rc"
