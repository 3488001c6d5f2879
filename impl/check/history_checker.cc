#include "impl/check/history_checker.h"

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace dynamo::check {
namespace {

using nlohmann::json;

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::string describe(const WriteId& write) {
  return write.deleted ? "the tombstone of delete " + quote(write.id) : "value " + quote(write.id);
}

// One operation: its invocation, and its completion once seen.
struct Op {
  const Event* invoke = nullptr;
  const Event* complete = nullptr;  // nullptr: never completed (outcome unknown)
  std::size_t key = 0;              // index into Checker::keys_
  std::optional<std::size_t> read;  // index of the based-on get
  std::vector<std::size_t> returned;  // gets: ops of the non-phantom siblings returned

  bool is_write() const { return invoke->type != OpType::kGet; }
  Outcome outcome() const { return complete == nullptr ? Outcome::kUnknown : complete->outcome; }
  bool ok() const { return outcome() == Outcome::kOk; }
  WriteId write_id() const {
    const bool deleted = invoke->type == OpType::kDelete;
    return WriteId{deleted, deleted ? invoke->op : invoke->value};
  }
};

struct KeyState {
  std::string name;
  std::optional<std::size_t> final_get;
};

// A malformed history stops the check at the first rule broken; thrown only inside this file.
struct Malformed {
  HistoryError error;
};

[[noreturn]] void malformed(const Event& at, const std::string& field, const std::string& what) {
  throw Malformed{HistoryError{at.line, "field \"" + field + "\": " + what}};
}

class Checker {
 public:
  CheckReport run(const std::vector<Event>& events) {
    for (const Event& event : events) {
      if (event.kind == EventKind::kInvoke) on_invoke(event);
      else on_complete(event);
    }
    CheckReport report;
    report.events = events.size();
    report.keys = keys_.size();
    count(&report);
    require_final_reads();
    find_phantoms(&report);
    find_lost(&report);
    report.verdict = report.lost.empty() && report.phantoms.empty() ? Verdict::kValid : Verdict::kInvalid;
    return report;
  }

 private:
  void on_invoke(const Event& e) {
    if (auto it = op_index_.find(e.op); it != op_index_.end()) {
      malformed(e, "op", "op id " + quote(e.op) + " is already used (line " + std::to_string(ops_[it->second].invoke->line) +
                             "); op ids are unique in a history");
    }
    if (auto it = pending_.find(e.process); it != pending_.end()) {
      const Op& busy = ops_[it->second];
      malformed(e, "process", "process " + quote(e.process) + " invokes a new op while its op " + quote(busy.invoke->op) +
                                  " (line " + std::to_string(busy.invoke->line) +
                                  ") has not completed; a process runs one operation at a time");
    }
    Op op;
    op.invoke = &e;
    op.key = key_of(e);
    const KeyState& key = keys_[op.key];
    if (key.final_get) {
      malformed(e, "key", "an operation on key " + quote(key.name) + " after its final read (op " +
                              quote(ops_[*key.final_get].invoke->op) + "); the final read must come last");
    }
    if (op.is_write()) {
      const WriteId id = op.write_id();
      if (auto it = writes_.find(id); it != writes_.end()) {
        malformed(e, "value", describe(id) + " was already written by op " + quote(ops_[it->second].invoke->op) +
                                  "; every put must write a value never written before");
      }
      writes_.emplace(id, ops_.size());
      if (e.read) op.read = based_on_get(e);
    }
    if (e.final) keys_[op.key].final_get = ops_.size();
    op_index_.emplace(e.op, ops_.size());
    pending_.emplace(e.process, ops_.size());
    ops_.push_back(std::move(op));
  }

  // The get a write's context came from: an earlier get of the same key that completed ok.
  std::size_t based_on_get(const Event& e) {
    auto it = op_index_.find(*e.read);
    if (it == op_index_.end()) malformed(e, "read", "refers to " + quote(*e.read) + ", which is no earlier op");
    const Op& get = ops_[it->second];
    if (get.invoke->type != OpType::kGet) {
      malformed(e, "read", "refers to op " + quote(*e.read) + ", a " + op_type_name(get.invoke->type) + ", not a get");
    }
    if (get.key != key_of(e)) malformed(e, "read", "refers to get " + quote(*e.read) + " of another key");
    if (!get.ok()) {
      malformed(e, "read", "refers to get " + quote(*e.read) +
                               ", which had not completed ok before this line (a context comes only from a successful get)");
    }
    return it->second;
  }

  void on_complete(const Event& e) {
    auto it = op_index_.find(e.op);
    if (it == op_index_.end()) malformed(e, "op", "completes op " + quote(e.op) + ", which was never invoked before");
    Op& op = ops_[it->second];
    if (op.complete != nullptr) {
      malformed(e, "op", "completes op " + quote(e.op) + " a second time (first at line " +
                             std::to_string(op.complete->line) + ")");
    }
    if (op.invoke->process != e.process) {
      malformed(e, "process", "op " + quote(e.op) + " was invoked by process " + quote(op.invoke->process));
    }
    const KeyState& key = keys_[op.key];
    if (key.final_get && *key.final_get != it->second) {
      malformed(e, "op", "op " + quote(e.op) + " completes after the final read of key " + quote(key.name) +
                             " began; the final read must start after every other operation on its key has ended");
    }
    const bool returns = op.invoke->type == OpType::kGet && e.outcome == Outcome::kOk;
    if (returns && !e.siblings) {
      malformed(e, "siblings", "missing: a get that completed ok lists the siblings it returned ([] for none)");
    }
    if (!returns && e.siblings) malformed(e, "siblings", "only a get that completed ok returns siblings");
    if (returns) {
      std::set<WriteId> seen;
      for (const WriteId& s : *e.siblings) {
        if (!seen.insert(s).second) malformed(e, "siblings", "lists " + describe(s) + " twice");
      }
      completed_gets_.push_back(it->second);
    }
    op.complete = &e;
    pending_.erase(e.process);
  }

  std::size_t key_of(const Event& e) {
    auto [it, inserted] = key_index_.emplace(e.key, keys_.size());
    if (inserted) {
      if (keys_.size() == history_limits::kMaxKeys) {
        malformed(e, "key", "more than " + std::to_string(history_limits::kMaxKeys) + " distinct keys");
      }
      keys_.push_back(KeyState{e.key, std::nullopt});
    }
    return it->second;
  }

  void count(CheckReport* report) const {
    for (const Op& op : ops_) {
      if (!op.is_write()) {
        if (op.ok()) ++report->reads;
        continue;
      }
      switch (op.outcome()) {
        case Outcome::kOk: ++report->acknowledged; break;
        case Outcome::kFail: ++report->failed; break;
        case Outcome::kUnknown: ++report->unknown; break;
      }
    }
  }

  // Without a final read, "not lost" cannot be shown: an incomplete history is an error, never a pass.
  void require_final_reads() const {
    std::vector<std::size_t> acknowledged(keys_.size(), 0);
    for (const Op& op : ops_) {
      if (op.is_write() && op.ok()) ++acknowledged[op.key];
    }
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      if (acknowledged[k] == 0) continue;
      const KeyState& key = keys_[k];
      const std::string has = "key " + quote(key.name) + " has " + std::to_string(acknowledged[k]) + " acknowledged writes";
      if (!key.final_get) {
        throw Malformed{HistoryError{0, has + " but no final read: add a get with \"final\": true after the cluster settles"}};
      }
      const Op& final_get = ops_[*key.final_get];
      if (!final_get.ok()) {
        throw Malformed{HistoryError{final_get.invoke->line, "field \"final\": " + has + " but its final read " +
                                                                 quote(final_get.invoke->op) + " did not complete ok"}};
      }
    }
  }

  void find_phantoms(CheckReport* report) {
    for (std::size_t g : completed_gets_) {
      Op& get = ops_[g];
      for (const WriteId& s : *get.complete->siblings) {
        std::string why;
        auto it = writes_.find(s);
        if (it == writes_.end()) {
          why = s.deleted ? "no delete has this op id" : "no put wrote this value";
        } else if (ops_[it->second].key != get.key) {
          why = "written to key " + quote(keys_[ops_[it->second].key].name) + " by op " + quote(ops_[it->second].invoke->op);
        } else if (ops_[it->second].invoke->line > get.complete->line) {
          why = "op " + quote(ops_[it->second].invoke->op) + " wrote it later (line " +
                std::to_string(ops_[it->second].invoke->line) + ") than this read completed";
        }
        if (!why.empty()) {
          report->phantoms.push_back(Phantom{keys_[get.key].name, get.invoke->op, s, why});
          continue;
        }
        get.returned.push_back(it->second);
        last_seen_by_[it->second] = g;
      }
    }
  }

  // Whether get g returned a put that write w covers (one in hist(w)).
  bool returns_value_covered_by(const Op& g, std::size_t w) const {
    std::vector<bool> in_hist(ops_.size(), false), expanded(ops_.size(), false);
    std::vector<std::size_t> gets;
    if (ops_[w].read) gets.push_back(*ops_[w].read);
    while (!gets.empty()) {
      const std::size_t r = gets.back();
      gets.pop_back();
      if (expanded[r]) continue;
      expanded[r] = true;
      for (std::size_t s : ops_[r].returned) {
        if (in_hist[s]) continue;
        in_hist[s] = true;
        if (ops_[s].read) gets.push_back(*ops_[s].read);
      }
    }
    for (std::size_t s : g.returned)
      if (in_hist[s] && ops_[s].invoke->type == OpType::kPut) return true;
    return false;
  }

  // Marks every write covered by a write that `counts` (BFS over based-on gets, each expanded once).
  template <class Counts>
  std::vector<bool> covered_by(Counts counts) const {
    std::vector<bool> covered(ops_.size(), false), expanded(ops_.size(), false);
    std::vector<std::size_t> gets;
    for (const Op& op : ops_) {
      if (op.is_write() && op.read && counts(op)) gets.push_back(*op.read);
    }
    while (!gets.empty()) {
      const std::size_t g = gets.back();
      gets.pop_back();
      if (expanded[g]) continue;
      expanded[g] = true;
      for (std::size_t w : ops_[g].returned) {
        if (covered[w]) continue;
        covered[w] = true;
        if (ops_[w].read) gets.push_back(*ops_[w].read);
      }
    }
    return covered;
  }

  void find_lost(CheckReport* report) const {
    const std::vector<bool> covered = covered_by([](const Op& op) { return op.outcome() != Outcome::kFail; });
    const std::vector<bool> covered_by_any = covered_by([](const Op&) { return true; });
    for (std::size_t w = 0; w < ops_.size(); ++w) {
      const Op& op = ops_[w];
      if (!op.is_write() || !op.ok() || covered[w]) continue;
      const Op& final_get = ops_[*keys_[op.key].final_get];  // require_final_reads made sure it exists
      bool returned = false;
      for (std::size_t s : final_get.returned) returned = returned || s == w;
      if (returned) continue;
      // A delete's tombstone need not outlive what it deleted: a store may reap it once nothing it
      // covers is left anywhere (docs/reaping.md). It is lost when the final read returns a value it
      // covers without it (the deleted value came back: a resurrection), not merely by its absence.
      if (op.invoke->type == OpType::kDelete && !returns_value_covered_by(final_get, w)) continue;
      LostWrite lost{keys_[op.key].name, op.write_id(), op.invoke->op, op.invoke->process, "", std::nullopt};
      lost.why = "the final read " + quote(final_get.invoke->op) + " (line " + std::to_string(final_get.invoke->line) +
                 ") does not return it, and no put or delete whose outcome is ok or unknown covers it";
      if (covered_by_any[w]) lost.why += " (only failed writes do)";
      if (auto it = last_seen_by_.find(w); it != last_seen_by_.end()) lost.last_seen_by = ops_[it->second].invoke->op;
      report->lost.push_back(std::move(lost));
    }
  }

  std::vector<Op> ops_;
  std::vector<KeyState> keys_;
  std::unordered_map<std::string, std::size_t> op_index_;
  std::unordered_map<std::string, std::size_t> key_index_;
  std::unordered_map<std::string, std::size_t> pending_;  // process -> its op in flight
  std::map<WriteId, std::size_t> writes_;                 // write -> the op that wrote it
  std::vector<std::size_t> completed_gets_;               // gets that completed ok, in completion order
  std::unordered_map<std::size_t, std::size_t> last_seen_by_;  // write op -> last get returning it
};

}  // namespace

