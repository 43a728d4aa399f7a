# SPDX-License-Identifier: BSD-2-Clause
#
# Locate an installed NetBSD rump kernel for the programs that run one on
# our librumpuser (the integration test, bench_rumpuser).  Nothing of the
# kernel is in this tree: the user builds it (buildrump.sh -k -V
# RUMP_CURLWP=hypercall) and names its install directory in
# RUMPBRIDGE_RUMPKERNEL, as an environment variable or a cache variable
# (-DRUMPBRIDGE_RUMPKERNEL=DIR wins over the environment).
#
# rb_find_rumpkernel(<dir-var>): sets <dir-var> to the install directory
# when it holds include/rump/rump.h and lib/librump.so, else to "".
# rb_rumpkernel_link(<target> <dir> [--netbsd-rumpuser]): compile and link
# <target> against that kernel's networking stack (shmif, netinet,
# netconfig).  The hypercall library is ours (target rumpuser) unless
# --netbsd-rumpuser asks for the kernel's own, for comparisons.
# rb_rumpkernel_has_shmif_host(<dir> <var>): whether the kernel's shmif
# library has its host half (rumpcomp_shmif_*): a full build, not -k.

include_guard(GLOBAL)

set(RUMPBRIDGE_RUMPKERNEL "" CACHE PATH
  "Install directory of a NetBSD rump kernel built with buildrump.sh -k -V RUMP_CURLWP=hypercall (default: the environment variable of the same name)")

function(rb_find_rumpkernel out)
  set(dir "${RUMPBRIDGE_RUMPKERNEL}")
  if(dir STREQUAL "" AND DEFINED ENV{RUMPBRIDGE_RUMPKERNEL})
    set(dir "$ENV{RUMPBRIDGE_RUMPKERNEL}")
  endif()
  if(NOT dir STREQUAL "")
    if(NOT EXISTS "${dir}/include/rump/rump.h" OR NOT EXISTS "${dir}/lib/librump.so")
      message(WARNING "RUMPBRIDGE_RUMPKERNEL=${dir} has no include/rump/rump.h or "
                      "lib/librump.so: the programs that need a rump kernel are skipped")
      set(dir "")
    endif()
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

function(rb_rumpkernel_link target dir)
  set(libs rumpnet_config rumpnet_shmif rumpnet_netinet rumpnet_net rumpnet rumpvfs rump)
  foreach(l IN LISTS libs)
    if(NOT EXISTS "${dir}/lib/lib${l}.so")
      message(FATAL_ERROR "${dir}/lib/lib${l}.so is missing: the rump kernel at ${dir} "
                          "must include the networking components")
    endif()
  endforeach()
  target_include_directories(${target} SYSTEM PRIVATE "${dir}/include")
  # The components register themselves from constructors: nothing refers
  # to them by name, so they must be linked without --as-needed.
  set(flags "-Wl,--no-as-needed")
  foreach(l IN LISTS libs)
    list(APPEND flags "${dir}/lib/lib${l}.so")
  endforeach()
  if("--netbsd-rumpuser" IN_LIST ARGN)
    list(APPEND flags "${dir}/lib/librumpuser.so")
    target_link_libraries(${target} PRIVATE ${flags} Threads::Threads)
  else()
    target_link_libraries(${target} PRIVATE ${flags} rumpuser)
  endif()
  # The kernel's libraries name librumpuser.so.0, and the kernel's
  # directory has one too: ours must come first in the run path.  (The
  # program names librumpuser.so.0 itself, so that copy serves the
  # kernel's libraries as well.)
  if("--netbsd-rumpuser" IN_LIST ARGN)
    set_property(TARGET ${target} PROPERTY BUILD_RPATH "${dir}/lib")
  else()
    set_property(TARGET ${target} PROPERTY BUILD_RPATH "$<TARGET_FILE_DIR:rumpuser>;${dir}/lib")
  endif()
endfunction()

# rb_rumpkernel_has_shmif_host(<dir> <var>): whether the kernel's shmif
# library carries its host half (a full build does, -k does not).
function(rb_rumpkernel_has_shmif_host dir out)
  set(has FALSE)
  if(CMAKE_NM)
    execute_process(COMMAND ${CMAKE_NM} -D --defined-only "${dir}/lib/librumpnet_shmif.so"
      OUTPUT_VARIABLE syms ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND syms MATCHES "rumpcomp_shmif_watchwait")
      set(has TRUE)
    endif()
  endif()
  set(${out} ${has} PARENT_SCOPE)
endfunction()
