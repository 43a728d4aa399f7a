# SPDX-License-Identifier: BSD-2-Clause
# Install rules: headers, the four libraries, rumpbridge.pc and rumpuser.pc,
# and a CMake package, so that a program uses an installed rumpbridge with
#   pkg-config --cflags --libs rumpbridge      (or rumpuser)
# or
#   find_package(rumpbridge)  ->  rumpbridge::rumpbridge,
#     rumpbridge::rumpbridge_static, rumpbridge::rumpuser,
#     rumpbridge::rumpuser_static
# Both pass on RUMPBRIDGE_SANITIZE_FLAGS: a program linking a sanitizer
# build of the libraries must be built with the same sanitizer.
# tests/install checks all of it on a staged install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RB_LIBS rumpbridge rumpbridge_static rumpuser rumpuser_static)

# The same names inside this build tree (examples/ uses them either way).
foreach(t ${RB_LIBS})
  add_library(rumpbridge::${t} ALIAS ${t})
endforeach()

if(RUMPBRIDGE_SANITIZE_FLAGS)
  foreach(t ${RB_LIBS})
    target_compile_options(${t} INTERFACE "$<INSTALL_INTERFACE:${RUMPBRIDGE_SANITIZE_FLAGS}>")
    target_link_options(${t} INTERFACE "$<INSTALL_INTERFACE:${RUMPBRIDGE_SANITIZE_FLAGS}>")
  endforeach()
endif()

# librumpuser.so finds librumpbridge.so beside it, wherever both are.
set_target_properties(rumpuser PROPERTIES INSTALL_RPATH "$ORIGIN")

install(TARGETS ${RB_LIBS}
  EXPORT rumpbridgeTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/rumpbridge DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config files that locate the prefix from their own place
# (${pcfiledir}), so that `cmake --install --prefix P` may pick any P.
set(RB_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(RB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH rel "/p/${RB_PC_DIR}" "/p")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(RB_PC_PREFIX "\${pcfiledir}/${rel}")
endif()
list(JOIN RUMPBRIDGE_SANITIZE_FLAGS " " RB_PC_SANITIZE)
set(RB_PC_DL "")
foreach(l ${CMAKE_DL_LIBS})
  string(APPEND RB_PC_DL " -l${l}")
endforeach()
foreach(pc rumpbridge rumpuser)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${RB_PC_DIR})
endforeach()

# The CMake package.
set(RB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rumpbridge)
install(EXPORT rumpbridgeTargets NAMESPACE rumpbridge:: DESTINATION ${RB_CMAKE_DIR})
configure_package_config_file(cmake/rumpbridgeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/rumpbridgeConfig.cmake
  INSTALL_DESTINATION ${RB_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rumpbridgeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rumpbridgeConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/rumpbridgeConfigVersion.cmake
  DESTINATION ${RB_CMAKE_DIR})
