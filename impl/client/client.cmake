# The client library: one connection per node (NNG REQ) and the partition-aware client over them.
find_package(nng REQUIRED)
add_library(dynamo_client STATIC connection.cc client.cc)
target_include_directories(dynamo_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(dynamo_client PUBLIC dynamo_wire nng::nng)
