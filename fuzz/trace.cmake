# fuzz_trace_reader: the trace reader (impl/check/trace_reader.h) on any bytes; an OK trace must be
# consistent with its input's lines, an error must name a line, and the lines before it must read.
dynamo_fuzzer(fuzz_trace_reader)
target_link_libraries(fuzz_trace_reader PRIVATE dynamo_check)
