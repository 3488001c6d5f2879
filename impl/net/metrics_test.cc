// Tests of the Prometheus metrics registry (metrics.h): the text exposition format, bucket
// arithmetic, label fallbacks and concurrent increments.
#include "impl/net/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace dynamo::net {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// Checks `text` against the exposition format: HELP and TYPE before a family's samples, sample lines
// "name{label="value",...} number", each series once, histogram buckets cumulative with +Inf == _count.
// Returns the samples by series name.
std::map<std::string, double> check_format(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?[0-9.eE+-]+|\+Inf|-Inf|NaN))");
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string current;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "HELP twice: " << line;
      current = m[1];
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_EQ(m[1], current) << "TYPE without HELP just before: " << line;
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << "TYPE twice: " << line;
    } else if (std::regex_match(line, m, kSample)) {
      std::string name = m[1];
      std::string family = name;
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        if (types.count(family) == 0 && name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
          family = name.substr(0, name.size() - s.size());
        }
      }
      EXPECT_EQ(family, current) << "sample outside its family: " << line;
      EXPECT_TRUE(types.count(family)) << "sample before TYPE: " << line;
      if (family != name) {
        EXPECT_EQ(types[family], "histogram") << line;
      }
      const std::string series = line.substr(0, line.rfind(' '));
      EXPECT_TRUE(samples.emplace(series, std::stod(line.substr(line.rfind(' ') + 1))).second) << "twice: " << line;
    } else {
      ADD_FAILURE() << "not exposition format: \"" << line << "\"";
    }
  }
  // Histograms: cumulative buckets, +Inf last and equal to _count.
  for (const auto& [family, type] : types) {
    if (type != "histogram") continue;
    std::map<std::string, std::vector<double>> buckets;  // labels without le -> counts in order
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(family + "_bucket", 0) != 0) continue;
      const auto le = line.find("le=\"");
      EXPECT_NE(le, std::string::npos) << line;
      const std::string labels = line.substr(0, le);
      buckets[labels].push_back(std::stod(line.substr(line.rfind(' ') + 1)));
      if (line.find("le=\"+Inf\"") != std::string::npos) {
        const auto& counts = buckets[labels];
        for (std::size_t i = 1; i < counts.size(); ++i) EXPECT_LE(counts[i - 1], counts[i]) << line;
        // The _count series: the same labels without le.
        std::string count_series = family + "_count" + line.substr(family.size() + 7, line.rfind(' ') - family.size() - 7);
        for (const std::string le : {",le=\"+Inf\"", "{le=\"+Inf\"}"}) {
          if (const auto at = count_series.find(le); at != std::string::npos) count_series.erase(at, le.size());
        }
        EXPECT_TRUE(samples.count(count_series)) << count_series;
        EXPECT_EQ(samples[count_series], counts.back()) << count_series;
      }
    }
    EXPECT_FALSE(buckets.empty()) << family;
  }
  return samples;
}

