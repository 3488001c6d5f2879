# The wire codec (wire.h): spec/dynamo.capnp compiled by Debian's capnproto into the build tree,
# and the conversions to and from the core's messages.
#
# CapnProtoConfig.cmake probes libatomic with check_library_exists, whose C probe g++ refuses in a
# C++-only project (it redeclares the builtin __atomic_load_8) and so reports "libatomic not found";
# answer that probe first with a C++ one.
if(NOT FOUND_LIBATOMIC)
  unset(FOUND_LIBATOMIC CACHE)  # a failed probe of CapnProtoConfig.cmake's own, from an earlier run
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LIBRARIES atomic)
  check_cxx_source_compiles("#include <atomic>
#include <cstdint>
int main() { std::atomic<std::uint64_t> a{0}; return static_cast<int>(a.load()); }" FOUND_LIBATOMIC)
  unset(CMAKE_REQUIRED_LIBRARIES)
endif()
find_package(CapnProto REQUIRED)

# Generated as <build>/impl/net/generated/spec/dynamo.capnp.{h,c++}, included as "spec/dynamo.capnp.h".
set(DYNAMO_WIRE_GENERATED ${CMAKE_CURRENT_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${DYNAMO_WIRE_GENERATED}/spec)
set(CAPNPC_SRC_PREFIX ${PROJECT_SOURCE_DIR})
set(CAPNPC_OUTPUT_DIR ${DYNAMO_WIRE_GENERATED})
capnp_generate_cpp(DYNAMO_CAPNP_SOURCES DYNAMO_CAPNP_HEADERS ${PROJECT_SOURCE_DIR}/spec/dynamo.capnp)
unset(CAPNPC_SRC_PREFIX)
unset(CAPNPC_OUTPUT_DIR)
# Generated code is not ours to fix: its warnings never fail the build.
set_source_files_properties(${DYNAMO_CAPNP_SOURCES} PROPERTIES COMPILE_OPTIONS "-w")

add_library(dynamo_wire STATIC ${CMAKE_CURRENT_LIST_DIR}/wire.cc ${CMAKE_CURRENT_LIST_DIR}/wire_convert.cc
            ${CMAKE_CURRENT_LIST_DIR}/wire_membership.cc
            ${DYNAMO_CAPNP_SOURCES})
target_include_directories(dynamo_wire PUBLIC ${PROJECT_SOURCE_DIR})
# SYSTEM: the generated header and capnp's own are compiled without our -Wall -Wextra -Werror.
target_include_directories(dynamo_wire SYSTEM PUBLIC ${DYNAMO_WIRE_GENERATED})
# No dynamo_core link here, on purpose (as dynamo_http, dynamo_node and dynamo_client): the codec
# calls the core (CausalContext::from_parts, VectorClock::from_entries), but every executable links
# the core variant it wants, so a mutant `dynamo` never gets the real core through this library too.
target_link_libraries(dynamo_wire PUBLIC CapnProto::capnp)

if(DYNAMO_TESTS)
  add_executable(wire_tests ${CMAKE_CURRENT_LIST_DIR}/wire_test.cc)
  target_link_libraries(wire_tests PRIVATE dynamo_wire dynamo_core GTest::gtest_main)
  gtest_discover_tests(wire_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
  add_executable(wire_membership_tests ${CMAKE_CURRENT_LIST_DIR}/wire_membership_test.cc)
  target_link_libraries(wire_membership_tests PRIVATE dynamo_wire dynamo_core GTest::gtest_main)
  gtest_discover_tests(wire_membership_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endif()
