# fuzz_wire: every wire decoder (impl/net/wire.h) on any bytes, with the round-trip property.
dynamo_fuzzer(fuzz_wire)
# dynamo_core again after dynamo_wire: the codec calls the core, and static libraries link in order.
target_link_libraries(fuzz_wire PRIVATE dynamo_wire dynamo_core)