TEST(Metrics, FreshRegistryExportsEverySeriesAtZero) {
  DynamoMetrics metrics;
  const std::string text = metrics.render();
  const auto samples = check_format(text);
  for (const char* family : {"dynamo_requests_total", "dynamo_request_duration_seconds", "dynamo_hints_pending",
                             "dynamo_requests_in_flight", "dynamo_read_repairs_total", "dynamo_siblings_returned_total",
                             "dynamo_siblings_per_get", "dynamo_messages_dropped_total",
                             "dynamo_peer_messages_sent_total", "dynamo_peer_batches_sent_total",
                             "dynamo_http_refusals_total"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
  }
  EXPECT_TRUE(has_line(text, "# TYPE dynamo_requests_total counter"));
  EXPECT_TRUE(has_line(text, "# TYPE dynamo_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "# TYPE dynamo_hints_pending gauge"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"get\",status=\"ok\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"delete\",status=\"redirect\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_hints_pending 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"put\",le=\"0.0001\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"put\",le=\"10\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"put\",le=\"+Inf\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_sum{op=\"put\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_count{op=\"put\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_bucket{le=\"1\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_messages_dropped_total{reason=\"peer_unreachable\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_messages_dropped_total{reason=\"unauthenticated\"} 0"));
  for (const auto& [series, value] : samples) EXPECT_EQ(value, 0) << series;
}

TEST(Metrics, RequestsCountAndTime) {
  DynamoMetrics metrics;
  metrics.observe_request("get", "ok", 0.003, 2);
  metrics.observe_request("get", "ok", 0.001, 1);  // a bucket's bound is inclusive
  metrics.observe_request("put", "unknown", 20, 0);
  const std::string text = metrics.render();
  check_format(text);
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"get\",status=\"ok\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"put\",status=\"unknown\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"put\",status=\"ok\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"get\",le=\"0.0005\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"get\",le=\"0.001\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"get\",le=\"0.0025\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"get\",le=\"0.005\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"get\",le=\"+Inf\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_sum{op=\"get\"} 0.004"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_count{op=\"get\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"put\",le=\"10\"} 0"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_bucket{op=\"put\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_sum{op=\"put\"} 20"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_returned_total 3"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_bucket{le=\"1\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_bucket{le=\"2\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_count 2"));
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_sum 3"));
}

TEST(Metrics, FailedGetsAddNoSiblings) {
  DynamoMetrics metrics;
  metrics.observe_request("get", "failed", 0.5, 0);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "dynamo_siblings_per_get_count 0"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"get\",status=\"failed\"} 1"));
}

TEST(Metrics, UndeclaredLabelsGoToOther) {
  DynamoMetrics metrics;
  metrics.count_dropped("malformed");
  metrics.count_dropped("cosmic ray\n\"", 2);
  metrics.count_http_refusal(400);
  metrics.count_http_refusal(413);
  metrics.count_http_refusal(418);
  metrics.observe_request("scan", "ok", 0.1, 0);
  const std::string text = metrics.render();
  check_format(text);
  EXPECT_TRUE(has_line(text, "dynamo_messages_dropped_total{reason=\"malformed\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_messages_dropped_total{reason=\"other\"} 2"));
  EXPECT_TRUE(has_line(text, "dynamo_http_refusals_total{status=\"400\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_http_refusals_total{status=\"413\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_http_refusals_total{status=\"other\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"other\",status=\"other\"} 1"));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_count{op=\"other\"} 1"));
}

TEST(Metrics, NodeGaugesAndPeerCounts) {
  DynamoMetrics metrics;
  metrics.set_node_gauges({7, 3, 11, 4, 9, 1234, 5, 6, 2});
  metrics.count_peer_batch(5);
  metrics.count_peer_batch(1);
  std::string text = metrics.render();
  check_format(text);
  EXPECT_TRUE(has_line(text, "dynamo_hints_pending 7"));
  EXPECT_TRUE(has_line(text, "dynamo_requests_in_flight 3"));
  EXPECT_TRUE(has_line(text, "dynamo_read_repairs_total 11"));
  EXPECT_TRUE(has_line(text, "dynamo_peer_batches_sent_total 2"));
  EXPECT_TRUE(has_line(text, "dynamo_peer_messages_sent_total 6"));
  EXPECT_TRUE(has_line(text, "dynamo_merkle_exchanges_total 4"));
  EXPECT_TRUE(has_line(text, "dynamo_merkle_keys_repaired_total 9"));
  EXPECT_TRUE(has_line(text, "dynamo_merkle_bytes_sent_total 1234"));
  EXPECT_TRUE(has_line(text, "dynamo_keys_transferred_total 5"));
  EXPECT_TRUE(has_line(text, "dynamo_tombstones_reaped_total 6"));
  EXPECT_TRUE(has_line(text, "dynamo_keys_not_owned 2"));
  metrics.set_node_gauges({0, 0, 12, 0, 0, 0, 0, 0, 0});
  text = metrics.render();
  EXPECT_TRUE(has_line(text, "dynamo_hints_pending 0"));
  EXPECT_TRUE(has_line(text, "dynamo_read_repairs_total 12"));
}

