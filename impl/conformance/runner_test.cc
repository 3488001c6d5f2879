// Unit tests for the conformance runner: it reports mismatches readably and refuses bad files
// with a clear error instead of crashing.
#include "impl/conformance/runner.h"

#include <gtest/gtest.h>

#include <string>

namespace dynamo::conformance {
namespace {

std::string file_with(const std::string& cases) {
  return R"({"format": "dynamo-vectors/1", "cases": [)" + cases + "]}";
}

TEST(ConformanceRunner, APassingAndAFailingCase) {
  const FileReport report = run_vector_text("t.json", file_with(R"(
    {"name": "equal", "op": "clock.compare", "a": {"x": 1}, "b": {"x": 1}, "expect": "equal"},
    {"name": "wrong", "op": "clock.compare", "a": {"x": 1}, "b": {"x": 2}, "expect": "after"})"));
  EXPECT_TRUE(report.error.empty());
  EXPECT_EQ(report.passed, 1);
  ASSERT_EQ(report.failed, 1);
  EXPECT_NE(report.failures[0].find("wrong: expected \"after\""), std::string::npos) << report.failures[0];
  EXPECT_NE(report.failures[0].find("actual   \"before\""), std::string::npos) << report.failures[0];
}

TEST(ConformanceRunner, MalformedCasesSayWhichFieldIsWrong) {
  const FileReport report = run_vector_text("t.json", file_with(R"(
    {"name": "no-b", "op": "clock.merge", "a": {"x": 1}, "expect": {}},
    {"name": "zero", "op": "context.contains", "context": {}, "dot": ["x", 0], "expect": false},
    {"name": "op?", "op": "clock.divide", "expect": 1},
    {"name": "type", "op": "clock.compare", "a": [1], "b": {}, "expect": "equal"})"));
  ASSERT_EQ(report.failed, 4);
  EXPECT_NE(report.failures[0].find("missing field \"b\""), std::string::npos);
  EXPECT_NE(report.failures[1].find("counter starts at 1"), std::string::npos);
  EXPECT_NE(report.failures[2].find("unknown op"), std::string::npos);
  EXPECT_NE(report.failures[3].find("clock must be an object"), std::string::npos);
}

TEST(ConformanceRunner, RefusesFilesItCannotRead) {
  EXPECT_EQ(run_vector_text("t", "{not json").error, "not valid JSON");
  EXPECT_NE(run_vector_text("t", R"({"format": 2, "cases": []})").error.find("expected"), std::string::npos);
  EXPECT_NE(run_vector_text("t", std::string(10000, '[')).error.find("nests deeper"), std::string::npos);
  EXPECT_TRUE(run_vector_text("t", file_with("")).error.empty());
}

TEST(ConformanceRunner, APutCaseChecksTheNewDotAndTheSiblings) {
  const FileReport report = run_vector_text("t.json", file_with(R"(
    {"name": "blind", "op": "version.put",
     "state": {"siblings": [{"dot": ["A", 1], "value": "first"}]},
     "actor": "A", "context": {}, "value": "second",
     "expect": {"dot": ["A", 2], "siblings": [["A", 1], ["A", 2]]}})"));
  EXPECT_EQ(report.passed, 1) << (report.failures.empty() ? report.error : report.failures[0]);
}

}  // namespace
}  // namespace dynamo::conformance
