# SPDX-License-Identifier: BSD-2-Clause
# The seL4 Microkit build (docs/microkit.md), included by CMakeLists.txt.
#
# MICROKIT_SDK names an SDK as Microkit users do (default: the
# MICROKIT_SDK environment variable); MICROKIT_BOARD and MICROKIT_CONFIG
# pick the board and configuration inside it.  With an SDK, the sub-project
# src/mk/microkit/ is built as an ExternalProject with the toolchain file
# cmake/microkit-aarch64.cmake: librumpbridge_microkit.a (mk for a PD +
# dom) and the example and test images; the tests labelled `microkit` boot
# them under qemu-system-aarch64.  Without an SDK nothing of this is built
# and the `microkit` tests are registered as skipped, saying why.
#
# Sanitizer and cross builds (the other suites of scripts/run-tests) leave
# it out altogether: the PD code does not depend on the host's flags, and
# the normal build already boots it.
set(MICROKIT_SDK "$ENV{MICROKIT_SDK}" CACHE PATH
  "Microkit SDK directory (default: $MICROKIT_SDK); empty: no Microkit build")
set(MICROKIT_BOARD qemu_virt_aarch64 CACHE STRING "Microkit board")
set(MICROKIT_CONFIG debug CACHE STRING "Microkit configuration (debug prints on the console)")

if(RUMPBRIDGE_SANITIZE OR CMAKE_CROSSCOMPILING)
  message(STATUS "Microkit: not part of this build (sanitizer or cross build)")
  return()
endif()

# src/dom/ builds for a PD: freestanding headers only, no backend file
# (a source check; needs no SDK).
if(RUMPBRIDGE_TESTS)
  add_test(NAME microkit_dom_sources COMMAND bash
    ${PROJECT_SOURCE_DIR}/tests/microkit/check_dom_sources.sh ${PROJECT_SOURCE_DIR}/src/dom)
  set_tests_properties(microkit_dom_sources PROPERTIES LABELS microkit)
endif()

# The rump kernel for aarch64 (its BUILT.md) for the rump PD test: the
# RUMPBRIDGE_RUMPKERNEL_AARCH64 variable or environment variable, else
# ../shared/rumpkernel-aarch64 beside the source tree when it is there.
set(RB_RK_DEFAULT "$ENV{RUMPBRIDGE_RUMPKERNEL_AARCH64}")
if(NOT RB_RK_DEFAULT AND EXISTS ${PROJECT_SOURCE_DIR}/../shared/rumpkernel-aarch64/lib/librump.a)
  get_filename_component(RB_RK_DEFAULT ${PROJECT_SOURCE_DIR}/../shared/rumpkernel-aarch64 ABSOLUTE)
endif()
set(RUMPBRIDGE_RUMPKERNEL_AARCH64 "${RB_RK_DEFAULT}" CACHE PATH
  "NetBSD rump kernel built for aarch64 (lib/, include/rump/) for the rump PD test; empty: skipped")
set(RB_RK_SKIP "")
if(NOT RUMPBRIDGE_RUMPKERNEL_AARCH64)
  set(RB_RK_SKIP "no rump kernel for aarch64: set RUMPBRIDGE_RUMPKERNEL_AARCH64 (or have ../shared/rumpkernel-aarch64)")
elseif(NOT EXISTS ${RUMPBRIDGE_RUMPKERNEL_AARCH64}/lib/librump.a OR
       NOT EXISTS ${RUMPBRIDGE_RUMPKERNEL_AARCH64}/include/rump/rump.h)
  set(RB_RK_SKIP "${RUMPBRIDGE_RUMPKERNEL_AARCH64} has no lib/librump.a and include/rump/rump.h")
endif()
set(RB_RK_USE "")  # what the sub-project builds the rump PD with
if(NOT RB_RK_SKIP)
  set(RB_RK_USE ${RUMPBRIDGE_RUMPKERNEL_AARCH64})
endif()

set(RB_MK_SKIP "")
set(RB_MK_BOARD_DIR ${MICROKIT_SDK}/board/${MICROKIT_BOARD}/${MICROKIT_CONFIG})
find_program(RB_MK_CC aarch64-linux-gnu-gcc)
if(NOT MICROKIT_SDK)
  set(RB_MK_SKIP "no Microkit SDK: configure with -DMICROKIT_SDK=<sdk> or export MICROKIT_SDK")
