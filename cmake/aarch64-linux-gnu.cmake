# SPDX-License-Identifier: BSD-2-Clause
# Cross build for AArch64 Linux with Debian's cross toolchain, tests run
# under qemu-user.  Needs (scripts/deps.sh installs them):
#   gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
#   libcmocka-dev:arm64   (multiarch: dpkg --add-architecture arm64)
#
#   cmake -S . -B build-arm -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   ninja -C build-arm && (cd build-arm && ctest)
#
# CTest runs every add_test(NAME n COMMAND target) through
# CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(RB_CROSS_TRIPLET aarch64-linux-gnu)
set(RB_CROSS_ROOT /usr/${RB_CROSS_TRIPLET})

set(CMAKE_C_COMPILER ${RB_CROSS_TRIPLET}-gcc)
set(CMAKE_ASM_COMPILER ${RB_CROSS_TRIPLET}-gcc)

# The cross libc is in /usr/aarch64-linux-gnu; the multiarch arm64 packages
# (libcmocka-dev:arm64) are in /usr/lib/aarch64-linux-gnu, under /.
set(CMAKE_FIND_ROOT_PATH ${RB_CROSS_ROOT} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config sees only the arm64 .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${RB_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
unset(ENV{PKG_CONFIG_SYSROOT_DIR})

# qemu-user.  The dynamic loader and libc must come from one glibc build:
# a loader from one and a libc.so.6 from the other hangs in the first
# pthread_create.  With multiarch libc6:arm64 installed (libcmocka0:arm64
# pulls it in) the loader is /lib/ld-linux-aarch64.so.1 and ld.so.cache
# sends it to /lib/aarch64-linux-gnu/libc.so.6, the same package; "-L
# /usr/aarch64-linux-gnu" would swap in the cross loader only and leave
# the multiarch libc, so it is used only where multiarch libc is absent.
find_program(RB_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(NOT RB_QEMU_AARCH64)
  message(WARNING "qemu-aarch64(-static) not found: the tests build but cannot run")
elseif(EXISTS /lib/ld-linux-aarch64.so.1 AND EXISTS /lib/${RB_CROSS_TRIPLET}/libc.so.6)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RB_QEMU_AARCH64})
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RB_QEMU_AARCH64} -L ${RB_CROSS_ROOT})
endif()