TEST(Metrics, SampleAndLabelFormatting) {
  EXPECT_EQ(format_sample(0), "0");
  EXPECT_EQ(format_sample(42), "42");
  EXPECT_EQ(format_sample(-3), "-3");
  EXPECT_EQ(format_sample(0.0001), "0.0001");
  EXPECT_EQ(format_sample(0.00025), "0.00025");
  EXPECT_EQ(format_sample(2.5), "2.5");
  EXPECT_EQ(format_sample(1e300), "1e+300");
  EXPECT_EQ(format_sample(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(std::stod(format_sample(0.1 + 0.2)), 0.1 + 0.2);  // reads back exactly
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(Metrics, FamiliesWithEscapedLabelsRenderValidText) {
  CounterFamily family("test_total", "A test.\nSecond line \\ here.", {"path"}, {{"a\"b"}, {"c\\d\ne"}, {"other"}});
  family.with({"a\"b"}).inc(3);
  family.with({"nope"}).inc();
  std::string text;
  render_family(text, family);
  check_format(text);
  EXPECT_TRUE(has_line(text, "# HELP test_total A test.\\nSecond line \\\\ here."));
  EXPECT_TRUE(has_line(text, "test_total{path=\"a\\\"b\"} 3"));
  EXPECT_TRUE(has_line(text, "test_total{path=\"c\\\\d\\ne\"} 0"));
  EXPECT_TRUE(has_line(text, "test_total{path=\"other\"} 1"));
  // Without an "other" value, the fallback is the first series.
  GaugeFamily gauges("test_gauge", "A gauge.", {"kind"}, {{"x"}, {"y"}});
  gauges.with({"z"}).set(1.5);
  std::string gauge_text;
  render_family(gauge_text, gauges);
  EXPECT_TRUE(has_line(gauge_text, "test_gauge{kind=\"x\"} 1.5"));
}

TEST(Metrics, HistogramEdgeValues) {
  Histogram histogram({1, 2});
  histogram.observe(-5);  // below every bound: the first bucket
  histogram.observe(2);
  histogram.observe(2.0000001);
  histogram.observe(std::numeric_limits<double>::quiet_NaN());  // NaN: only +Inf
  EXPECT_EQ(histogram.bucket_counts(), (std::vector<std::uint64_t>{1, 1, 2}));
}

TEST(Metrics, ConcurrentIncrementsAreExact) {
  DynamoMetrics metrics;
  constexpr int kThreads = 4, kEach = 20000;
  std::atomic<bool> stop{false};
  std::thread renderer([&] {
    while (!stop.load()) check_format(metrics.render());
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        metrics.observe_request("put", "ok", 0.002, 0);
        metrics.count_peer_batch(2);
        metrics.count_dropped("malformed");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  stop = true;
  renderer.join();
  const std::string text = metrics.render();
  const std::string total = std::to_string(kThreads * kEach);
  EXPECT_TRUE(has_line(text, "dynamo_requests_total{op=\"put\",status=\"ok\"} " + total));
  EXPECT_TRUE(has_line(text, "dynamo_request_duration_seconds_count{op=\"put\"} " + total));
  EXPECT_TRUE(has_line(text, "dynamo_peer_batches_sent_total " + total));
  EXPECT_TRUE(has_line(text, "dynamo_peer_messages_sent_total " + std::to_string(2 * kThreads * kEach)));
  EXPECT_TRUE(has_line(text, "dynamo_messages_dropped_total{reason=\"malformed\"} " + total));
}

}  // namespace
}  // namespace dynamo::net
