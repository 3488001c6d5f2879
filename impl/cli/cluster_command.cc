// `dynamo cluster up`: a local development cluster on loopback. Each node is its own process
// (`dynamo node --config DIR/nI.toml`) with its own RocksDB directory; logs go to this terminal,
// each line naming its node. Ctrl-C (or SIGTERM) stops every node cleanly. Running it again with
// the same --dir restarts the same cluster on the same data (and secret: DIR/cluster.secret, drawn
// at the first start, mode 0600, seals every peer message).
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "impl/cli/cluster_client.h"
#include "impl/cli/commands.h"
#include "impl/node/cluster_secret.h"
#include "impl/node/config_file.h"

namespace dynamo::cli {
namespace {

struct UpOptions {
  int nodes = 3;
  int base_port = kDefaultBasePort;
  std::string dir = "dynamo-cluster";
  bool memory = false;
  bool demo = false;
  int n = 0, r = 0, w = 0;  // 0: N = min(3, nodes), R = W = majority of N
  bool durable = false;
  bool overlap_writes = false;
};

std::atomic<bool> stop_requested{false};
extern "C" void on_cluster_signal(int) { stop_requested.store(true); }

std::vector<node::NodeFileConfig> cluster_configs(const UpOptions& o) {
  const std::vector<net::MemberAddress> members = node::local_cluster_members(o.nodes, o.base_port);
  StoreConfig store;
  store.quorum.n = o.n > 0 ? o.n : std::min(3, o.nodes);
  store.quorum.r = o.r > 0 ? o.r : store.quorum.n / 2 + 1;
  store.quorum.w = o.w > 0 ? o.w : store.quorum.n / 2 + 1;
  store.replica_durability = o.durable ? Durability::kDurable : Durability::kBuffered;
  store.overlap_coordinator_write = o.overlap_writes;
  std::vector<node::NodeFileConfig> configs;
  for (const auto& m : members) {
    node::NodeFileConfig c;
    c.self = m;
    c.members = members;
    c.stores = {store};
    c.engine = o.memory ? node::Engine::kMemory : node::Engine::kRocksDb;
    c.data_dir = std::filesystem::absolute(o.dir + "/" + m.member.id).string();
    configs.push_back(std::move(c));
  }
  return configs;
}

pid_t spawn_node(const std::string& config_path) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: dies with the cluster command, even if that is killed with SIGKILL.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(1);
  execl("/proc/self/exe", "dynamo", "node", "--config", config_path.c_str(), static_cast<char*>(nullptr));
  std::perror("dynamo cluster up: cannot start a node");
  _exit(127);
}

struct Child {
  std::string id;
  pid_t pid = 0;  // 0 once it has exited and been reaped
};

std::string exit_description(int status) {
  return WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "status " + std::to_string(WEXITSTATUS(status));
}

bool failed_exit(int status) { return WIFSIGNALED(status) || WEXITSTATUS(status) != 0; }

// Waits until every node answers a status call (at most ~10 s); returns why not, one line per node
// (empty: all up). A node that exited is reaped here and named. A node answers for itself only if
// its uptime is within the time since it was spawned (both on the machine's monotonic clock, the
// elapsed time taken after the answer): otherwise another process (an older cluster on the same
// ports) answers in its place, and this one will fail to bind.
std::vector<std::string> wait_until_up(const std::vector<node::NodeFileConfig>& configs, std::vector<Child>& children,
                                       std::chrono::steady_clock::time_point spawned) {
  std::vector<std::string> problems;
  for (int attempt = 0; attempt < 40 && !stop_requested.load(); ++attempt) {
    problems.clear();
    for (auto& child : children) {
      int status = 0;
      if (child.pid > 0 && waitpid(child.pid, &status, WNOHANG) == child.pid) {
        child.pid = 0;
        problems.push_back(child.id + " exited (" + exit_description(status) + ") before answering: see its log lines above");
      }
    }
    if (!problems.empty()) return problems;
    client::ClientOptions options;
    options.seeds = {configs.front().self.client_address};
    options.timeout_ms = 500;
    auto client = client::Client::connect(options);
    for (const auto& c : configs) {
      const std::string& id = c.self.member.id;
      auto status = client.ok() ? client.value()->status(id) : Result<net::StatusInfo>(client.error());
      const auto since_spawn = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - spawned);
      if (!status.ok())
        problems.push_back(id + " is not answering yet");
      else if (status.value().uptime_ms > static_cast<std::uint64_t>(since_spawn.count()))
        problems.push_back(id + ": another process answers on its ports (up " +
                           std::to_string(status.value().uptime_ms / 1000) + " s); stop it or choose another --base-port");
    }
    if (problems.empty()) return problems;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return problems;
}

// The first commands to try, with --node unless the CLI's default address reaches this cluster.
std::string try_hint(const UpOptions& o, const node::NodeFileConfig& first) {
  const std::string node = o.base_port == kDefaultBasePort ? "" : " --node " + first.self.client_address;
  return "Try: dynamo put hello world" + node + "; dynamo get hello" + node + "; curl http://" +
         first.self.http_address + "/kv/hello";
}

void run_demo(const std::vector<node::NodeFileConfig>& configs) {
  client::ClientOptions options;
  options.seeds = {configs.front().self.client_address};
  auto client = client::Client::connect(options);
  if (!client.ok()) {
    std::cout << "demo: cannot connect: " << client.error().message << std::endl;
    return;
  }
  ClientRequest put;
  put.op = OpKind::kPut;
  put.key = "hello";
  put.value = "world";
  const ClientReply stored = client.value()->call(put);
  std::cout << "demo: put hello=world -> " << reply_status_name(stored.status)
            << (stored.dot ? " (version " + stored.dot->actor + ":" + std::to_string(stored.dot->counter) + ")" : "")
            << " via " << client.value()->route("default", "hello") << std::endl;
  ClientRequest get;
  get.key = "hello";
  const ClientReply read = client.value()->call(get);
  std::cout << "demo: get hello -> " << reply_status_name(read.status) << ", " << read.siblings.size() << " version(s):";
  for (const auto& v : read.siblings) std::cout << " " << (v.value ? *v.value : std::string("(deleted)"));
  std::cout << std::endl;
}

}  // namespace

