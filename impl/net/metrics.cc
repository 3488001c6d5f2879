// metrics.cc: see metrics.h.
#include "impl/net/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "impl/core/check.h"

namespace dynamo::net {

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i + 1 < bounds_.size(); ++i) DYNAMO_CHECK(bounds_[i] < bounds_[i + 1]);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && !(value <= bounds_[bucket])) ++bucket;  // NaN lands in +Inf
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> counts(bounds_.size() + 1);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = counts_[i].load(std::memory_order_relaxed);
  return counts;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                           0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return buckets;
}

namespace {

const std::vector<double>& sibling_buckets() {
  static const std::vector<double> buckets{1, 2, 3, 4, 8, 16, 32, 64};
  return buckets;
}

template <class Metric>
std::unique_ptr<Metric> make_series(const std::vector<double>* bounds) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    DYNAMO_CHECK(bounds != nullptr);
    return std::make_unique<Histogram>(*bounds);
  } else {
    return std::make_unique<Metric>();
  }
}

// name{a="x",b="y"} or name{a="x",b="y",extra} or name, or name{extra}.
std::string series_name(std::string_view name, const std::vector<std::string>& label_names,
                        const std::vector<std::string>& values, std::string_view extra = {}) {
  std::string out(name);
  if (label_names.empty() && extra.empty()) return out;
  out += '{';
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!label_names.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

template <class Metric>
void render_header(std::string& out, const Family<Metric>& family, std::string_view type) {
  out += "# HELP ";
  out += family.name();
  out += ' ';
  for (const char c : family.help()) {  // HELP escapes backslash and newline
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += "\n# TYPE ";
  out += family.name();
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<std::vector<std::string>> label_values, const std::vector<double>* bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
      label_values_(std::move(label_values)) {
  if (label_names_.empty()) label_values_ = {{}};
  DYNAMO_CHECK(!label_values_.empty());
  for (std::size_t i = 0; i < label_values_.size(); ++i) {
    DYNAMO_CHECK(label_values_[i].size() == label_names_.size());
    series_.push_back(make_series<Metric>(bounds));
    bool all_other = !label_names_.empty();
    for (const auto& value : label_values_[i]) all_other = all_other && value == "other";
    if (all_other) fallback_ = i;
  }
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  if (values.size() == label_names_.size()) {
    for (std::size_t i = 0; i < label_values_.size(); ++i) {
      if (std::equal(values.begin(), values.end(), label_values_[i].begin())) return *series_[i];
    }
  }
  return *series_[fallback_];
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_sample(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  const double magnitude = std::fabs(value);
  const auto format = magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, format);
  DYNAMO_CHECK(error == std::errc());
  return std::string(buffer, end);
}

void render_family(std::string& out, const CounterFamily& family) {
  render_header(out, family, "counter");
  for (std::size_t i = 0; i < family.size(); ++i) {
    out += series_name(family.name(), family.label_names(), family.label_values()[i]);
    out += ' ';
    out += std::to_string(family.series(i).value());
    out += '\n';
  }
}

void render_family(std::string& out, const GaugeFamily& family) {
  render_header(out, family, "gauge");
  for (std::size_t i = 0; i < family.size(); ++i) {
    out += series_name(family.name(), family.label_names(), family.label_values()[i]);
    out += ' ';
    out += format_sample(family.series(i).value());
    out += '\n';
  }
}

void render_family(std::string& out, const HistogramFamily& family) {
  render_header(out, family, "histogram");
  const std::string bucket_name = family.name() + "_bucket";
  for (std::size_t i = 0; i < family.size(); ++i) {
    const Histogram& histogram = family.series(i);
    const auto& values = family.label_values()[i];
    const std::vector<std::uint64_t> counts = histogram.bucket_counts();
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
      cumulative += counts[b];
      const std::string le = b < histogram.bounds().size() ? format_sample(histogram.bounds()[b]) : "+Inf";
      out += series_name(bucket_name, family.label_names(), values, "le=\"" + le + "\"");
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += series_name(family.name() + "_sum", family.label_names(), values);
    out += ' ';
    out += format_sample(histogram.sum());
    out += '\n';
    out += series_name(family.name() + "_count", family.label_names(), values);
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
}

namespace {

std::vector<std::vector<std::string>> product(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<std::string>> out;
  for (const auto& x : a)
    for (const auto& y : b) out.push_back({x, y});
  return out;
}
std::vector<std::vector<std::string>> each(const std::vector<std::string>& a) {
  std::vector<std::vector<std::string>> out;
  for (const auto& x : a) out.push_back({x});
  return out;
}

const std::vector<std::string> kOps{"get", "put", "delete", "other"};
const std::vector<std::string> kStatuses{"ok", "failed", "unknown", "redirect", "other"};

}  // namespace

DynamoMetrics::DynamoMetrics()
    : requests_total("dynamo_requests_total", "Client requests answered, by operation and reply status.",
                     {"op", "status"}, product(kOps, kStatuses)),
      request_duration_seconds("dynamo_request_duration_seconds",
                               "Time from receiving a client request to answering it, in seconds.", {"op"},
                               each(kOps), &latency_buckets()),
      hints_pending("dynamo_hints_pending", "Hinted versions this node keeps for down replicas.", {}, {}),
      requests_in_flight("dynamo_requests_in_flight", "Client requests this node coordinates that are not answered yet.",
                         {}, {}),
      read_repairs_total("dynamo_read_repairs_total", "Read repairs sent to stale replicas after a get.", {}, {}),
      siblings_returned_total("dynamo_siblings_returned_total", "Versions returned by successful gets, summed.", {},
                              {}),
      siblings_per_get("dynamo_siblings_per_get", "Versions (siblings, tombstones included) per successful get.", {},
                       {}, &sibling_buckets()),
      messages_dropped_total("dynamo_messages_dropped_total", "Messages dropped, by reason.", {"reason"},
                             each({"malformed", "malformed_client", "peer_unreachable", "rejected", "unauthenticated",
                                   "other"})),
      peer_messages_sent_total("dynamo_peer_messages_sent_total", "Peer messages sent to other nodes.", {}, {}),
      peer_batches_sent_total("dynamo_peer_batches_sent_total",
                              "Peer batches (one NNG message each, carrying one or more peer messages) sent.", {}, {}),
      http_refusals_total("dynamo_http_refusals_total", "HTTP requests refused before reaching the core, by status.",
                          {"status"}, each({"400", "404", "405", "413", "other"})),
      merkle_exchanges_total("dynamo_merkle_exchanges_total", "Merkle tree exchanges this node started.", {}, {}),
      merkle_keys_repaired_total("dynamo_merkle_keys_repaired_total",
                                 "Keys a Merkle exchange found different and sent or pulled.", {}, {}),
      merkle_bytes_sent_total("dynamo_merkle_bytes_sent_total", "Bytes of Merkle tree messages this node sent.", {},
                              {}),
      keys_transferred_total("dynamo_keys_transferred_total",
                             "Keys sent to their new owners after a membership change.", {}, {}),
      tombstones_reaped_total("dynamo_tombstones_reaped_total", "Tombstones this node dropped once no longer needed.",
                              {}, {}),
      keys_not_owned("dynamo_keys_not_owned",
                     "Keys the last whole anti-entropy pass found here but owned by others (being handed over).", {},
                     {}) {}

void DynamoMetrics::observe_request(std::string_view op, std::string_view status, double seconds,
                                    std::size_t siblings) {
  requests_total.with({op, status}).inc();
  request_duration_seconds.with({op}).observe(seconds);
  if (op == "get" && status == "ok") {
    siblings_returned_total.get().inc(siblings);
    siblings_per_get.get().observe(static_cast<double>(siblings));
  }
}

void DynamoMetrics::count_dropped(std::string_view reason, std::uint64_t n) { messages_dropped_total.with({reason}).inc(n); }

void DynamoMetrics::count_http_refusal(int status) {
  char text[16];
  const auto [end, error] = std::to_chars(text, text + sizeof text, status);
  http_refusals_total.with({std::string_view(text, error == std::errc() ? end - text : 0)}).inc();
}

void DynamoMetrics::count_peer_batch(std::size_t messages) {
  peer_batches_sent_total.get().inc();
  peer_messages_sent_total.get().inc(messages);
}

void DynamoMetrics::set_node_gauges(const NodeFigures& f) {
  hints_pending.get().set(static_cast<double>(f.hints));
  requests_in_flight.get().set(static_cast<double>(f.in_flight));
  read_repairs_total.get().set_total(f.read_repairs);
  merkle_exchanges_total.get().set_total(f.merkle_exchanges);
  merkle_keys_repaired_total.get().set_total(f.merkle_keys_repaired);
  merkle_bytes_sent_total.get().set_total(f.merkle_bytes_sent);
  keys_transferred_total.get().set_total(f.keys_transferred);
  tombstones_reaped_total.get().set_total(f.tombstones_reaped);
  keys_not_owned.get().set(static_cast<double>(f.keys_not_owned));
}

std::string DynamoMetrics::render() const {
  std::string out;
  render_family(out, requests_total);
  render_family(out, request_duration_seconds);
  render_family(out, hints_pending);
  render_family(out, requests_in_flight);
  render_family(out, read_repairs_total);
  render_family(out, siblings_returned_total);
  render_family(out, siblings_per_get);
  render_family(out, messages_dropped_total);
  render_family(out, peer_messages_sent_total);
  render_family(out, peer_batches_sent_total);
  render_family(out, http_refusals_total);
  render_family(out, merkle_exchanges_total);
  render_family(out, merkle_keys_repaired_total);
  render_family(out, merkle_bytes_sent_total);
  render_family(out, keys_transferred_total);
  render_family(out, tombstones_reaped_total);
  render_family(out, keys_not_owned);
  return out;
}

}  // namespace dynamo::net
