// Unit tests for the history checker (spec/history-format.md). Each test states the rule it checks;
// several are there to fail if the check is broken: a lost write must be reported, a write superseded
// by a covering put must not be, a failed put must not excuse a loss.
// Reference: Dynamo paper §4.4 (versioning and reconciliation), §6.3 (divergent versions).
#include "impl/check/history_checker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dynamo::check {
namespace {

using nlohmann::json;

std::string put(const std::string& p, const std::string& op, const std::string& value, const std::string& read = "") {
  return R"({"event":"invoke","process":")" + p + R"(","op":")" + op + R"(","type":"put","key":"k","value":")" + value +
         R"(","read":)" + (read.empty() ? "null" : "\"" + read + "\"") + "}\n";
}
std::string del(const std::string& p, const std::string& op, const std::string& read) {
  return R"({"event":"invoke","process":")" + p + R"(","op":")" + op + R"(","type":"delete","key":"k","read":")" + read +
         "\"}\n";
}
std::string get(const std::string& p, const std::string& op, bool final = false) {
  return R"({"event":"invoke","process":")" + p + R"(","op":")" + op + R"(","type":"get","key":"k","final":)" +
         (final ? "true" : "false") + "}\n";
}
std::string done(const std::string& p, const std::string& op, const std::string& outcome = "ok",
                 const std::string& siblings = "") {
  return R"({"event":"complete","process":")" + p + R"(","op":")" + op + R"(","outcome":")" + outcome + "\"" +
         (siblings.empty() ? "" : R"(,"siblings":)" + siblings) + "}\n";
}
std::string final_read(const std::string& siblings) { return get("h", "final", true) + done("h", "final", "ok", siblings); }

CheckReport check(const std::string& text) { return check_history_text(text); }

// A put acknowledged and then missing from the final read, with nothing covering it, is lost.
TEST(HistoryChecker, AnAcknowledgedWriteMissingFromTheFinalReadIsLost) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1") + put("b", "p2", "y") + done("b", "p2") +
                              final_read(R"(["y"])"));
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].write, (WriteId{false, "x"}));
  EXPECT_EQ(r.lost[0].op, "p1");
  EXPECT_EQ(r.acknowledged, 2u);
}

// A read-modify-write supersedes what its get returned (§4.4: the context names what it replaces).
TEST(HistoryChecker, AWriteSupersededByACoveringPutIsNotLost) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1") + get("b", "g1") + done("b", "g1", "ok", R"(["x"])") +
                              put("b", "p2", "x2", "g1") + done("b", "p2") + final_read(R"(["x2"])"));
  EXPECT_EQ(r.verdict, Verdict::kValid) << report_to_json(r).dump();
  EXPECT_TRUE(r.lost.empty());
}

// Coverage is transitive: x3 read x2, whose writer had read x1.
TEST(HistoryChecker, CoverageIsTransitiveThroughReturnedWrites) {
  const CheckReport r = check(put("a", "p1", "x1") + done("a", "p1") + get("a", "g1") + done("a", "g1", "ok", R"(["x1"])") +
                              put("a", "p2", "x2", "g1") + done("a", "p2", "fail") + get("a", "g2") +
                              done("a", "g2", "ok", R"(["x2"])") + put("a", "p3", "x3", "g2") + done("a", "p3") +
                              final_read(R"(["x3"])"));
  EXPECT_EQ(r.verdict, Verdict::kValid) << report_to_json(r).dump();
}

// A blind put supersedes nothing: two of them are siblings, and dropping either is a loss (the
// paper's coordinator-increment bug that dotted versions fix).
TEST(HistoryChecker, ABlindPutDoesNotCoverAnEarlierWrite) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1") + get("a", "g1") + done("a", "g1", "ok", R"(["x"])") +
                              put("a", "p2", "y") + done("a", "p2") + final_read(R"(["y"])"));
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].last_seen_by, "g1");
}

