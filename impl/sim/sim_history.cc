// The client history as NDJSON (spec/history-format.md), so `dynamo check-history` can reread it.
#include <nlohmann/json.hpp>

#include "impl/check/history_checker.h"
#include "impl/sim/simulation.h"

namespace dynamo::sim {

std::string history_to_ndjson(const std::vector<check::Event>& history) {
  std::string out;
  for (const auto& e : history) {
    nlohmann::json line{{"process", e.process}, {"op", e.op}};
    if (e.kind == check::EventKind::kInvoke) {
      line["event"] = "invoke";
      line["type"] = check::op_type_name(e.type);
      line["key"] = e.key;
      if (e.type == check::OpType::kPut) line["value"] = e.value;
      if (e.type != check::OpType::kGet) line["read"] = e.read ? nlohmann::json(*e.read) : nlohmann::json(nullptr);
      if (e.final) line["final"] = true;
    } else {
      line["event"] = "complete";
      line["outcome"] = check::outcome_name(e.outcome);
      if (e.siblings) {
        nlohmann::json siblings = nlohmann::json::array();
        for (const auto& s : *e.siblings) siblings.push_back(check::write_to_json(s));
        line["siblings"] = siblings;
      }
    }
    out += line.dump() + "\n";
  }
  return out;
}

}  // namespace dynamo::sim
