# The sealed envelope of node -> node messages (peer_auth.h): HMAC-SHA256 through OpenSSL's EVP_MAC.
# Header-only use of the core (result.h), so no dynamo_core link, as the other impl/net libraries.
add_library(dynamo_peer_auth STATIC ${CMAKE_CURRENT_LIST_DIR}/hmac.cc ${CMAKE_CURRENT_LIST_DIR}/peer_auth.cc)
target_include_directories(dynamo_peer_auth PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(dynamo_peer_auth PUBLIC OpenSSL::Crypto)

if(DYNAMO_TESTS)
  add_executable(peer_auth_tests ${CMAKE_CURRENT_LIST_DIR}/peer_auth_test.cc)
  target_link_libraries(peer_auth_tests PRIVATE dynamo_peer_auth GTest::gtest_main)
  gtest_discover_tests(peer_auth_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  # The MAC's cost per batch (docs/security.md quotes it): `peer_auth_cost`, run by hand.
  add_executable(peer_auth_cost ${CMAKE_CURRENT_LIST_DIR}/peer_auth_cost.cc)
  target_link_libraries(peer_auth_cost PRIVATE dynamo_peer_auth)
endif()