// A read-modify-write covers only what its get returned, not a concurrent sibling it never saw.
TEST(HistoryChecker, APutDoesNotCoverASiblingItsGetDidNotReturn) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1") + get("b", "g1") + done("b", "g1", "ok", R"(["x"])") +
                              put("c", "p2", "y") + done("c", "p2") + put("b", "p3", "z", "g1") + done("b", "p3") +
                              final_read(R"(["z"])"));
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].write.id, "y");
}

// Writes that failed are never required, and never excuse a loss; unknown ones excuse it.
TEST(HistoryChecker, FailedWritesAreNotRequiredAndCoverNothing) {
  const std::string prefix = put("a", "p1", "x") + done("a", "p1") + get("b", "g1") + done("b", "g1", "ok", R"(["x"])") +
                             put("b", "p2", "y", "g1");
  const CheckReport failed = check(prefix + done("b", "p2", "fail") + final_read("[]"));
  ASSERT_EQ(failed.lost.size(), 1u);
  EXPECT_NE(failed.lost[0].why.find("only failed writes"), std::string::npos) << failed.lost[0].why;
  EXPECT_EQ(failed.failed, 1u);
  const CheckReport unknown = check(prefix + done("b", "p2", "unknown") + final_read("[]"));
  EXPECT_EQ(unknown.verdict, Verdict::kValid);
  EXPECT_EQ(unknown.unknown, 1u);
  // Never completed counts as unknown.
  const CheckReport pending = check(prefix + final_read("[]"));
  EXPECT_EQ(pending.verdict, Verdict::kValid);
  EXPECT_EQ(pending.unknown, 1u);
}

// A delete is a versioned write: its tombstone must survive as long as what it deleted may come
// back. A store may reap it once nothing it covers is left (docs/reaping.md), so a final read of
// nothing keeps the delete; a final read returning the deleted value without it is a resurrection.
TEST(HistoryChecker, AnAcknowledgedDeleteMustSurviveAsATombstone) {
  const std::string prefix = put("a", "p1", "x") + done("a", "p1") + get("a", "g1") + done("a", "g1", "ok", R"(["x"])") +
                             del("a", "d1", "g1") + done("a", "d1");
  EXPECT_EQ(check(prefix + final_read(R"([{"deleted":"d1"}])")).verdict, Verdict::kValid);
  EXPECT_EQ(check(prefix + final_read("[]")).verdict, Verdict::kValid) << "a reaped tombstone is not a lost delete";
  const CheckReport lost = check(prefix + final_read(R"(["x"])"));
  ASSERT_EQ(lost.lost.size(), 1u);
  EXPECT_EQ(lost.lost[0].write, (WriteId{true, "d1"}));
  // A value written later, blind (concurrent with the delete), is no resurrection.
  const std::string later = prefix + put("b", "p2", "y") + done("b", "p2");
  EXPECT_EQ(check(later + final_read(R"(["y"])")).verdict, Verdict::kValid);
}

TEST(HistoryChecker, PhantomsAreReported) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1") + get("b", "g1") +
                              done("b", "g1", "ok", R"(["x","ghost",{"deleted":"d9"}])") + final_read(R"(["x"])"));
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.phantoms.size(), 2u);
  EXPECT_EQ(r.phantoms[0].returned.id, "ghost");
  EXPECT_TRUE(r.phantoms[1].returned.deleted);
  EXPECT_TRUE(r.lost.empty());
}

// A get cannot return a write invoked after the get completed.
TEST(HistoryChecker, AReadOfAFutureWriteIsAPhantom) {
  const CheckReport r = check(get("b", "g1") + done("b", "g1", "ok", R"(["x"])") + put("a", "p1", "x") + done("a", "p1") +
                              final_read(R"(["x"])"));
  ASSERT_EQ(r.phantoms.size(), 1u);
  EXPECT_NE(r.phantoms[0].why.find("later"), std::string::npos);
}

