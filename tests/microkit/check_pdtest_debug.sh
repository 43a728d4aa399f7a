#!/usr/bin/env bash
# check_pdtest_debug.sh SRC SDK BOARD CONFIG BUILD_DIR LOG
# The domain's unit tests inside a PD (tests/microkit/pdtest.c) from a
# Debug build of the Microkit sub-project: dom's invariants are asserted
# (DOM_DEBUG), including the spin-lock counts, which a PD keeps in plain
# globals (it has no TLS).  Builds only the pdtest image, then boots it
# as microkit_pdtest does.
set -uo pipefail
src=$1 sdk=$2 board=$3 config=$4 dir=$5 log=$6
cmake -S "$src/src/mk/microkit" -B "$dir" -G Ninja \
	-DCMAKE_TOOLCHAIN_FILE="$src/cmake/microkit-aarch64.cmake" -DCMAKE_BUILD_TYPE=Debug \
	-DMICROKIT_SDK="$sdk" -DMICROKIT_BOARD="$board" -DMICROKIT_CONFIG="$config" \
	-DRUMPBRIDGE_WERROR=ON -DRUMPBRIDGE_RUMPKERNEL_AARCH64= >"$dir.configure.log" 2>&1 ||
	{ echo "FAIL: configuring the Debug Microkit build: $dir.configure.log"; tail -5 "$dir.configure.log"; exit 1; }
cmake --build "$dir" --target pdtest_image >"$dir.build.log" 2>&1 ||
	{ echo "FAIL: building the Debug pdtest image: $dir.build.log"; grep -E "error|undefined" "$dir.build.log" | head -5; exit 1; }
grep -q -- "-DNDEBUG" "$dir/build.ninja" && { echo "FAIL: the Debug build has -DNDEBUG (no asserts)"; exit 1; }
exec bash "$src/tests/microkit/check_pdtest.sh" "$sdk" "$dir/tests/pdtest.img" "$log"
