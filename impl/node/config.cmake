# The node's TOML configuration file (config_file.h): dynamo_node_config, read with toml++.
#
# toml++ from Debian (libtomlplusplus-dev): the compiled library (libtomlplusplus.so) through its CMake
# package. The fuzz build compiles toml++ header-only into this library instead, so its parser is
# instrumented too (coverage feedback, ASan, UBSan) rather than a black box.
#
# No dynamo_core link here, on purpose (as dynamo_wire, dynamo_http, dynamo_node): the loader calls the
# core (Ring::build, validate), but every executable links the core variant it wants, so a mutant
# `dynamo` never gets the real core through this library as well; executables list dynamo_core after
# it. No dynamo_wire either: config_file.h uses only its header-only struct net::MemberAddress.
find_package(tomlplusplus REQUIRED)

add_library(dynamo_node_config STATIC ${CMAKE_CURRENT_LIST_DIR}/config_file.cc ${CMAKE_CURRENT_LIST_DIR}/cluster_secret.cc)
target_include_directories(dynamo_node_config PUBLIC ${PROJECT_SOURCE_DIR})
# cluster_secret.cc draws a new secret with OpenSSL's RAND_bytes (`dynamo cluster up`).
target_link_libraries(dynamo_node_config PUBLIC OpenSSL::Crypto)
if(DYNAMO_FUZZ)
  # <toml++/toml.h> is in /usr/include, searched anyway.
  target_compile_definitions(dynamo_node_config PRIVATE TOML_HEADER_ONLY=1)
else()
  target_link_libraries(dynamo_node_config PRIVATE tomlplusplus::tomlplusplus)
endif()

if(DYNAMO_TESTS)
  add_executable(config_file_tests ${CMAKE_CURRENT_LIST_DIR}/config_file_test.cc)
  target_link_libraries(config_file_tests PRIVATE dynamo_node_config dynamo_core GTest::gtest_main)
  gtest_discover_tests(config_file_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endif()
