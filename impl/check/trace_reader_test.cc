// Tests of the trace reader (impl/check/trace_reader.h, spec/trace-format.md): every committed trace
// reads, a trace using every action reads into the right typed fields, and on broken traces the
// reader and the Python format check (spec/reference/trace_check.py) name the same first bad line,
// the reader also naming the field.
#include "impl/check/trace_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace dynamo::check {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

// The Python check's verdict on `text`: 0 for a well-formed trace, else the line it names; -1 when
// python3 was not found at configure time.
long python_verdict(const std::string& name, const std::string& text) {
  const std::string python = DYNAMO_PYTHON3;
  if (python.empty()) return -1;
  const fs::path path = fs::path(testing::TempDir()) / ("trace_reader_test_" + name + ".ndjson");
  std::ofstream(path, std::ios::binary) << text;
  const std::string command = python + " " DYNAMO_SOURCE_DIR "/spec/reference/trace_check.py '" + path.string() + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return -2;
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  fs::remove(path);
  if (out.rfind("trace format ok:", 0) == 0) return 0;
  const std::string marker = path.string() + ":";
  const auto at = out.find(marker);
  if (out.rfind("trace format MALFORMED:", 0) != 0 || at == std::string::npos) return -3;
  return std::stol(out.substr(at + marker.size()));
}

// Every committed trace (the simulator's and the hand-written samples) reads, with one action per
// line after the header; the Python check agrees.
TEST(TraceReader, EveryCommittedTraceReads) {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(DYNAMO_SOURCE_DIR) / "tla" / "traces")) {
    if (entry.path().extension() != ".ndjson") continue;
    ++files;
    const std::string text = read_file(entry.path());
    const Result<Trace> trace = read_trace(text);
    ASSERT_TRUE(trace.ok()) << entry.path() << ": " << trace.error().message;
    EXPECT_EQ(trace.value().actions.size(), line_count(text) - 1) << entry.path();
    for (std::size_t i = 0; i < trace.value().actions.size(); ++i) EXPECT_EQ(trace.value().actions[i].line, i + 2);
    const long python = python_verdict(entry.path().stem().string(), text);
    if (python >= 0) {
      EXPECT_EQ(python, 0) << entry.path();
    }
  }
  EXPECT_GE(files, 7u);
}

