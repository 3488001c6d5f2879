# The HTTP API rules (http_api.h: paths, statuses, headers, multipart siblings, base64 contexts) and
# the node's Prometheus metrics (metrics.h), as pure code with no sockets: dynamo_http.
#
# No dynamo_core link here, on purpose (as dynamo_node and dynamo_client): the sources only use the
# core's header-only parts, and every executable links the core variant it wants, so a mutant
# `dynamo` (proptests/CMakeLists.txt) never gets the real core through this library as well.
add_library(dynamo_http STATIC
  ${CMAKE_CURRENT_LIST_DIR}/base64.cc
  ${CMAKE_CURRENT_LIST_DIR}/multipart.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_api.cc
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cc)
target_include_directories(dynamo_http PUBLIC ${PROJECT_SOURCE_DIR})
if(TARGET dynamo_wire)
  target_link_libraries(dynamo_http PUBLIC dynamo_wire)  # encode_context / decode_context
endif()

if(DYNAMO_TESTS)
  add_executable(http_api_tests
    ${CMAKE_CURRENT_LIST_DIR}/http_api_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc)
  # dynamo_wire (the context codec) before dynamo_core: the codec calls the core, and static
  # libraries resolve left to right.
  target_link_libraries(http_api_tests PRIVATE dynamo_http dynamo_wire dynamo_core GTest::gtest_main)
  gtest_discover_tests(http_api_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endif()
