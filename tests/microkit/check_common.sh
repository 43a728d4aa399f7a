# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the check_*.sh scripts that boot a Microkit image under QEMU
# (check_example, check_pdtest, check_fault, check_rumppd,
# check_rumppd_panic); the caller sets sdk, img and log first.

# mk_boot LIMIT PATTERN: skip (exit 77) without QEMU, fail (exit 1)
# without the image; else boot the image with the SDK's run-qemu until a
# console line matches PATTERN, at most LIMIT s (and killed LIMIT + 30 s
# on).  Leaves run-qemu's exit code in boot_rc and the console, without
# its CRs, in $log.txt.
mk_boot() {
	if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
		echo "SKIPPED: qemu-system-aarch64 not found (Debian qemu-system-arm; scripts/deps.sh installs it)"
		exit 77
	fi
	[ -r "$img" ] || { echo "FAIL: no image $img"; exit 1; }
	RUN_QEMU_LOG=$log timeout $(($1 + 30)) "$sdk/run-qemu" "$img" "$1" "$2" >/dev/null
	boot_rc=$?
	tr -d '\r' <"$log" >"$log.txt"
}

# mk_boot_ok: fail (exit 1) unless run-qemu saw PATTERN in time.
mk_boot_ok() {
	if [ "$boot_rc" -ne 0 ]; then
		echo "FAIL: run-qemu exited $boot_rc (timeout or QEMU died); log: $log"
		exit 1
	fi
}

# need REGEX WHAT: a console line must match REGEX, else say what is
# missing and set fail=1.
fail=0
need() {
	if ! grep -qE "$1" "$log.txt"; then
		echo "FAIL: $2 (no line matching '$1')"
		fail=1
	fi
}