// A trace with every action of format version 1 (checked by trace_check.py when it was written;
// PersistPut added when the coordinator's durable write became its own step, ResendPut when a put
// short of W could go to one more fallback).
const std::vector<std::string> kGood = {
    R"({"format":"dynamo-trace","version":1,"nodes":["n1","n2","n3"],"keys":[{"key":"k","walk":["n1","n2","n3"]}],"N":2,"R":2,"W":2})",
    R"({"action":"CoordinatePut","id":1,"client":"c","key":"k","node":"n1","epoch":0,"ctx":[],"val":"v1","dot":["n1",0,1],"targets":[{"node":"n1"},{"node":"n3","hint":"n2"}]})",
    R"({"action":"StoreVersion","node":"n3","msg":{"type":"Store","to":"n3","from":"n1","id":1,"key":"k","ver":{"dot":["n1",0,1],"ctx":[],"val":"v1"},"hint":"n2"},"siblings":[]})",
    R"({"action":"PersistPut","id":1,"node":"n1"})",
    R"({"action":"CompletePut","id":1,"node":"n1","acks":[{"from":"n3","epoch":0}]})",
    R"({"action":"DeliverHint","node":"n3","hint":{"to":"n2","key":"k","ver":{"dot":["n1",0,1],"ctx":[],"val":"v1"}}})",
    R"({"action":"StoreVersion","node":"n2","msg":{"type":"Handoff","to":"n2","from":"n3","key":"k","ver":{"dot":["n1",0,1],"ctx":[],"val":"v1"}},"siblings":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]})",
    R"({"action":"DeleteHint","node":"n3","msg":{"type":"HandoffAck","to":"n3","from":"n2","key":"k","ver":{"dot":["n1",0,1],"ctx":[],"val":"v1"}}})",
    R"({"action":"ClientGet","id":1,"client":"c","key":"k","node":"n1","epoch":0,"targets":[{"node":"n1"},{"node":"n2"}],"view":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]})",
    R"({"action":"ReplicaRead","node":"n2","msg":{"type":"Read","to":"n2","from":"n1","id":1,"key":"k"},"view":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]})",
    R"({"action":"DuplicateMessage","msg":{"type":"ReadReply","to":"n1","from":"n2","id":1,"vers":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]}})",
    R"({"action":"ReplyGet","node":"n1","msg":{"type":"ReadReply","to":"n1","from":"n2","id":1,"vers":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]}})",
    R"({"action":"CompleteGet","id":1,"node":"n1","replies":[{"from":"n2","vers":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]}],"siblings":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}],"ctx":[["n1",0,1]]})",
    R"({"action":"Discard","node":"n1","msg":{"type":"ReadReply","to":"n1","from":"n2","id":1,"vers":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]}})",
    R"({"action":"ReadRepair","id":1,"node":"n1","to":["n1"],"siblings":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]})",
    R"({"action":"StoreVersion","node":"n1","msg":{"type":"Repair","to":"n1","from":"n1","key":"k","vers":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]},"siblings":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}]})",
    R"({"action":"Crash","node":"n2"})",
    R"({"action":"Recover","node":"n2","epoch":1})",
    R"({"action":"CoordinatePut","id":2,"client":"c","key":"k","node":"n1","epoch":0,"ctx":[["n1",0,1]],"tombstone":true,"dot":["n1",0,2],"targets":[{"node":"n2"},{"node":"n1"}]})",
    R"({"action":"StoreVersion","node":"n2","msg":{"type":"Store","to":"n2","from":"n1","id":2,"key":"k","ver":{"ctx":[["n1",0,1]],"dot":["n1",0,2],"tombstone":true}},"siblings":[{"dot":["n1",0,2],"ctx":[["n1",0,1]],"tombstone":true}]})",
    R"({"action":"AckPut","node":"n1","msg":{"type":"StoreAck","to":"n1","from":"n2","id":2,"dot":["n1",0,2],"epoch":1}})",
    R"({"action":"LoseMessage","msg":{"type":"StoreAck","to":"n1","from":"n2","id":2,"dot":["n1",0,2],"epoch":1}})",
    R"({"action":"PutTimeout","id":2,"node":"n1"})",
    R"({"action":"ClientGet","id":2,"client":"c","key":"k","node":"n1","epoch":0,"targets":[{"node":"n1"},{"node":"n2"}],"view":[],"note":"ignored"})",
    R"({"action":"GetTimeout","id":2,"node":"n1"})",
    R"({"action":"Flush","node":"n1"})",
    R"({"action":"CoordinatePut","id":3,"client":"c","key":"k","node":"n1","epoch":0,"ctx":[],"val":"v3","dot":["n1",0,3],"targets":[{"node":"n1"},{"node":"n2"}]})",
    R"({"action":"ResendPut","id":3,"node":"n1","to":"n3","hint":"n2"})",
    R"({"action":"StoreVersion","node":"n3","msg":{"type":"Store","to":"n3","from":"n1","id":3,"key":"k","ver":{"dot":["n1",0,3],"ctx":[],"val":"v3"},"hint":"n2"},"siblings":[]})",
};

std::string join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// kGood with line `number` (1-based) replaced: the first `from` in it becomes `to`.
std::string edit(std::size_t number, const std::string& from, const std::string& to) {
  std::vector<std::string> lines = kGood;
  std::string& line = lines.at(number - 1);
  const auto at = line.find(from);
  EXPECT_NE(at, std::string::npos) << "line " << number << " has no " << from;
  if (at != std::string::npos) line.replace(at, from.size(), to);
  return join(lines);
}

