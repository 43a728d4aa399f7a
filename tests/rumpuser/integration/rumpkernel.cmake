# SPDX-License-Identifier: BSD-2-Clause
#
# Locate an installed NetBSD rump kernel for the programs that run one on
# our librumpuser (the integration test, bench_rumpuser).  Nothing of the
# kernel is in this tree: the user builds it (buildrump.sh -k -V
# RUMP_CURLWP=hypercall) and names its install directory in
# RUMPBRIDGE_RUMPKERNEL, as an environment variable or a cache variable
# (-DRUMPBRIDGE_RUMPKERNEL=DIR wins over the environment; a relative DIR
# is taken from the root of the source tree).
#
# rb_find_rumpkernel(<dir-var>): sets <dir-var> to the install directory
# when it holds include/rump/rump.h and lib/librump.so, else to "".
# rb_rumpkernel_link(<target> <dir> [--netbsd-rumpuser]): compile and link
# <target> against that kernel's networking stack (shmif, netinet,
# netconfig).  The hypercall library is ours (target rumpuser) unless
# --netbsd-rumpuser asks for the kernel's own, for comparisons.
# rb_rumpkernel_has_shmif_host(<dir> <var>): whether the kernel's shmif
# library has its host half (rumpcomp_shmif_*): a full build, not -k.
# rb_rumpkernel_has_netbsd_rumpuser(<dir> <var>): whether the kernel's
# directory has NetBSD's own librumpuser (a full build), the reference.
#
# Programs link and run against a shadow of <dir>/lib in the build tree
# (rb_rumpkernel_libdir), never <dir>/lib itself: a kernel directory that
# was copied without its symbolic links (an archive, a file system or a
# transfer that flattens them) holds, in place of each link, a small text
# file with the name of its target (librump.so is "librump.so.0.0").  The
# linker takes such a file for a linker script, the loader for a broken
# library.  The shadow has a real symbolic link for each of those and a
# link to every other file as it is, so an intact directory works the same.

include_guard(GLOBAL)

set(RUMPBRIDGE_RUMPKERNEL "" CACHE PATH
  "Install directory of a NetBSD rump kernel built with buildrump.sh -k -V RUMP_CURLWP=hypercall (default: the environment variable of the same name)")

function(rb_find_rumpkernel out)
  set(dir "${RUMPBRIDGE_RUMPKERNEL}")
  if(dir STREQUAL "" AND DEFINED ENV{RUMPBRIDGE_RUMPKERNEL})
    set(dir "$ENV{RUMPBRIDGE_RUMPKERNEL}")
  endif()
  if(NOT dir STREQUAL "")
    # a relative path is relative to the source tree's root
    get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
    if(NOT EXISTS "${dir}/include/rump/rump.h" OR NOT EXISTS "${dir}/lib/librump.so")
      message(WARNING "RUMPBRIDGE_RUMPKERNEL=${dir} has no include/rump/rump.h or "
                      "lib/librump.so: the programs that need a rump kernel are skipped")
      set(dir "")
    endif()
  endif()
  if(NOT dir STREQUAL "")
    # The kernel's machine (ELF e_machine) must be the one we build for:
    # a cross build (the aarch64 suite) cannot use an x86_64 kernel.
    rb_rumpkernel_libdir("${dir}" libdir)
    file(READ "${libdir}/librump.so" machine OFFSET 18 LIMIT 2 HEX)
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
      set(want "3e00")
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
      set(want "b700")
    else()
      set(want "?")
    endif()
    if(NOT machine STREQUAL want)
      message(STATUS "RUMPBRIDGE_RUMPKERNEL=${dir} is not a kernel for "
                     "${CMAKE_SYSTEM_PROCESSOR} (ELF machine ${machine}): the programs "
                     "that need a rump kernel are skipped")
      set(dir "")
    endif()
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# rb_rumpkernel_libdir(<dir> <out>): the shadow of <dir>/lib, made once
# per configure run in ${CMAKE_BINARY_DIR}/rumpkernel-lib.
function(rb_rumpkernel_libdir dir out)
  set(shadow "${CMAKE_BINARY_DIR}/rumpkernel-lib")
  get_property(done GLOBAL PROPERTY RB_RUMPKERNEL_SHADOW_OF)
  if(NOT done STREQUAL "${dir}")
    file(REMOVE_RECURSE "${shadow}")
    file(MAKE_DIRECTORY "${shadow}")
    file(GLOB entries RELATIVE "${dir}/lib" "${dir}/lib/*")
    set(nresolved 0)
    foreach(name IN LISTS entries)
      set(target "${dir}/lib/${name}")
      # Follow names in flattened links (a chain, at most 8 deep).
      foreach(hop RANGE 8)
        if(IS_DIRECTORY "${target}" OR IS_SYMLINK "${target}")
          break()
        endif()
        file(SIZE "${target}" size)
        if(size GREATER 255)
          break()
        endif()
        file(READ "${target}" next)
        string(STRIP "${next}" next)
        if(next STREQUAL "" OR next MATCHES "[/\n]" OR NOT EXISTS "${dir}/lib/${next}"
           OR next STREQUAL name)
          break()
        endif()
        if(hop EQUAL 8)
          message(FATAL_ERROR "${dir}/lib/${name}: a chain of more than 8 flattened links")
        endif()
        set(target "${dir}/lib/${next}")
      endforeach()
      if(NOT target STREQUAL "${dir}/lib/${name}")
        math(EXPR nresolved "${nresolved} + 1")
      endif()
      file(CREATE_LINK "${target}" "${shadow}/${name}" SYMBOLIC)
    endforeach()
    if(nresolved GREATER 0)
      message(STATUS "rump kernel: ${nresolved} flattened symbolic links in ${dir}/lib "
                     "resolved in ${shadow}")
    endif()
    set_property(GLOBAL PROPERTY RB_RUMPKERNEL_SHADOW_OF "${dir}")
  endif()
  set(${out} "${shadow}" PARENT_SCOPE)
