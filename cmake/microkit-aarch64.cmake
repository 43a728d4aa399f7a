# SPDX-License-Identifier: BSD-2-Clause
# Toolchain for code that runs inside a seL4 Microkit protection domain
# (AArch64, freestanding: no C library, no libgcc).  Used by the
# sub-project in src/mk/microkit/, which cmake/microkit.cmake builds as an
# ExternalProject of the host build.  Debian's gcc-aarch64-linux-gnu is
# enough (the SDK's BUILT.md line); its glibc headers are seen for macros
# and declarations only (errno.h, string.h, sys/queue.h), nothing of glibc
# is linked.
#
#   -mcpu=cortex-a53 -mstrict-align   as the SDK's libmicrokit is built
#   -ffreestanding -nostdlib          no hosted libc
#   -mno-outline-atomics              GCC 12 would call libgcc's
#                                     __aarch64_ldadd* helpers otherwise
#   -fno-stack-protector              no __stack_chk_guard in a PD
#   -fstack-clash-protection          a frame over a page probes each page,
#                                     so it cannot jump the 4 KiB guard
#                                     below a stack slot
# FP/SIMD registers stay allowed (no -mgeneral-regs-only): seL4 gives every
# thread the FPU (lazily switched, CONFIG_HAVE_FPU), and the context
# switches save d8-d15.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(MK_CROSS aarch64-linux-gnu CACHE STRING "Prefix of the AArch64 cross tools")
set(CMAKE_C_COMPILER ${MK_CROSS}-gcc)
set(CMAKE_ASM_COMPILER ${MK_CROSS}-gcc)
set(CMAKE_AR ${MK_CROSS}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${MK_CROSS}-ranlib CACHE FILEPATH "")
set(MK_LD ${MK_CROSS}-ld CACHE FILEPATH "Linker for PD images (the SDK links with ld)")
set(MK_NM ${MK_CROSS}-nm CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT
  "-mcpu=cortex-a53 -mstrict-align -ffreestanding -nostdlib -mno-outline-atomics -fno-stack-protector -fstack-clash-protection")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-a53")

# PD images are linked with ld and the SDK's script, as the SDK's examples
# do: <objects> <libraries> -lmicrokit -Tmicrokit.ld.
set(CMAKE_C_LINK_EXECUTABLE "${MK_LD} <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")