TEST(TraceReader, ReadsEveryActionIntoTypedFields) {
  const Result<Trace> result = read_trace(join(kGood));
  ASSERT_TRUE(result.ok()) << result.error().message;
  const Trace& t = result.value();
  EXPECT_EQ(t.header.nodes, (std::vector<std::string>{"n1", "n2", "n3"}));
  ASSERT_EQ(t.header.keys.size(), 1u);
  EXPECT_EQ(t.header.keys[0].key, "k");
  EXPECT_EQ(t.header.keys[0].walk, (std::vector<NodeIndex>{0, 1, 2}));
  EXPECT_EQ(t.header.n, 2);
  EXPECT_EQ(t.header.r, 2);
  EXPECT_EQ(t.header.w, 2);
  ASSERT_EQ(t.actions.size(), kGood.size() - 1);
  const std::vector<ActionKind> kinds = {
      ActionKind::kCoordinatePut, ActionKind::kStoreVersion, ActionKind::kPersistPut, ActionKind::kCompletePut,
      ActionKind::kDeliverHint, ActionKind::kStoreVersion, ActionKind::kDeleteHint, ActionKind::kClientGet, ActionKind::kReplicaRead,
      ActionKind::kDuplicateMessage, ActionKind::kReplyGet, ActionKind::kCompleteGet, ActionKind::kDiscard,
      ActionKind::kReadRepair, ActionKind::kStoreVersion, ActionKind::kCrash, ActionKind::kRecover,
      ActionKind::kCoordinatePut, ActionKind::kStoreVersion, ActionKind::kAckPut, ActionKind::kLoseMessage,
      ActionKind::kPutTimeout, ActionKind::kClientGet, ActionKind::kGetTimeout, ActionKind::kFlush,
      ActionKind::kCoordinatePut, ActionKind::kResendPut, ActionKind::kStoreVersion};
  for (std::size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(t.actions[i].kind, kinds[i]) << "line " << i + 2;

  const TraceAction& put = t.actions[0];
  EXPECT_EQ(put.line, 2u);
  EXPECT_EQ(put.id, 1u);
  EXPECT_EQ(put.client, "c");
  EXPECT_EQ(put.node, 0u);
  EXPECT_EQ(put.val, std::optional<std::string>("v1"));
  EXPECT_EQ(put.dot, (TraceDot{0, 0, 1}));
  ASSERT_EQ(put.targets.size(), 2u);
  EXPECT_EQ(put.targets[1].node, 2u);
  EXPECT_EQ(put.targets[1].hint, std::optional<NodeIndex>(1));

  const TraceAction& stored = t.actions[1];
  ASSERT_TRUE(stored.msg.has_value());
  EXPECT_EQ(stored.msg->type, MessageType::kStore);
  EXPECT_EQ(stored.msg->hint, std::optional<NodeIndex>(1));
  ASSERT_TRUE(stored.msg->ver.has_value());
  EXPECT_EQ(stored.msg->ver->val, std::optional<std::string>("v1"));

  EXPECT_EQ(t.actions[2].id, 1u);  // PersistPut
  ASSERT_EQ(t.actions[3].acks.size(), 1u);
  EXPECT_EQ(t.actions[3].acks[0].from, 2u);
  ASSERT_TRUE(t.actions[4].hint.has_value());
  EXPECT_EQ(t.actions[4].hint->to, 1u);
  const TraceAction& got = t.actions[11];
  ASSERT_EQ(got.replies.size(), 1u);
  EXPECT_EQ(got.replies[0].from, 1u);
  EXPECT_EQ(got.replies[0].vers.size(), 1u);
  EXPECT_EQ(got.ctx, (std::vector<TraceDot>{{0, 0, 1}}));
  EXPECT_EQ(t.actions[13].to, (std::vector<NodeIndex>{0}));
  EXPECT_EQ(t.actions[16].epoch, 1u);
  const TraceAction& del = t.actions[17];
  EXPECT_FALSE(del.val.has_value());  // a tombstone
  EXPECT_EQ(del.ctx, (std::vector<TraceDot>{{0, 0, 1}}));
  EXPECT_EQ(t.actions[19].msg->epoch, 1u);
  const TraceAction& resend = t.actions[26];
  EXPECT_EQ(resend.id, 3u);
  EXPECT_EQ(resend.node, 0u);
  ASSERT_EQ(resend.targets.size(), 1u);
  EXPECT_EQ(resend.targets[0].node, 2u);
  EXPECT_EQ(resend.targets[0].hint, std::optional<NodeIndex>(1));
  EXPECT_EQ(t.actions[27].msg->hint, std::optional<NodeIndex>(1));  // the resent Store was in flight
  EXPECT_EQ(action_name(ActionKind::kDuplicateMessage), std::string("DuplicateMessage"));
  EXPECT_EQ(message_type_name(MessageType::kReadReply), std::string("ReadReply"));
}

// Broken variants: the C++ error names `line` and starts with `prefix` after "line N: "; the Python
// check names the same line.
struct Broken {
  std::string name;
  std::string text;
  std::size_t line;
  std::string prefix;  // e.g. "field \"dot\"" or "not JSON"
};

std::vector<Broken> broken_traces() {
  std::string truncated = join(kGood);
  truncated.resize(truncated.size() - kGood.back().size() / 2 - 1);  // the last line cut in half, no "\n"
  std::vector<std::string> blank = kGood;
  blank.insert(blank.begin() + 3, "");
  std::vector<std::string> twice = kGood;
  twice.insert(twice.begin() + 5, kGood[4]);  // CompletePut of put 1 again
  std::vector<std::string> unpersisted = kGood;
  unpersisted.erase(unpersisted.begin() + 3);  // no PersistPut before put 1's CompletePut
  std::vector<std::string> persisted_twice = kGood;
  persisted_twice.insert(persisted_twice.begin() + 4, kGood[3]);
  std::vector<std::string> resent_late = kGood;
  resent_late.push_back(R"({"action":"ResendPut","id":2,"node":"n1","to":"n3","hint":"n2"})");
  std::vector<std::string> resent_by_down = kGood;
  resent_by_down.insert(resent_by_down.begin() + 27, R"({"action":"Crash","node":"n1"})");  // before put 3's ResendPut
  std::vector<std::string> unsent = kGood;
  unsent.erase(unsent.begin() + 2);  // no StoreVersion: CompletePut's ack was never sent
  return {
      {"missing_field", edit(2, R"("dot":["n1",0,1],)", ""), 2, "field \"dot\": missing"},
      {"wrong_type", edit(2, R"("epoch":0)", R"("epoch":"0")"), 2, "field \"epoch\""},
      {"float_epoch", edit(18, R"("epoch":1)", R"("epoch":1.0)"), 18, "field \"epoch\""},
      {"unknown_action", edit(17, "Crash", "AntiEntropy"), 17, "field \"action\": unknown action \"AntiEntropy\""},
      {"dot_counter_zero", edit(2, R"("dot":["n1",0,1])", R"("dot":["n1",0,0])"), 2, "field \"dot[2]\""},
      {"dot_not_the_coordinators", edit(2, R"("dot":["n1",0,1])", R"("dot":["n2",0,1])"), 2, "field \"dot\""},
      {"dot_short", edit(3, R"("dot":["n1",0,1])", R"("dot":["n1",0])"), 3, "field \"msg.ver.dot\""},
      {"dot_twice_in_ctx", edit(19, R"("ctx":[["n1",0,1]])", R"("ctx":[["n1",0,1],["n1",0,1]])"), 19, "field \"ctx\""},
      {"truncated_line", truncated, kGood.size(), "not JSON"},
      {"blank_line", join(blank), 4, "blank line"},
      {"byte_order_mark", "\xEF\xBB\xBF" + join(kGood), 1, "not JSON"},
      {"header_n_too_big", edit(1, R"("N":2)", R"("N":4)"), 1, "field \"N\""},
      {"header_walk", edit(1, R"("walk":["n1","n2","n3"])", R"("walk":["n1","n2","n2"])"), 1, "field \"keys[0].walk\""},
      {"header_format", edit(1, "dynamo-trace", "dynamo-trace2"), 1, "field \"format\""},
      {"unknown_node", edit(2, R"("hint":"n2")", R"("hint":"n9")"), 2, "field \"targets[1].hint\""},
      {"put_id_skips", edit(19, R"("id":2)", R"("id":3)"), 19, "field \"id\": put ids count"},
      {"message_never_sent", edit(7, R"("from":"n3")", R"("from":"n1")"), 7, "field \"msg\""},
      {"ack_never_sent", join(unsent), 4, "field \"acks[0]\""},
      {"completed_twice", join(twice), 6, "field \"id\": put 1 completed already"},
      {"message_extra_field", edit(10, R"("key":"k"})", R"("key":"k","x":1})"), 10, "field \"msg\""},
      {"down_node_acts", edit(18, R"({"action":"Recover","node":"n2","epoch":1})", R"({"action":"Flush","node":"n2"})"), 18,
       "field \"node\""},
      {"recover_epoch", edit(18, R"("epoch":1)", R"("epoch":2)"), 18, "field \"epoch\""},
      {"repair_other_siblings", edit(15, R"("siblings":[{"dot":["n1",0,1],"ctx":[],"val":"v1"}])", R"("siblings":[])"), 15,
       "field \"siblings\""},
      {"hint_never_stored", edit(6, R"("to":"n2")", R"("to":"n1")"), 6, "field \"hint\""},
      {"val_and_tombstone", edit(2, R"("val":"v1")", R"("val":"v1","tombstone":true)"), 2, "field \"val\""},
      {"line_not_object", edit(26, R"({"action":"Flush","node":"n1"})", "[1]"), 26, "an action line"},
      {"empty", "", 1, "empty trace"},
      {"completed_unpersisted", join(unpersisted), 4, "field \"id\": put 1 completes before its PersistPut"},
      {"persisted_twice", join(persisted_twice), 5, "field \"id\": put 1 was persisted already"},
      // Found by fuzz_trace_reader: json::empty() is false for strings, so empty names were taken.
      {"empty_key", edit(1, R"("key":"k")", R"("key":"")"), 1, "field \"keys[0]\""},
      {"empty_node", edit(1, R"("nodes":["n1","n2","n3"])", R"("nodes":["n1","n2","n3",""])"), 1, "field \"nodes\""},
      {"empty_client", edit(2, R"("client":"c")", R"("client":"")"), 2, "field \"client\""},
      {"resend_after_timeout", join(resent_late), kGood.size() + 1, "field \"id\": put 2 completed or timed out already"},
      {"resend_to_the_coordinator", edit(28, R"("to":"n3")", R"("to":"n1")"), 28, "field \"to\""},
      {"resend_by_another_node", edit(28, R"("node":"n1")", R"("node":"n2")"), 28, "field \"node\": put 3 is coordinated by"},
      {"resend_without_hint", edit(28, R"(,"hint":"n2")", ""), 28, "field \"hint\": missing"},
      {"resend_by_a_down_coordinator", join(resent_by_down), 29, "field \"node\""},
      {"resend_to_an_unknown_node", edit(28, R"("to":"n3")", R"("to":"n9")"), 28, "field \"to\""},
      {"resend_hinted_for_an_unknown_node", edit(28, R"("hint":"n2")", R"("hint":"n9")"), 28, "field \"hint\""},
      {"resend_of_an_unknown_put", edit(28, R"("id":3)", R"("id":4)"), 28, "field \"id\""},
      {"resent_store_not_as_sent", edit(29, R"("hint":"n2")", R"("hint":"n3")"), 29, "field \"msg\""},
  };
}

TEST(TraceReader, BrokenTracesNameTheLineAndFieldAsThePythonCheckDoes) {
  for (const Broken& b : broken_traces()) {
    SCOPED_TRACE(b.name);
    const Result<Trace> trace = read_trace(b.text);
    ASSERT_FALSE(trace.ok());
    const std::string expected = "line " + std::to_string(b.line) + ": " + b.prefix;
    EXPECT_EQ(trace.error().message.substr(0, expected.size()), expected) << trace.error().message;
    const long python = python_verdict(b.name, b.text);
    if (python >= 0) {
      EXPECT_EQ(python, static_cast<long>(b.line)) << trace.error().message;
    }
  }
}

// Variants that stay well-formed for both: CRLF line ends, no final newline, sets in another order,
// unknown fields on lines and on the header.
TEST(TraceReader, HarmlessVariantsReadAsThePythonCheckReadsThem) {
  std::string crlf;
  for (const auto& l : kGood) crlf += l + "\r\n";
  std::string no_final_newline = join(kGood);
  no_final_newline.pop_back();
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"crlf", crlf},
      {"no_final_newline", no_final_newline},
      {"extra_header_field", edit(1, R"("N":2)", R"("seed":7,"N":2)")},
      {"keys_reordered_in_message", edit(21, R"({"type":"StoreAck","to":"n1","from":"n2")", R"({"from":"n2","to":"n1","type":"StoreAck")")},
  };
  for (const auto& [name, text] : variants) {
    SCOPED_TRACE(name);
    const Result<Trace> trace = read_trace(text);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    EXPECT_EQ(trace.value().actions.size(), kGood.size() - 1);
    const long python = python_verdict(name, text);
    if (python >= 0) {
      EXPECT_EQ(python, 0);
    }
  }
}

