# The node runtime: event loop, storage thread, NNG transports, HTTP server.
find_package(nng REQUIRED)
add_library(dynamo_node STATIC
  log.cc
  epoch_file.cc
  storage_worker.cc
  peer_transport.cc
  client_server.cc
  http_server.cc
  node_runtime.cc
  node_calls.cc
  membership_runtime.cc
  durable_file.cc)
target_include_directories(dynamo_node PUBLIC ${PROJECT_SOURCE_DIR})
# No dynamo_core or dynamo_store here: the executable links the core variant it wants (mutants).
target_link_libraries(dynamo_node PUBLIC dynamo_node_config dynamo_client dynamo_http dynamo_wire dynamo_peer_auth
                      nng::nng)

if(DYNAMO_TESTS)
  add_executable(http_server_tests ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cc)
  # The node libraries link no core of their own (impl/cli/CMakeLists.txt): it comes after them.
  target_link_libraries(http_server_tests PRIVATE dynamo_node dynamo_client dynamo_http dynamo_wire dynamo_core
                        GTest::gtest_main)
  # Both tests bind one fixed loopback port.
  gtest_discover_tests(http_server_tests PROPERTIES LABELS threads RESOURCE_LOCK http_port_19761 DISCOVERY_TIMEOUT 60)
endif()
