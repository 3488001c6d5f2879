# The client library: one connection per node (NNG REQ) and the partition-aware client over them.
find_package(nng REQUIRED)
add_library(dynamo_client STATIC connection.cc client.cc)
target_include_directories(dynamo_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(dynamo_client PUBLIC dynamo_wire nng::nng)

if(DYNAMO_TESTS)
  add_executable(client_tests ${CMAKE_CURRENT_LIST_DIR}/client_test.cc)
  target_link_libraries(client_tests PRIVATE dynamo_client dynamo_wire dynamo_core GTest::gtest_main)
  # The fake nodes listen on three fixed loopback ports (19831-19833).
  gtest_discover_tests(client_tests PROPERTIES LABELS threads RESOURCE_LOCK client_test_ports DISCOVERY_TIMEOUT 60)
endif()
