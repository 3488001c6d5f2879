// history_workload: a client workload for the end-to-end tests that records what it saw as a
// history (spec/history-format.md), so `dynamo check-history` can say whether the cluster lost an
// acknowledged write.
//
//   history_workload --node ADDR --processes 8 --keys 20 --seconds 20 --history h.ndjson
//   history_workload --node ADDR --keys 20 --final --history h.ndjson    # appends the final reads
//
// Each process runs one operation at a time, choosing among: a get followed by a put that passes
// the get's context (read-modify-write), a blind put, a get, and (rarely) a delete with a context.
// Every put writes a value never written before ("<run>-<process>-<n>"). Outcomes: ok, unknown
// (kUnknown, or no answer), fail (kFailed: the node guarantees nothing was stored). Every event
// carries "t", milliseconds since the start, for the tests' own checks (the checker ignores it); the
// start is printed as a time on the monotonic clock, so a test can place its own actions (a kill, a
// restart, timed with Python's time.monotonic(), the same clock) among the events.
// Seeded (--seed, printed); the interleaving depends on the cluster, so a rerun is not identical.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "impl/client/client.h"

namespace {

using dynamo::ClientReply;
using dynamo::ClientRequest;
using dynamo::OpKind;
using dynamo::ReplyStatus;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::vector<std::string> nodes;
  int processes = 8;
  int keys = 20;
  double seconds = 20;
  std::string history;
  bool final_reads = false;
  std::uint64_t seed = 0;
  std::string run;  // prefix of values and op ids, unique per run
  int r = 0;
};

// Keeps the events in memory, in the order observed, and writes them at the end: a get may return a
// tombstone before the delete that wrote it has its answer (and so its dot), so tombstones are named
// (by their delete's op id) only when everything is known. Dots are per key, so a tombstone is found
// by key and dot. A tombstone whose delete never answered (no dot) is named after the last delete of
// its key with an unknown outcome invoked before the get completed: that write may have happened.
class Recorder {
 public:
  explicit Recorder(std::string path) : path_(std::move(path)) {}

  // When "t" is 0, in milliseconds of the monotonic clock (CLOCK_MONOTONIC, as steady_clock here).
  long long start_monotonic_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(start_.time_since_epoch()).count();
  }

  void write(json event) {
    event["t"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  // The earlier events of the file (for --final): their deletes name tombstones too; not rewritten.
  void load_existing() {
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      auto event = json::parse(line, nullptr, false);
      if (!event.is_discarded()) existing_.push_back(std::move(event));
    }
  }

  // Names every tombstone, then writes the events (appending when the file had some).
  bool flush() {
    std::map<std::string, std::string> delete_key;           // op -> key
    std::map<std::string, std::string> by_dot;               // key \n dot -> op
    std::map<std::string, std::vector<std::string>> undotted;  // key -> deletes without a dot, in order
    std::map<std::string, bool> completed_with_dot;
    auto learn = [&](const json& e) {
      const std::string op = e.value("op", "");
      if (e.value("event", "") == "invoke" && e.value("type", "") == "delete") delete_key[op] = e.value("key", "");
      if (e.value("event", "") == "complete" && delete_key.contains(op)) {
        if (e.contains("dot")) by_dot[delete_key[op] + "\n" + e["dot"].get<std::string>()] = op;
        else if (e.value("outcome", "") == "unknown") undotted[delete_key[op]].push_back(op);
      }
    };
    for (const auto& e : existing_) learn(e);
    for (const auto& e : events_) learn(e);
    for (auto& e : events_) {
      if (!e.contains("siblings")) continue;
      for (auto& s : e["siblings"]) {
        if (!s.is_object() || !s.contains("tombstone")) continue;
        const std::string key = s["tombstone"]["key"], dot = s["tombstone"]["dot"];
        std::string name = "unnamed-delete-" + dot;
        if (auto it = by_dot.find(key + "\n" + dot); it != by_dot.end()) name = it->second;
        else if (auto u = undotted.find(key); u != undotted.end() && !u->second.empty()) name = u->second.back();
        s = json{{"deleted", name}};
      }
    }
    std::ofstream out(path_, existing_.empty() ? std::ios::trunc : std::ios::app);
    for (const auto& e : events_) out << e.dump() << "\n";
    return static_cast<bool>(out);
  }

 private:
  std::string path_;
  std::mutex mutex_;
  std::vector<json> events_, existing_;
  Clock::time_point start_ = Clock::now();
};

std::string outcome_of(const ClientReply& reply) {
  switch (reply.status) {
    case ReplyStatus::kOk: return "ok";
    case ReplyStatus::kFailed: return "fail";
    default: return "unknown";
  }
}

std::string dot_text(const dynamo::Dot& dot) { return dot.actor + ":" + std::to_string(dot.counter); }

struct Counts {
  std::atomic<int> ok{0}, unknown{0}, failed{0};
};

class Process {
 public:
  Process(dynamo::client::Client& client, Recorder& recorder, const Options& o, int id, Counts& counts)
      : client_(client), recorder_(recorder), o_(o), id_(id), counts_(counts), rng_(o.seed * 1000 + static_cast<std::uint64_t>(id)) {}

