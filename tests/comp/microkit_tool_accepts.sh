#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Microkit tool accepts a system file with rumpbridge's Linux-only
# settings (<?rumpbridge ...?>), and refuses the same setting written as
# an attribute.  Builds a PD ELF for the SDK's board (the SDK's hello.c,
# Debian's aarch64 cross toolchain) and runs the SDK's bin/microkit.
#   microkit_tool_accepts.sh SDK SYSTEM_FILE
set -u
sdk=$1 system=$2
board=qemu_virt_aarch64 config=debug
bdir=$sdk/board/$board/$config
if [ ! -x "$sdk/bin/microkit" ] || [ ! -d "$bdir" ]; then
	echo "skipped: no Microkit SDK with bin/microkit and $board/$config at '$sdk'"; exit 77
fi
for t in aarch64-linux-gnu-gcc aarch64-linux-gnu-ld; do
	command -v $t >/dev/null || { echo "skipped: $t not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
aarch64-linux-gnu-gcc -c -mcpu=cortex-a53 -mstrict-align -nostdlib -ffreestanding -O2 \
	-Wall -Wno-unused-function -I"$bdir/include" "$sdk/example/hello/hello.c" -o "$tmp/a.o" || exit 1
aarch64-linux-gnu-ld -L"$bdir/lib" "$tmp/a.o" -lmicrokit -Tmicrokit.ld -o "$tmp/a.elf" || exit 1
if ! MICROKIT_SDK=$sdk "$sdk/bin/microkit" "$system" --search-path "$tmp" --board $board \
	--config $config -o "$tmp/loader.img" -r "$tmp/report.txt"; then
	echo "FAIL: the Microkit tool refused $system"
	exit 1
fi
sed 's/<protection_domain name="server" priority="200"/& vcpus="2"/' "$system" >"$tmp/attr.system"
if MICROKIT_SDK=$sdk "$sdk/bin/microkit" "$tmp/attr.system" --search-path "$tmp" --board $board \
	--config $config -o "$tmp/loader2.img" -r "$tmp/report2.txt" >"$tmp/out" 2>&1; then
	echo "FAIL: the Microkit tool accepted an unknown attribute (the control case)"
	exit 1
fi
grep -q "invalid attribute 'vcpus'" "$tmp/out" || { cat "$tmp/out"; echo "FAIL: unexpected refusal"; exit 1; }
echo "ok: the Microkit tool builds an image from $(basename "$system") and refuses vcpus as an attribute"