// A context is a set: a Store whose version lists the same dots in another order is the same message.
TEST(TraceReader, ContextsAndVersionSetsCompareAsSets) {
  std::vector<std::string> lines = {
      R"({"format":"dynamo-trace","version":1,"nodes":["a","b"],"keys":[{"key":"k","walk":["a","b"]}],"N":2,"R":1,"W":1})",
      R"({"action":"CoordinatePut","id":1,"client":"c","key":"k","node":"a","epoch":0,"ctx":[["a",0,1],["b",0,1]],"val":"x","dot":["a",0,2],"targets":[{"node":"a"},{"node":"b"}]})",
      R"({"action":"StoreVersion","node":"b","msg":{"type":"Store","to":"b","from":"a","id":1,"key":"k","ver":{"dot":["a",0,2],"ctx":[["b",0,1],["a",0,1]],"val":"x"}},"siblings":[]})",
  };
  const Result<Trace> trace = read_trace(join(lines));
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const long python = python_verdict("sets", join(lines));
  if (python >= 0) {
      EXPECT_EQ(python, 0);
    }
  lines[2].replace(lines[2].find(R"(["b",0,1],["a",0,1])"), 19, R"(["b",0,1],["a",0,3])");
  const Result<Trace> other = read_trace(join(lines));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message.rfind("line 3: field \"msg\": this Store message", 0), 0u) << other.error().message;
}