elseif(NOT EXISTS ${RB_MK_BOARD_DIR}/lib/libmicrokit.a)
  set(RB_MK_SKIP "the Microkit SDK ${MICROKIT_SDK} has no board ${MICROKIT_BOARD}, config ${MICROKIT_CONFIG}")
elseif(NOT EXISTS ${MICROKIT_SDK}/bin/microkit)
  set(RB_MK_SKIP "the Microkit SDK ${MICROKIT_SDK} has no bin/microkit tool")
elseif(NOT RB_MK_CC)
  set(RB_MK_SKIP "no aarch64-linux-gnu-gcc (Debian gcc-aarch64-linux-gnu)")
endif()

# The images the microkit tests boot: test name, image (in the sub-build),
# checker script, and the checker's arguments after SDK IMAGE LOG, if any
# (pdtest: the event loop the image must say it runs).
set(RB_MK_TESTS
  "microkit_example|examples/example.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_example.sh"
  "microkit_pdtest|tests/pdtest.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_pdtest.sh|libmicrokit"
  "microkit_pdtest_loop|tests/pdtest_loop.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_pdtest.sh|own"
  "microkit_pdtest_loop_hs8|tests/pdtest_loop_hs8.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_pdtest.sh|own"
  "microkit_fault|tests/fault.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_fault.sh"
  "microkit_passive|tests/passive.img|${PROJECT_SOURCE_DIR}/tests/microkit/check_passive.sh")

if(RB_MK_SKIP)
  message(STATUS "Microkit: ${RB_MK_SKIP}; the microkit tests will be skipped")
  if(RUMPBRIDGE_TESTS)
    foreach(t ${RB_MK_TESTS} "microkit_rumppd" "microkit_rumppd_panic" "microkit_rumpnet"
        "microkit_pdtest_debug" "microkit_pdtest_loop_debug")
      string(REPLACE "|" ";" t "${t}")
      list(GET t 0 name)
      add_test(NAME ${name} COMMAND sh -c "echo \"SKIPPED: $0\"; exit 77" "${RB_MK_SKIP}")
      set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS microkit)
    endforeach()
    if(RUMPBRIDGE_BENCH)
      add_test(NAME microkit_bench COMMAND sh -c "echo \"SKIPPED: $0\"; exit 77" "${RB_MK_SKIP}")
      set_tests_properties(microkit_bench PROPERTIES SKIP_RETURN_CODE 77 LABELS "microkit;bench")
    endif()
  endif()
  return()
endif()

message(STATUS "Microkit: SDK ${MICROKIT_SDK}, board ${MICROKIT_BOARD}, config ${MICROKIT_CONFIG}")
include(ExternalProject)
set(RB_MK_BIN ${CMAKE_BINARY_DIR}/microkit)
ExternalProject_Add(rumpbridge_microkit
  SOURCE_DIR ${PROJECT_SOURCE_DIR}/src/mk/microkit
  BINARY_DIR ${RB_MK_BIN}
  INSTALL_DIR ${CMAKE_BINARY_DIR}/microkit-install
  CMAKE_ARGS
    -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/microkit-aarch64.cmake
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR>
    -DMICROKIT_SDK=${MICROKIT_SDK}
    -DMICROKIT_BOARD=${MICROKIT_BOARD}
    -DMICROKIT_CONFIG=${MICROKIT_CONFIG}
    -DRUMPBRIDGE_WERROR=${RUMPBRIDGE_WERROR}
    -DRUMPBRIDGE_RUMPKERNEL_AARCH64=${RB_RK_USE}
  BUILD_ALWAYS ON)

# `cmake --install` of the host build installs the Microkit library too.
install(CODE "execute_process(COMMAND \${CMAKE_COMMAND} --install ${RB_MK_BIN} --prefix \${CMAKE_INSTALL_PREFIX} COMMAND_ERROR_IS_FATAL ANY)")

