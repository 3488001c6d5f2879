# fuzz_config: the node configuration file (impl/node/config_file.h) on any bytes, with the render
# round trip. dynamo_node_config compiles toml++ header-only here, so the TOML parser is fuzzed too.
dynamo_fuzzer(fuzz_config)
# dynamo_core again after dynamo_node_config: the loader calls the core, and static libraries link in order.
target_link_libraries(fuzz_config PRIVATE dynamo_node_config dynamo_core)