TEST(HistoryChecker, AHistoryWithoutAFinalReadIsMalformedNotValid) {
  const CheckReport r = check(put("a", "p1", "x") + done("a", "p1"));
  ASSERT_EQ(r.verdict, Verdict::kMalformed);
  EXPECT_NE(r.error->message.find("no final read"), std::string::npos);
  // Keys with no acknowledged writes need no final read.
  EXPECT_EQ(check(put("a", "p1", "x") + done("a", "p1", "fail")).verdict, Verdict::kValid);
}

// Each malformed history names the line and field.
TEST(HistoryChecker, MalformedHistoriesNameTheLineAndField) {
  struct Case {
    std::string text;
    std::size_t line;
    std::string needle;
  };
  const Case cases[] = {
      {put("a", "p1", "x") + "{not json\n", 2, "not valid JSON"},
      {put("a", "p1", "x") + done("a", "p1") + put("b", "p2", "x"), 3, "field \"value\""},
      {put("a", "p1", "x") + put("a", "p2", "y"), 2, "field \"process\""},
      {put("a", "p1", "x", "g7"), 1, "field \"read\""},
      {get("a", "g1") + put("b", "p1", "x", "g1"), 2, "not completed ok"},
      {done("a", "p1"), 1, "never invoked"},
      {put("a", "p1", "x") + done("a", "p1") + done("a", "p1"), 3, "second time"},
      {get("a", "g1") + done("a", "g1"), 2, "field \"siblings\""},
      {R"({"event":"invoke","process":"a","op":"p1","type":"put","key":"k","value":"x"})", 1, "field \"read\""},
      {R"({"event":"invoke","process":"a","op":"p1","type":"cas","key":"k"})", 1, "field \"type\""},
      {R"({"event":"complete","process":"a","op":"g","outcome":"ok","siblings":[1]})", 1, "siblings[0]"},
      {"\n\n" + std::string(40, '[') + std::string(40, ']'), 3, "nests deeper"},
      {final_read("[]") + put("a", "p1", "x"), 3, "after its final read"},
      {put("a", "p1", "x") + get("h", "g1", true) + done("a", "p1"), 3, "completes after the final read"},
  };
  for (const Case& c : cases) {
    const CheckReport r = check(c.text);
    ASSERT_EQ(r.verdict, Verdict::kMalformed) << c.text;
    EXPECT_EQ(r.error->line, c.line) << c.text << " -> " << r.error->to_string();
    EXPECT_NE(r.error->to_string().find(c.needle), std::string::npos) << r.error->to_string();
  }
}

TEST(HistoryChecker, LimitsAreErrorsNotCrashes) {
  const std::string long_value(history_limits::kMaxValueBytes + 1, 'v');
  const CheckReport r = check(put("a", "p1", long_value));
  ASSERT_EQ(r.verdict, Verdict::kMalformed);
  EXPECT_NE(r.error->message.find("field \"value\": longer than"), std::string::npos);
  const std::string long_line = "{\"pad\":\"" + std::string(history_limits::kMaxLineBytes, ' ') + "\"}";
  EXPECT_NE(check(long_line).error->message.find("longer than"), std::string::npos);
  EXPECT_EQ(check("\"\\ud800\"\n").verdict, Verdict::kMalformed);  // a lone surrogate is not UTF-8
}

TEST(HistoryChecker, EmptyHistoryIsValid) {
  const CheckReport r = check("\n  \n");
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_EQ(r.events, 0u);
}

// Every sample history in spec/histories/ gives exactly the verdict in its .expected.json.
TEST(HistoryChecker, SampleHistoriesGiveTheirExpectedVerdicts) {
  const std::filesystem::path dir = std::filesystem::path(DYNAMO_SOURCE_DIR) / "spec" / "histories";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".ndjson") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::filesystem::path expected_path = entry.path();
    expected_path.replace_extension(".expected.json");
    std::ifstream expected_in(expected_path);
    ASSERT_TRUE(expected_in) << "missing " << expected_path;
    const json expected = json::parse(expected_in);
    const json actual = report_to_json(check_history_text(text.str()));
    EXPECT_EQ(actual, expected) << entry.path() << "\nactual:\n" << actual.dump(2);
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace dynamo::check
