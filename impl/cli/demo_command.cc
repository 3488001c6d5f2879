// `dynamo versions`: the versioning rules of §4.4 at work on sample scenarios, computed offline
// by the same core the nodes run. Each step prints the version a put creates and what a replica
// then holds, so the rules can be read off the output.
#include <cstdio>
#include <string>
#include <vector>

#include "impl/cli/commands.h"
#include "impl/core/version.h"

namespace dynamo::cli {
namespace {

std::string show(const CausalContext& context) {
  std::string out = "{";
  for (const ClockEntry& entry : context.summary().entries()) {
    out += (out.size() > 1 ? ", " : "") + entry.actor + ":" + std::to_string(entry.counter);
  }
  for (const Dot& dot : context.cloud()) {
    out += (out.size() > 1 ? ", " : "") + std::string("(") + dot.actor + "," + std::to_string(dot.counter) + ")";
  }
  return out + "}";
}

std::string show(const Version& v) {
  return "(" + v.dot.actor + "," + std::to_string(v.dot.counter) + ") " +
         (v.value ? "\"" + *v.value + "\"" : std::string("<deleted>")) + " context " + show(v.context);
}

void show_state(const char* who, const KeyState& state) {
  std::printf("    %s holds %zu sibling(s); a get returns context %s\n", who, state.siblings.size(),
              show(read_context(state.siblings)).c_str());
  for (const Version& v : state.siblings) std::printf("      %s\n", show(v).c_str());
}

MadeVersion put(const char* what, const KeyState& at, const char* actor, const CausalContext& context,
                const char* value) {
  MadeVersion made = make_version(at, actor, context, std::string(value), 0);
  std::printf("  %s: put \"%s\" at %s with context %s -> version %s\n", what, value, actor,
              show(context).c_str(), show(made.version).c_str());
  return made;
}

void figure3() {
  std::printf("Figure 3 of the paper (§4.4): a version's history is its context plus its dot.\n");
  MadeVersion d1 = put("D1", KeyState{}, "Sx", {}, "D1");
  MadeVersion d2 = put("D2", d1.state, "Sx", read_context(d1.state.siblings), "D2");
  const CausalContext read_d2 = read_context(d2.state.siblings);
  MadeVersion d3 = put("D3", store_version(KeyState{}, d2.version), "Sy", read_d2, "D3");
  MadeVersion d4 = put("D4", store_version(KeyState{}, d2.version), "Sz", read_d2, "D4");
  KeyState sx = store_version(store_version(d2.state, d3.version), d4.version);
  show_state("Sx, after D3 and D4 reach it,", sx);
  MadeVersion d5 = put("D5", sx, "Sx", read_context(sx.siblings), "D5");
  show_state("Sx, after the client reconciles,", d5.state);
  std::printf("  D5's history %s is the paper's [(Sx,3),(Sy,1),(Sz,1)].\n\n", show(d5.version.history()).c_str());
}

void blind_puts() {
  std::printf("Two context-free puts through one coordinator (what Riak before 2.0 lost):\n");
  MadeVersion first = put("1", KeyState{}, "A", {}, "cart=[book]");
  MadeVersion second = put("2", first.state, "A", {}, "cart=[pen]");
  show_state("A", second.state);
  std::printf("  Both survive: the second put's context did not contain (A,1), so it supersedes nothing.\n");
  const CausalContext seen = read_context(second.state.siblings);
  MadeVersion merged = put("3", second.state, "A", seen, "cart=[book,pen]");
  show_state("A, after a client read both and wrote their union,", merged.state);
  std::printf("\n");
}

void run(const std::string& scenario) {
  if (scenario == "figure3" || scenario == "all") figure3();
  if (scenario == "blind-puts" || scenario == "all") blind_puts();
}

}  // namespace

void add_versions_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "versions", "Show the versioning rules (dotted versions, contexts, siblings) on sample scenarios, offline.");
  auto scenario = std::make_shared<std::string>("all");
  cmd->add_option("--scenario", *scenario, "which scenario to replay")
      ->check(CLI::IsMember({"all", "figure3", "blind-puts"}))
      ->capture_default_str();
  cmd->callback([scenario] { run(*scenario); });
}

}  // namespace dynamo::cli