CheckReport check_history(const std::vector<Event>& events) {
  try {
    return Checker().run(events);
  } catch (const Malformed& m) {
    CheckReport report;
    report.verdict = Verdict::kMalformed;
    report.error = m.error;
    return report;
  }
}

CheckReport check_history_text(std::string_view text) {
  const ParsedHistory parsed = parse_history(text);
  if (parsed.error) {
    CheckReport report;
    report.verdict = Verdict::kMalformed;
    report.error = parsed.error;
    return report;
  }
  return check_history(parsed.events);
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid: return "valid";
    case Verdict::kInvalid: return "invalid";
    case Verdict::kMalformed: return "malformed";
  }
  return "?";
}

json write_to_json(const WriteId& write) { return write.deleted ? json{{"deleted", write.id}} : json(write.id); }

json report_to_json(const CheckReport& report) {
  if (report.error) {
    return json{{"verdict", verdict_name(report.verdict)},
                {"line", report.error->line == 0 ? json(nullptr) : json(report.error->line)},
                {"error", report.error->to_string()}};
  }
  json lost = json::array();
  for (const LostWrite& l : report.lost) {
    lost.push_back({{"key", l.key}, {"write", write_to_json(l.write)}, {"op", l.op}, {"process", l.process},
                    {"why", l.why}, {"last_seen_by", l.last_seen_by ? json(*l.last_seen_by) : json(nullptr)}});
  }
  json phantoms = json::array();
  for (const Phantom& p : report.phantoms) {
    phantoms.push_back({{"key", p.key}, {"get", p.get}, {"returned", write_to_json(p.returned)}, {"why", p.why}});
  }
  return json{{"verdict", verdict_name(report.verdict)},
              {"events", report.events},
              {"keys", report.keys},
              {"writes", {{"acknowledged", report.acknowledged}, {"failed", report.failed}, {"unknown", report.unknown}}},
              {"reads", report.reads},
              {"lost", lost},
              {"phantoms", phantoms}};
}

}  // namespace dynamo::check
