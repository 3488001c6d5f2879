// check.h: assertions that stay on in every build (tests, simulator, production).
//
// A broken invariant in the core means the replica could acknowledge or serve wrong data, so the
// process stops at once with the failed condition and its place, rather than continue. Inputs from
// outside are never checked with DYNAMO_CHECK: they are validated and answered with an Error.
#pragma once

#include <cstdio>
#include <cstdlib>

#define DYNAMO_CHECK(condition)                                                             \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: DYNAMO_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
