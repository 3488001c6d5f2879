// Properties of contexts: the compact encoding is exactly a set of dots (membership, union,
// inclusion), and truncation only ever removes whole actors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <iterator>

#include "impl/core/causal_context.h"
#include "proptests/generators.h"

namespace dynamo::proptests {
namespace {

RC_GTEST_PROP(ContextProps, EncodingHoldsExactlyTheDotsPutIn, ()) {
  const DotSet dots = arbitrary_dot_set();
  const CausalContext context = encode(dots);
  RC_ASSERT(dots_of(context) == dots);
  for (char actor = 'a'; actor <= 'c'; ++actor) {
    for (std::uint64_t c = 1; c <= 7; ++c) {
      const Dot probe{std::string(1, actor), c, 0};
      RC_ASSERT(context.contains(probe) == (dots.count(probe) == 1));
    }
  }
  RC_ASSERT(context == encode(dots));  // one encoding per set
}

RC_GTEST_PROP(ContextProps, MergeIsUnion, ()) {
  const DotSet a = arbitrary_dot_set();
  const DotSet b = arbitrary_dot_set();
  DotSet both = a;
  both.insert(b.begin(), b.end());
  RC_ASSERT(dots_of(merge(encode(a), encode(b))) == both);
}

RC_GTEST_PROP(ContextProps, CompareIsSetInclusion, ()) {
  const DotSet a = arbitrary_dot_set();
  DotSet b = *rc::gen::arbitrary<bool>() ? a : arbitrary_dot_set();
  if (*rc::gen::arbitrary<bool>()) b.insert(a.begin(), a.end());
  const bool a_in_b = std::includes(b.begin(), b.end(), a.begin(), a.end());
  const bool b_in_a = std::includes(a.begin(), a.end(), b.begin(), b.end());
  const Order expected = a_in_b && b_in_a ? Order::kEqual
                         : a_in_b         ? Order::kBefore
                         : b_in_a         ? Order::kAfter
                                          : Order::kConcurrent;
  RC_ASSERT(compare(encode(a), encode(b)) == expected);
}

RC_GTEST_PROP(ContextProps, TruncationForgetsWholeActorsAndNothingElse, ()) {
  const DotSet dots = arbitrary_dot_set(6, 4);
  const CausalContext context = encode(dots);
  const std::size_t max = *rc::gen::inRange<std::size_t>(0, 7);
  const CausalContext t = truncate(context, max);
  RC_ASSERT(t.actors().size() == std::min(context.actors().size(), max));
  for (const Dot& dot : dots) {
    const auto kept = t.actors();
    const bool actor_kept = std::find(kept.begin(), kept.end(), dot.actor) != kept.end();
    RC_ASSERT(t.contains(dot) == actor_kept);
  }
  const DotSet left = dots_of(t);
  RC_ASSERT(std::includes(dots.begin(), dots.end(), left.begin(), left.end()));
}

}  // namespace
}  // namespace dynamo::proptests
