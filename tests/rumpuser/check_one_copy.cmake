# SPDX-License-Identifier: BSD-2-Clause
#
# One copy of mk and dom in a program: librumpuser must not carry its own
# (two copies would mean two sets of TLS slots and locks in a program that
# links librumpbridge too).  Run by CTest:
#   cmake -DNM=<nm> -DOBJDUMP=<objdump> -DSHARED=<librumpuser.so>
#         -DSTATIC=<librumpuser.a> -P check_one_copy.cmake
# Fails when either library defines a dom_ or mk_ symbol (global or
# local), or when the shared one does not name librumpbridge as needed.

foreach(lib IN ITEMS "${SHARED}" "${STATIC}")
  execute_process(COMMAND "${NM}" --defined-only "${lib}"
    OUTPUT_VARIABLE syms ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${lib} failed: ${err}")
  endif()
  string(REGEX MATCHALL "[0-9a-fA-F]+ [A-Za-z] (dom|mk)_[A-Za-z0-9_]+" own "${syms}")
  if(own)
    list(LENGTH own n)
    list(SUBLIST own 0 5 first)
    message(FATAL_ERROR "${lib} defines ${n} mk/dom symbols (a second copy of "
                        "librumpbridge), e.g. ${first}")
  endif()
  message(STATUS "${lib}: no mk_/dom_ symbol defined")
endforeach()

execute_process(COMMAND "${OBJDUMP}" -p "${SHARED}"
  OUTPUT_VARIABLE dyn ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -p ${SHARED} failed: ${err}")
endif()
if(NOT dyn MATCHES "NEEDED +librumpbridge\\.so\\.0")
  message(FATAL_ERROR "${SHARED} does not link librumpbridge.so.0")
endif()
message(STATUS "${SHARED}: NEEDED librumpbridge.so.0")
