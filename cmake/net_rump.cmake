# SPDX-License-Identifier: BSD-2-Clause
#
# The rump kernel's stack of the network component (src/net/stack_rump.c,
# virtif_host.c, virt_ring.c): built when RUMPBRIDGE_RUMPKERNEL names a
# kernel (tests/rumpuser/integration/rumpkernel.cmake finds it, and makes
# the shadow of its lib directory that flattened links need).
#
# RB_NET_RUMPKERNEL: the kernel's directory, or "" (no rump stack).
# rb_net_rump_link(<lib> <dir>): <lib> (rumpbridge_net_rump) gets the kernel's
# networking components with if_virt, our librumpuser (before the kernel's
# directory in the run path: the kernel's directory has NetBSD's own
# librumpuser.so.0), the shared librumpbridge, and NET_HAVE_RUMP.  The
# program exports rumpcomp_virt_*, so that librumpnet_virtif (whose full
# build carries NetBSD's host half on /dev/tap) calls ours.

include(${CMAKE_CURRENT_LIST_DIR}/../tests/rumpuser/integration/rumpkernel.cmake)
rb_find_rumpkernel(RB_NET_RUMPKERNEL)
if(RB_NET_RUMPKERNEL STREQUAL "")
  message(STATUS "net: no NetBSD rump kernel (RUMPBRIDGE_RUMPKERNEL): the rump stack is not built")
else()
  message(STATUS "net: the rump stack on the kernel at ${RB_NET_RUMPKERNEL}")
endif()

function(rb_net_rump_link lib dir)
  rb_rumpkernel_libdir("${dir}" libdir)
  set(libs rumpnet_config rumpnet_virtif rumpnet_netinet rumpnet_net rumpnet rumpvfs rump)
  set(flags "-Wl,--no-as-needed")
  foreach(l IN LISTS libs)
    if(NOT EXISTS "${libdir}/lib${l}.so")
      message(FATAL_ERROR "${dir}/lib/lib${l}.so is missing: the rump stack needs the "
                          "kernel's networking components with if_virt")
    endif()
    list(APPEND flags "${libdir}/lib${l}.so")
  endforeach()
  target_include_directories(${lib} SYSTEM PRIVATE "${dir}/include")
  # components register from constructors: no --as-needed for them
  target_link_libraries(${lib} PUBLIC rumpuser rumpbridge ${flags}
    "-Wl,--export-dynamic-symbol=rumpcomp_virt_*" Threads::Threads)
  target_compile_definitions(${lib} PUBLIC NET_HAVE_RUMP=1)
  set_property(GLOBAL PROPERTY RB_NET_RUMP_LIBDIR "${libdir}")
endfunction()

# rb_net_rump_rpath(<exe>): the run path of a program that links
# rumpbridge_net_rump: our librumpuser first.
function(rb_net_rump_rpath exe)
  get_property(libdir GLOBAL PROPERTY RB_NET_RUMP_LIBDIR)
  if(NOT libdir STREQUAL "")
    set_property(TARGET ${exe} PROPERTY BUILD_RPATH "$<TARGET_FILE_DIR:rumpuser>;${libdir}")
  endif()
endfunction()