// Limits of this reader (beyond the Python check): each is an error naming the line, never a crash.
TEST(TraceReader, LimitsAreErrorsNamingTheLine) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const Result<Trace> nested = read_trace(edit(26, R"("node":"n1")", R"("node":"n1","meta":)" + deep));
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().message.rfind("line 26: JSON nests deeper than", 0), 0u) << nested.error().message;

  const std::string long_value(trace_limits::kMaxLineBytes, 'v');
  const Result<Trace> long_line = read_trace(edit(2, R"("val":"v1")", "\"val\":\"" + long_value + "\""));
  ASSERT_FALSE(long_line.ok());
  EXPECT_EQ(long_line.error().message.rfind("line 2: longer than", 0), 0u) << long_line.error().message;

  const std::string big_value(trace_limits::kMaxValueBytes + 1, 'v');
  const Result<Trace> big = read_trace(edit(2, R"("val":"v1")", "\"val\":\"" + big_value + "\""));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message.rfind("line 2: field \"val\": longer than", 0), 0u) << big.error().message;

  const Result<Trace> huge_counter = read_trace(edit(2, R"("dot":["n1",0,1])", R"("dot":["n1",0,4611686018427387905])"));
  ASSERT_FALSE(huge_counter.ok());
  EXPECT_EQ(huge_counter.error().message.rfind("line 2: field \"dot[2]\": larger than", 0), 0u) << huge_counter.error().message;

}

// The line cap: 200,000 lines read at -O0 under AddressSanitizer take about a minute, so the asan
// build skips this one (the fuzzer and the tests above cover memory safety there).
TEST(TraceReader, TheLineCapIsAnErrorNamingTheFirstLinePastIt) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "slow under AddressSanitizer";
#endif
  std::string many = kGood[0] + "\n";
  for (std::size_t i = 0; i < trace_limits::kMaxLines; ++i) many += R"({"action":"Flush","node":"n1"})" "\n";
  const Result<Trace> too_many = read_trace(many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().message,
            "line " + std::to_string(trace_limits::kMaxLines + 1) + ": more than " +
                std::to_string(trace_limits::kMaxLines) + " lines (a limit of this reader)");
  many.resize(many.size() - std::string(R"({"action":"Flush","node":"n1"})" "\n").size());
  EXPECT_TRUE(read_trace(many).ok());
}

}  // namespace
}  // namespace dynamo::check
