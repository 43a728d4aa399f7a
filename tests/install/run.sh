#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh BUILD_DIR SOURCE_DIR CC CXX GENERATOR
#
# Installs the build into BUILD_DIR/stage (cmake --install --prefix), then
# builds programs against that install the two ways README describes and
# runs them with LD_LIBRARY_PATH unset:
#   1. pkg-config rumpbridge / rumpuser, with -Wl,-rpath at the libdir;
#   2. find_package(rumpbridge) in a CMake project (tests/install/consumer,
#      and examples/hello-domain built on its own), which links the
#      imported targets rumpbridge::rumpbridge, ::rumpbridge_static,
#      ::rumpuser and runs from its build tree (CMake's build RPATH).
set -euo pipefail

if [ $# -ne 5 ]; then
	echo "usage: $0 BUILD_DIR SOURCE_DIR CC CXX GENERATOR" >&2
	exit 2
fi
build=$1 src=$2 cc=$3 cxx=$4 gen=$5
stage=$build/stage
work=$build/tests/install/work
consumer=$src/tests/install/consumer
rm -rf "$stage" "$work"
mkdir -p "$work"
unset LD_LIBRARY_PATH

# run LOG CMD...: run quietly, show the log when it fails
run() {
	local log=$work/$1
	shift
	echo "+ $*"
	if ! "$@" >"$log" 2>&1; then
		cat "$log"
		echo "install test: failed: $*"
		exit 1
	fi
}

run install.log cmake --install "$build" --prefix "$stage"

# 1. pkg-config, seeing only the staged .pc files
pc=$(dirname "$(find "$stage" -name rumpbridge.pc | head -1)")
export PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=
for m in rumpbridge rumpuser; do
	echo "pkg-config $m: $(pkg-config --cflags --libs $m)"
done
libdir=$(pkg-config --variable=libdir rumpbridge)
# shellcheck disable=SC2046 # pkg-config's words are meant to split
run cc-pc.log "$cc" -o "$work/pc_consumer" "$consumer/consumer.c" \
	$(pkg-config --cflags --libs rumpbridge) -Wl,-rpath,"$libdir"
# shellcheck disable=SC2046
run cc-pc-rumpuser.log "$cc" -o "$work/pc_consumer_rumpuser" "$consumer/consumer_rumpuser.c" \
	$(pkg-config --cflags --libs rumpuser) -Wl,-rpath,"$libdir"
"$work/pc_consumer"
"$work/pc_consumer_rumpuser"

# 2. find_package, seeing only the stage
cmake_args=(-G "$gen" -DCMAKE_PREFIX_PATH="$stage" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx")
run cmake-consumer.log cmake -S "$consumer" -B "$work/consumer" "${cmake_args[@]}"
run build-consumer.log cmake --build "$work/consumer"
for p in consumer_shared consumer_static consumer_cxx consumer_rumpuser; do
	"$work/consumer/$p"
done
run cmake-hello.log cmake -S "$src/examples/hello-domain" -B "$work/hello" "${cmake_args[@]}"
run build-hello.log cmake --build "$work/hello"
"$work/hello/hello-domain"
echo "install test: all consumers built and ran"