void add_cluster_command(CLI::App& app) {
  CLI::App* cluster = app.add_subcommand("cluster", "Local development clusters");
  cluster->require_subcommand(1);
  auto o = std::make_shared<UpOptions>();
  CLI::App* up = cluster->add_subcommand("up", "Start a local cluster on loopback, in the foreground (Ctrl-C stops it)");
  up->add_option("--nodes", o->nodes, "Number of nodes, 1..64")->capture_default_str()->check(CLI::Range(1, 64));
  up->add_option("--base-port", o->base_port,
                 "Node n1 serves HTTP on base, peers on base+1, clients on base+2; n2 on base+10.., and so on")
      ->capture_default_str()
      ->check(CLI::Range(1024, 65000));
  up->add_option("--dir", o->dir, "Where each node's config and data directory go (DIR/nI.toml, DIR/nI/)")
      ->capture_default_str();
  up->add_flag("--memory", o->memory, "Keep data in memory instead of RocksDB (nothing survives a restart)");
  up->add_option("--n", o->n, "Replicas per key of the default store (default min(3, nodes))");
  up->add_option("--r", o->r, "Read quorum (default a majority of N)");
  up->add_option("--w", o->w, "Write quorum (default a majority of N)");
  up->add_flag("--durable", o->durable, "Replicas write durably too (default: buffered, the coordinator durable)");
  up->add_flag("--overlap-writes", o->overlap_writes,
               "Send each put to the replicas beside the coordinator's own durable write, not after it "
               "(stores.NAME.overlap_coordinator_write)");
  up->add_flag("--demo", o->demo, "Once up, put hello=world and read it back");
  up->footer(
      "Node i (n1 is i = 0) listens on base+10i (HTTP), base+10i+1 (peers), base+10i+2 (clients).\n"
      "Exit status: 0 once every node stopped cleanly; 1 if a node did not start or exited with an error.\n"
      "Example:\n  dynamo cluster up --nodes 3\n  dynamo put hello world && dynamo get hello   # in another terminal\n"
      "  dynamo cluster up --base-port 7500 --dir /tmp/c2   # a second cluster: pass --node tcp://127.0.0.1:7502");
  up->callback([o] {
    if (o->base_port + 10 * o->nodes > 65535) throw CLI::ValidationError("--base-port", "ports would pass 65535");
    auto configs = cluster_configs(*o);
    std::error_code ec;
    std::filesystem::create_directories(o->dir, ec);
    if (ec) throw CLI::RuntimeError("cannot create " + o->dir + ": " + ec.message(), kExitUsage);
    // One random secret for the cluster's peer messages (docs/security.md), kept across restarts.
    const std::string secret_path = std::filesystem::absolute(o->dir + "/cluster.secret").string();
    if (Status s = node::ensure_secret_file(secret_path); !s.ok()) throw CLI::RuntimeError(s.error().message, kExitUsage);
    for (auto& c : configs) c.secret_file = secret_path;
    struct sigaction action {};
    action.sa_handler = on_cluster_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::vector<Child> children;
    const auto spawned = std::chrono::steady_clock::now();
    for (const auto& c : configs) {
      const std::string path = o->dir + "/" + c.self.member.id + ".toml";
      std::ofstream(path) << node::render_node_config(c);
      std::cout << c.self.member.id << ": http http://" << c.self.http_address << "  client " << c.self.client_address
                << "  peer " << c.self.peer_address << "  data " << (o->memory ? std::string("memory") : c.data_dir)
                << std::endl;
      children.push_back({c.self.member.id, spawn_node(path)});
    }
    const auto problems = wait_until_up(configs, children, spawned);
    bool failed = false;  // a node did not come up, or exited with an error: the exit code says so
    if (problems.empty()) {
      std::cout << "cluster up: " << configs.size() << (configs.size() == 1 ? " node" : " nodes") << " answering. "
                << try_hint(*o, configs.front())
                << ". Ctrl-C stops it." << std::endl;
      if (o->demo) run_demo(configs);
    } else if (!stop_requested.load()) {
      // A cluster that is not whole is not what was asked for: stop the rest rather than serve half.
      std::cout << "cluster up: did not start:" << std::endl;
      for (const auto& problem : problems) std::cout << "  " << problem << std::endl;
      std::cout << "cluster up: stopping the other nodes" << std::endl;
      failed = true;
      stop_requested.store(true);
    }
    std::size_t running = 0;
    for (const auto& child : children) running += child.pid > 0 ? 1 : 0;
    while (running > 0) {
      if (stop_requested.load()) {
        for (const auto& child : children)
          if (child.pid > 0) kill(child.pid, SIGTERM);
      }
      int status = 0;
      const pid_t done = waitpid(-1, &status, stop_requested.load() ? 0 : WNOHANG);
      if (done > 0) {
        for (auto& child : children) {
          if (child.pid != done) continue;
          child.pid = 0;
          --running;
          if (failed_exit(status)) failed = true;
          if (!stop_requested.load())
            std::cout << "cluster up: " << child.id << " exited (" << exit_description(status)
                      << "); the others keep serving" << std::endl;
          else if (failed_exit(status))
            std::cout << "cluster up: " << child.id << " stopped with " << exit_description(status) << std::endl;
        }
      } else if (!stop_requested.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    std::cout << "cluster up: every node stopped" << std::endl;
    if (failed) throw CLI::RuntimeError("cluster up: a node failed (see above)", kExitFailed);
  });
}

}  // namespace dynamo::cli