if(RUMPBRIDGE_TESTS)
  foreach(t ${RB_MK_TESTS})
    string(REPLACE "|" ";" t "${t}")
    list(GET t 0 name)
    list(GET t 1 img)
    list(GET t 2 script)
    set(args "")
    list(LENGTH t n)
    if(n GREATER 3)
      list(SUBLIST t 3 -1 args)
    endif()
    add_test(NAME ${name} COMMAND bash ${script} ${MICROKIT_SDK} ${RB_MK_BIN}/${img}
      ${CMAKE_CURRENT_BINARY_DIR}/${name}.log ${args})
    # QEMU boots in well under a second; the script's own limit is 60 s
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS microkit)
  endforeach()
  # The same unit tests from a Debug build of the sub-project: dom's
  # invariants asserted inside the PD; with either event loop (one build
  # directory: the two take turns, RESOURCE_LOCK).
  foreach(v "pdtest|libmicrokit" "pdtest_loop|own")
    string(REPLACE "|" ";" v "${v}")
    list(GET v 0 img)
    list(GET v 1 loop)
    set(name microkit_${img}_debug)
    add_test(NAME ${name} COMMAND bash
      ${PROJECT_SOURCE_DIR}/tests/microkit/check_pdtest_debug.sh ${PROJECT_SOURCE_DIR} ${MICROKIT_SDK}
      ${MICROKIT_BOARD} ${MICROKIT_CONFIG} ${CMAKE_BINARY_DIR}/microkit-debug
      ${CMAKE_CURRENT_BINARY_DIR}/${name}.log ${img} ${loop})
    set_tests_properties(${name} PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
      LABELS microkit RESOURCE_LOCK microkit-debug)
  endforeach()
endif()
# The rump kernel in a PD (tests/microkit/rump): boots it, checks its work
# and the clean halt; skipped, saying why, without the aarch64 rump kernel.
if(RUMPBRIDGE_TESTS)
  if(RB_RK_SKIP)
    message(STATUS "Microkit: ${RB_RK_SKIP}; microkit_rumppd and microkit_rumppd_panic will be skipped")
    foreach(name microkit_rumppd microkit_rumppd_panic microkit_rumpnet)
      add_test(NAME ${name} COMMAND sh -c "echo \"SKIPPED: $0\"; exit 77" "${RB_RK_SKIP}")
    endforeach()
  else()
    add_test(NAME microkit_rumppd COMMAND bash ${PROJECT_SOURCE_DIR}/tests/microkit/check_rumppd.sh
      ${MICROKIT_SDK} ${RB_MK_BIN}/tests/rump/rumppd.img ${CMAKE_CURRENT_BINARY_DIR}/microkit_rumppd.log
      ${RB_MK_BIN}/tests/rump/rumppd.elf ${RB_MK_BIN}/tests/rump/rumppd_noslice.img)
    add_test(NAME microkit_rumppd_panic COMMAND bash
      ${PROJECT_SOURCE_DIR}/tests/microkit/check_rumppd_panic.sh ${MICROKIT_SDK}
      ${RB_MK_BIN}/tests/rump/rumppd_panic.img ${CMAKE_CURRENT_BINARY_DIR}/microkit_rumppd_panic.log)
    # The seed's system (examples/microkit-rump): client, rump kernel, NIC PDs.
    add_test(NAME microkit_rumpnet COMMAND bash ${PROJECT_SOURCE_DIR}/tests/microkit/check_rumpnet.sh
      ${MICROKIT_SDK} ${RB_MK_BIN}/examples-rump/rumpnet.img ${CMAKE_CURRENT_BINARY_DIR}/microkit_rumpnet.log
      ${CMAKE_CURRENT_BINARY_DIR}/bench_microkit_rumpnet.json ${RB_MK_BIN}/examples-rump/rumpnet.elf)
  endif()
  set_tests_properties(microkit_rumppd microkit_rumppd_panic microkit_rumpnet PROPERTIES
    TIMEOUT 200 SKIP_RETURN_CODE 77 LABELS microkit)
endif()
# The benchmark (bench/microkit): a table on the console, figures in
# bench_microkit.json.  Run in the suite as a smoke test with RUMPBRIDGE_BENCH.
if(RUMPBRIDGE_TESTS AND RUMPBRIDGE_BENCH)
  add_test(NAME microkit_bench COMMAND bash ${PROJECT_SOURCE_DIR}/bench/microkit/run.sh
    ${MICROKIT_SDK} ${RB_MK_BIN}/bench/bench.img ${CMAKE_CURRENT_BINARY_DIR}/microkit_bench.log
    ${CMAKE_CURRENT_BINARY_DIR}/bench_microkit.json)
  set_tests_properties(microkit_bench PROPERTIES TIMEOUT 200 SKIP_RETURN_CODE 77 LABELS "microkit;bench")
endif()