endfunction()

function(rb_rumpkernel_link target dir)
  rb_rumpkernel_libdir("${dir}" libdir)
  set(libs rumpnet_config rumpnet_shmif rumpnet_netinet rumpnet_net rumpnet rumpvfs rump)
  foreach(l IN LISTS libs)
    if(NOT EXISTS "${libdir}/lib${l}.so")
      message(FATAL_ERROR "${dir}/lib/lib${l}.so is missing: the rump kernel at ${dir} "
                          "must include the networking components")
    endif()
  endforeach()
  target_include_directories(${target} SYSTEM PRIVATE "${dir}/include")
  # The components register themselves from constructors: nothing refers
  # to them by name, so they must be linked without --as-needed.
  set(flags "-Wl,--no-as-needed")
  foreach(l IN LISTS libs)
    list(APPEND flags "${libdir}/lib${l}.so")
  endforeach()
  if("--netbsd-rumpuser" IN_LIST ARGN)
    list(APPEND flags "${libdir}/librumpuser.so")
    target_link_libraries(${target} PRIVATE ${flags} Threads::Threads)
  else()
    target_link_libraries(${target} PRIVATE ${flags} rumpuser)
  endif()
  # The kernel's libraries name librumpuser.so.0, and the kernel's
  # directory has one too: ours must come first in the run path.  (The
  # program names librumpuser.so.0 itself, so that copy serves the
  # kernel's libraries as well.)
  if("--netbsd-rumpuser" IN_LIST ARGN)
    set_property(TARGET ${target} PROPERTY BUILD_RPATH "${libdir}")
  else()
    set_property(TARGET ${target} PROPERTY BUILD_RPATH "$<TARGET_FILE_DIR:rumpuser>;${libdir}")
  endif()
endfunction()

# rb_rumpkernel_has_shmif_host(<dir> <var>): whether the kernel's shmif
# library carries its host half (a full build does, -k does not).
function(rb_rumpkernel_has_shmif_host dir out)
  rb_rumpkernel_libdir("${dir}" libdir)
  set(has FALSE)
  if(CMAKE_NM)
    execute_process(COMMAND ${CMAKE_NM} -D --defined-only "${libdir}/librumpnet_shmif.so"
      OUTPUT_VARIABLE syms ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND syms MATCHES "rumpcomp_shmif_watchwait")
      set(has TRUE)
    endif()
  endif()
  set(${out} ${has} PARENT_SCOPE)
endfunction()

function(rb_rumpkernel_has_netbsd_rumpuser dir out)
  rb_rumpkernel_libdir("${dir}" libdir)
  if(EXISTS "${libdir}/librumpuser.so")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()
