# SPDX-License-Identifier: BSD-2-Clause
# cmake -DPROG=hello-domain [-DEMU=emulator;args] -P check.cmake
# Runs the example and checks both its exit status and its report.
execute_process(COMMAND ${EMU} ${PROG} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hello-domain exited with ${rc}")
endif()
foreach(re
    "sender: +the counters ran while the waiter was blocked: raised event 0x1\n"
    "waiter: +woke with event 0x1 after [0-9.]+ ms blocked\n"
    "counter-1: [0-9]+ turns, [1-9][0-9][0-9][0-9]+ of them while the waiter was blocked\n"
    "counter-2: [0-9]+ turns, [1-9][0-9][0-9][0-9]+ of them while the waiter was blocked\n"
    "hello-domain: OK\n")
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "hello-domain's report lacks a line matching: ${re}")
  endif()
endforeach()
