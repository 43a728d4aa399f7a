# SPDX-License-Identifier: BSD-2-Clause
# cmake -DNM=... -DLIB=librumpbridge_microkit.a -DLIBMICROKIT=libmicrokit.a [-DEXTRA=lib.a] -P check_undefined.cmake
# Fails when the library needs a symbol that neither it nor libmicrokit
# (nor EXTRA, a library it is linked with) defines: a call into a C
# library or libgcc that a PD does not have.
execute_process(COMMAND ${NM} -g --defined-only ${LIB} ${LIBMICROKIT} ${EXTRA}
  OUTPUT_VARIABLE defined RESULT_VARIABLE r1)
execute_process(COMMAND ${NM} -g --undefined-only ${LIB}
  OUTPUT_VARIABLE undefined RESULT_VARIABLE r2)
if(NOT r1 EQUAL 0 OR NOT r2 EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIB}")
endif()
string(REGEX MATCHALL "[^\n]+" dlines "${defined}")
set(have)
foreach(l ${dlines})
  if(l MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
    list(APPEND have ${CMAKE_MATCH_1})
  endif()
endforeach()
string(REGEX MATCHALL "[^\n]+" ulines "${undefined}")
set(missing)
foreach(l ${ulines})
  if(l MATCHES "^ +[Uw] (.+)$")
    set(sym ${CMAKE_MATCH_1})
    # the PD supplies these (libmicrokit calls them), not the library;
    # the linker makes a link set's __start_/__stop_ symbols
    if(sym MATCHES "^(init|notified|protected|fault)$" OR sym MATCHES "^__(start|stop)_link_set_")
      continue()
    endif()
    list(FIND have ${sym} i)
    if(i EQUAL -1)
      list(APPEND missing ${sym})
    endif()
  endif()
endforeach()
if(missing)
  list(REMOVE_DUPLICATES missing)
  message(FATAL_ERROR "${LIB} needs symbols that a PD does not have: ${missing}")
endif()
