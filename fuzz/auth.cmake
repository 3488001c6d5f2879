# fuzz_peer_auth: the sealed envelope of peer messages (impl/net/peer_auth.h) on any bytes, with the
# seal/open round trip and replay refusal.
dynamo_fuzzer(fuzz_peer_auth)
target_link_libraries(fuzz_peer_auth PRIVATE dynamo_peer_auth)
