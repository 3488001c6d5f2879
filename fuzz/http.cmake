# The HTTP API rules (impl/net/http_api.h): any request bytes must give a core call or an error
# answer, and any core reply a well-formed response. The context codec comes from dynamo_wire.
if(TARGET dynamo_wire)
  dynamo_fuzzer(fuzz_http)
  # The core again after the codec: dynamo_wire calls it, and static libraries resolve left to right.
  target_link_libraries(fuzz_http PRIVATE dynamo_http dynamo_wire dynamo_core)
endif()