  void run(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      const std::string key = "key-" + std::to_string(std::uniform_int_distribution<int>(0, o_.keys - 1)(rng_));
      const int choice = std::uniform_int_distribution<int>(0, 99)(rng_);
      if (choice < 50) {
        auto [get_op, reply] = get(key, false);
        if (reply.status == ReplyStatus::kOk) write(key, get_op, reply.context, choice < 3);
      } else if (choice < 75) {
        write(key, "", {}, false);
      } else {
        get(key, false);
      }
    }
  }

  std::pair<std::string, ClientReply> get(const std::string& key, bool final) {
    const std::string op = next_op("g");
    json invoke{{"event", "invoke"}, {"process", process()}, {"op", op}, {"type", "get"}, {"key", key}};
    if (final) invoke["final"] = true;
    recorder_.write(invoke);
    ClientRequest request;
    request.op = OpKind::kGet;
    request.key = key;
    if (o_.r > 0) request.r = o_.r;
    ClientReply reply = client_.call(request);
    json complete{{"event", "complete"}, {"process", process()}, {"op", op}, {"outcome", outcome_of(reply)}};
    if (reply.status == ReplyStatus::kOk) {
      json siblings = json::array();
      for (const auto& v : reply.siblings) {
        if (v.value) siblings.push_back(*v.value);
        else siblings.push_back(json{{"tombstone", {{"key", key}, {"dot", dot_text(v.dot)}}}});
      }
      complete["siblings"] = siblings;
    } else {
      complete["outcome"] = "fail";  // a get that did not answer read nothing: no effect either way
      complete["message"] = reply.message;
    }
    recorder_.write(complete);
    return {op, reply};
  }

 private:
  void write(const std::string& key, const std::string& read_op, const dynamo::CausalContext& context, bool remove) {
    const std::string op = next_op(remove ? "d" : "p");
    json invoke{{"event", "invoke"}, {"process", process()}, {"op", op}, {"type", remove ? "delete" : "put"}, {"key", key},
                {"read", read_op.empty() ? json(nullptr) : json(read_op)}};
    ClientRequest request;
    request.op = remove ? OpKind::kDelete : OpKind::kPut;
    request.key = key;
    request.context = context;
    if (!remove) {
      request.value = o_.run + "-" + op;
      invoke["value"] = request.value;
    }
    recorder_.write(invoke);
    ClientReply reply = client_.call(request);
    json complete{{"event", "complete"}, {"process", process()}, {"op", op}, {"outcome", outcome_of(reply)}};
    if (reply.status != ReplyStatus::kOk) complete["message"] = reply.message;
    if (reply.dot) complete["dot"] = dot_text(*reply.dot);
    recorder_.write(complete);
    (reply.status == ReplyStatus::kOk ? counts_.ok : reply.status == ReplyStatus::kFailed ? counts_.failed : counts_.unknown)++;
  }

  std::string process() const { return "c" + std::to_string(id_); }
  std::string next_op(const char* kind) { return o_.run + "-" + kind + std::to_string(id_) + "-" + std::to_string(++n_); }

  dynamo::client::Client& client_;
  Recorder& recorder_;
  const Options& o_;
  int id_;
  Counts& counts_;
  std::mt19937_64 rng_;
  int n_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"history_workload: a recorded client workload for the end-to-end tests"};
  app.add_option("--node", o.nodes, "A node's client address (repeatable)")->required();
  app.add_option("--processes", o.processes, "Concurrent clients")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--keys", o.keys, "Keys key-0..key-(K-1)")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--seconds", o.seconds, "How long to run")->capture_default_str();
  app.add_option("--history", o.history, "The history file (NDJSON)")->required();
  app.add_flag("--final", o.final_reads, "Append one final read of every key instead of running");
  app.add_option("--r", o.r, "Per-request R for the reads");
  app.add_option("--seed", o.seed, "Seed (default: from the clock; printed)");
  app.add_option("--run", o.run, "Prefix of values and op ids (default: from the seed)");
  CLI11_PARSE(app, argc, argv);
  if (o.seed == 0) o.seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) % 1000000007ULL;
  if (o.run.empty()) o.run = "r" + std::to_string(o.seed);
  std::printf("history_workload: seed %llu, run %s\n", static_cast<unsigned long long>(o.seed), o.run.c_str());

  dynamo::client::ClientOptions options;
  options.seeds = o.nodes;
  options.timeout_ms = 3000;
  auto client = dynamo::client::Client::connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "history_workload: %s\n", client.error().message.c_str());
    return 4;
  }
  Recorder recorder(o.history);
  std::printf("history_workload: t = 0 at monotonic %lld ms\n", recorder.start_monotonic_ms());
  Counts counts;
  if (o.final_reads) {
    recorder.load_existing();
    Process reader(*client.value(), recorder, o, 0, counts);
    int failed = 0;
    for (int k = 0; k < o.keys; ++k) {
      // A final read must complete ok; retry a few times while the cluster settles.
      for (int attempt = 0;; ++attempt) {
        auto [op, reply] = reader.get("key-" + std::to_string(k), true);
        if (reply.status == ReplyStatus::kOk) break;
        if (attempt == 5) {
          ++failed;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
    std::printf("final reads: %d keys, %d failed\n", o.keys, failed);
    if (!recorder.flush()) return 2;
    return failed == 0 ? 0 : 4;
  }
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Process>> processes;
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(o.seconds * 1000));
  for (int i = 1; i <= o.processes; ++i) {
    processes.push_back(std::make_unique<Process>(*client.value(), recorder, o, i, counts));
    // The thread gets the process itself, not a slot of `processes`: the next push_back may move
    // the vector's storage while this thread reads it.
    threads.emplace_back([process = processes.back().get(), &deadline] { process->run(deadline); });
  }
  for (auto& t : threads) t.join();
  if (!recorder.flush()) {
    std::fprintf(stderr, "history_workload: cannot write %s\n", o.history.c_str());
    return 2;
  }
  std::printf("writes: %d ok, %d unknown, %d failed\n", counts.ok.load(), counts.unknown.load(), counts.failed.load());
  return 0;
}
