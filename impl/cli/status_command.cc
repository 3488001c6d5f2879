// `dynamo status`: every member of the cluster as the nodes see it: who is up (answered), what each
// suspects, hints pending, requests in flight. Exit 0 when every member answered, 4 otherwise.
#include <iomanip>
#include <iostream>
#include <memory>
#include <vector>

#include "impl/cli/cluster_client.h"
#include "impl/cli/commands.h"

namespace dynamo::cli {

void add_status_command(CLI::App& app) {
  auto options = std::make_shared<ClusterOptions>();
  CLI::App* status = app.add_subcommand("status", "Show the members of a running cluster: who is up, hints pending");
  add_cluster_options(*status, *options);
  status->footer("Exit codes: 0 every member answered, 4 a member is down or the cluster did not answer.\n"
                 "Example:\n  dynamo status\n  dynamo status --node tcp://127.0.0.1:7112 --timeout 1000");
  status->callback([options] {
    auto client = connect_or_throw(*options);
    const net::RingInfo& ring = client->ring();
    std::cout << ring.members.size() << " members, Q = " << ring.partitions << " partitions\n";
    const std::vector<Result<net::StatusInfo>> answers = ask_every_member(*client);
    std::size_t down = 0;
    for (std::size_t i = 0; i < ring.members.size(); ++i) {
      const auto& m = ring.members[i];
      const auto& info = answers[i];
      std::cout << std::left << std::setw(10) << m.member.id << " " << std::setw(6) << m.member.dc << " "
                << m.client_address << "  ";
      if (!info.ok()) {
        ++down;
        std::cout << "DOWN (" << info.error().message << ")\n";
        continue;
      }
      const auto& s = info.value();
      std::cout << "up, epoch " << s.epoch << ", up " << s.uptime_ms / 1000 << " s, in flight " << s.requests_in_flight
                << ", hints pending " << s.hints_pending << ", handoffs " << s.handoffs_in_flight << ", read repairs "
                << s.read_repairs << ", dropped " << s.dropped_messages << "\n"
                << "           anti-entropy: " << s.merkle_exchanges << " tree exchanges, " << s.merkle_keys_repaired
                << " keys repaired, " << s.merkle_bytes_sent << " bytes sent; " << s.tombstones_reaped
                << " tombstones reaped; " << s.keys_not_owned << " keys to hand over\n";
      for (const auto& peer : s.peers)
        if (peer.suspected || peer.hints_pending > 0)
          std::cout << "           sees " << peer.id << (peer.suspected ? " as suspected" : " up") << ", "
                    << peer.hints_pending << " hints for it\n";
    }
    if (down > 0) throw CLI::RuntimeError(std::to_string(down) + " member(s) did not answer", kExitUnavailable);
  });
}

}  // namespace dynamo::cli
