#!/usr/bin/env bash
# check_pdtest_debug.sh SRC SDK BOARD CONFIG BUILD_DIR LOG [NAME [LOOP]]
# The domain's unit tests inside a PD (tests/microkit/pdtest.c) from a
# Debug build of the Microkit sub-project: dom's invariants are asserted
# (DOM_DEBUG), including the spin-lock counts, which a PD keeps in plain
# globals (it has no TLS).  Builds only the image NAME (default pdtest;
# pdtest_loop: the library's event loop), then boots it as
# microkit_pdtest does (LOOP: check_pdtest.sh's).
set -uo pipefail
src=$1 sdk=$2 board=$3 config=$4 dir=$5 log=$6 name=${7:-pdtest} loop=${8:-}
cmake -S "$src/src/mk/microkit" -B "$dir" -G Ninja \
	-DCMAKE_TOOLCHAIN_FILE="$src/cmake/microkit-aarch64.cmake" -DCMAKE_BUILD_TYPE=Debug \
	-DMICROKIT_SDK="$sdk" -DMICROKIT_BOARD="$board" -DMICROKIT_CONFIG="$config" \
	-DRUMPBRIDGE_WERROR=ON -DRUMPBRIDGE_RUMPKERNEL_AARCH64= >"$dir.configure.log" 2>&1 ||
	{ echo "FAIL: configuring the Debug Microkit build: $dir.configure.log"; tail -5 "$dir.configure.log"; exit 1; }
cmake --build "$dir" --target "${name}_image" >"$dir.$name.build.log" 2>&1 ||
	{ echo "FAIL: building the Debug $name image: $dir.$name.build.log"; grep -E "error|undefined" "$dir.$name.build.log" | head -5; exit 1; }
grep -q -- "-DNDEBUG" "$dir/build.ninja" && { echo "FAIL: the Debug build has -DNDEBUG (no asserts)"; exit 1; }
exec bash "$src/tests/microkit/check_pdtest.sh" "$sdk" "$dir/tests/$name.img" "$log" $loop
