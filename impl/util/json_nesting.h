// json_nesting.h: how deeply a JSON text nests, measured before parsing it.
//
// Parsers of outside JSON (conformance vectors, client histories) refuse texts nested deeper than
// their limit before handing them to nlohmann::json, so a hostile input cannot exhaust the stack.
#pragma once

#include <algorithm>
#include <string_view>

namespace dynamo {

// The deepest [ / { nesting outside strings; stops counting once it exceeds `limit`, so the answer
// is exact up to limit + 1 and the scan ends early on deep input.
inline int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') in_string = true;
    else if (ch == '[' || ch == '{') deepest = std::max(deepest, ++depth);
    else if (ch == ']' || ch == '}') --depth;
    if (deepest > limit) break;
  }
  return deepest;
}

}  // namespace dynamo
