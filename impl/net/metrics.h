// metrics.h: the node's metrics in Prometheus text exposition format (version 0.0.4), without an
// external library. Counters, gauges and histograms, each in a family with a fixed label set: every
// label combination is declared when the family is made, so lookups never allocate or lock, every
// series is exported from the start (at 0), and cardinality is bounded whatever callers pass (a value
// outside the declared set is counted under the family's fallback value, "other").
//
// Thread-safe: increments are relaxed atomics; the event loop and the HTTP threads call freely, and
// render() may run concurrently (each series is read atomically; a histogram's _count is the sum of
// the buckets read, so _bucket{le="+Inf"} == _count always holds in one rendering).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dynamo::net {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // For a total counted elsewhere (the core's own counters): publishes it as is.
  void set_total(std::uint64_t total) { value_.store(total, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing; +Inf is implicit.
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative counts per bucket, the last one being +Inf's.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds: 100 µs to 10 s.
const std::vector<double>& latency_buckets();

// One metric family: a name, help text, label names and the declared label values (one entry per
// series, in order; no label names means one unlabelled series). Histograms take their bucket bounds.
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<std::vector<std::string>> label_values, const std::vector<double>* bounds = nullptr);

  // The series with these label values, or the fallback series (every value "other" where the
  // declared set has it, else the first series) when they were not declared.
  Metric& with(std::initializer_list<std::string_view> values);
  // The single series of an unlabelled family.
  Metric& get() { return *series_.front(); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<std::vector<std::string>>& label_values() const { return label_values_; }
  const Metric& series(std::size_t i) const { return *series_[i]; }
  std::size_t size() const { return series_.size(); }

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<std::vector<std::string>> label_values_;
  std::vector<std::unique_ptr<Metric>> series_;
  std::size_t fallback_ = 0;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Text rendering, exposed for tests and for other registries.
void render_family(std::string& out, const CounterFamily& family);
void render_family(std::string& out, const GaugeFamily& family);
void render_family(std::string& out, const HistogramFamily& family);
// A label value escaped for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);
// A sample value: integers exactly, others in the shortest form that reads back the same; +Inf, -Inf, NaN.
std::string format_sample(double value);

// The node's metrics. The node calls the helpers below (or the families directly) and serves render()
// at GET /metrics with Content-Type "text/plain; version=0.0.4".
struct DynamoMetrics {
  DynamoMetrics();

  // op: get|put|delete; status: ok|failed|unknown|redirect (reply_status_name).
  CounterFamily requests_total;
  HistogramFamily request_duration_seconds;  // {op}
  GaugeFamily hints_pending;
  GaugeFamily requests_in_flight;
  CounterFamily read_repairs_total;
  CounterFamily siblings_returned_total;
  HistogramFamily siblings_per_get;  // successful gets only
  // reason: malformed (a peer batch that did not decode), malformed_client, peer_unreachable,
  // rejected (a peer message the core refused), unauthenticated (a peer message the cluster secret
  // does not vouch for: peer_auth.h), other.
  CounterFamily messages_dropped_total;
  CounterFamily peer_messages_sent_total;
  CounterFamily peer_batches_sent_total;
  // HTTP requests answered at once with an error, by status: 400|404|405|413|other.
  CounterFamily http_refusals_total;
  // Anti-entropy (docs/anti-entropy.md), transfers and reaping: the core's running totals.
  CounterFamily merkle_exchanges_total;
  CounterFamily merkle_keys_repaired_total;
  CounterFamily merkle_bytes_sent_total;
  CounterFamily keys_transferred_total;
  CounterFamily tombstones_reaped_total;
  GaugeFamily keys_not_owned;

  // One answered client request: its latency, and for a get the number of siblings it returned.
  void observe_request(std::string_view op, std::string_view status, double seconds, std::size_t siblings);
  void count_dropped(std::string_view reason, std::uint64_t n = 1);
  void count_http_refusal(int status);
  // One PeerBatch sent, carrying `messages` peer messages.
  void count_peer_batch(std::size_t messages);
  // The node core's figures (NodeStats): gauges, and the core's running totals.
  struct NodeFigures {
    std::size_t hints = 0, in_flight = 0;
    std::uint64_t read_repairs = 0;
    std::uint64_t merkle_exchanges = 0, merkle_keys_repaired = 0, merkle_bytes_sent = 0;
    std::uint64_t keys_transferred = 0, tombstones_reaped = 0, keys_not_owned = 0;
  };
  void set_node_gauges(const NodeFigures& figures);

  std::string render() const;
};

}  // namespace dynamo::net
