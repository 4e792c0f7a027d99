// MetricsRegistry and its metrics as a user registers and reads them, and the text a
// Prometheus server would scrape, checked by promtool.

#include <gtest/gtest.h>

#include <sloe/metrics/registry.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../support/promtool.hpp"

namespace {

using sloe::MetricsRegistry;

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) found.push_back(line);
  }
  return found;
}

TEST(MetricsRegistry, CounterWithoutLabelsIsExposedFromTheStart) {
  MetricsRegistry registry;
  sloe::Counter& jobs = registry.counter("app_jobs_total", "Jobs run.").labels();
  EXPECT_EQ(registry.text(),
            "# HELP app_jobs_total Jobs run.\n"
            "# TYPE app_jobs_total counter\n"
            "app_jobs_total 0\n");
  jobs.inc();
  jobs.add(2);
  jobs.add(0.5);
  EXPECT_EQ(jobs.value(), 3.5);
  EXPECT_EQ(lines_starting(registry.text(), "app_jobs_total "),
            std::vector<std::string>{"app_jobs_total 3.5"});
}

TEST(MetricsRegistry, CounterRefusesToGoDown) {
  MetricsRegistry registry;
  sloe::Counter& counter = registry.counter("app_things_total", "Things.").labels();
  EXPECT_THROW(counter.add(-1), std::invalid_argument);
  EXPECT_THROW(counter.add(-0.5), std::invalid_argument);
  EXPECT_THROW(counter.add(std::nan("")), std::invalid_argument);
  EXPECT_EQ(counter.value(), 0);
}

TEST(MetricsRegistry, GaugeGoesBothWays) {
  MetricsRegistry registry;
  sloe::Gauge& queue = registry.gauge("app_queue_length", "Items waiting.").labels();
  queue.set(10);
  queue.inc();
  queue.dec();
  queue.dec();
  queue.add(-2.5);
  EXPECT_EQ(queue.value(), 6.5);
  EXPECT_EQ(lines_starting(registry.text(), "app_queue_length "),
            std::vector<std::string>{"app_queue_length 6.5"});
}

TEST(MetricsRegistry, LabelledSeriesAreSortedAndKeptApart) {
  MetricsRegistry registry;
  auto& logins = registry.counter("app_logins_total", "Logins.", {"method", "outcome"});
  EXPECT_EQ(registry.text(), "") << "a labelled family shows nothing before its first series";
  logins.labels({"password", "ok"}).add(3);
  logins.labels({"password", "failed"}).inc();
  logins.labels({"token", "ok"}).inc();
  logins.labels({"password", "ok"}).inc();  // the same series again
  EXPECT_EQ(&logins.labels({"token", "ok"}), &logins.labels({"token", "ok"}));
  EXPECT_EQ(registry.text(),
            "# HELP app_logins_total Logins.\n"
            "# TYPE app_logins_total counter\n"
            "app_logins_total{method=\"password\",outcome=\"failed\"} 1\n"
            "app_logins_total{method=\"password\",outcome=\"ok\"} 4\n"
            "app_logins_total{method=\"token\",outcome=\"ok\"} 1\n");
  EXPECT_THROW(logins.labels({"password"}), std::invalid_argument);
  EXPECT_THROW(logins.labels({"a", "b", "c"}), std::invalid_argument);
}

TEST(MetricsRegistry, LabelValuesAndHelpAreEscaped) {
  struct Case {
    std::string_view value;
    std::string_view exposed;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {R"(back\slash)", R"(back\\slash)"},
      {R"(say "hi")", R"(say \"hi\")"},
      {"two\nlines", R"(two\nlines)"},
      {"\\\"\n", R"(\\\"\n)"},
      {"tab\tand cr\r", "tab\tand cr\r"},              // allowed as they are
      {"caf\xC3\xA9", "caf\xC3\xA9"},                  // valid UTF-8 stays
      {"bad\xFF\xC3", "bad\xEF\xBF\xBD\xEF\xBF\xBD"},  // invalid bytes become U+FFFD
      {"", ""},
  };
  MetricsRegistry registry;
  auto& family =
      registry.counter("app_escaped_total", "Help with a \\ and a\nline break.", {"value"});
  for (const Case& test : cases) family.labels({test.value}).inc();
  const std::string text = registry.text();
  EXPECT_NE(text.find("# HELP app_escaped_total Help with a \\\\ and a\\nline break.\n"),
            std::string::npos)
      << text;
  for (const Case& test : cases) {
    SCOPED_TRACE(std::string(test.value));
    EXPECT_NE(text.find("app_escaped_total{value=\"" + std::string(test.exposed) + "\"} 1\n"),
              std::string::npos)
        << text;
  }
  sloe::test::expect_promtool_accepts(text);
}

TEST(MetricsRegistry, HistogramBucketsSumAndCountAgree) {
  MetricsRegistry registry;
  auto& sizes =
      registry.histogram("app_upload_size_bytes", "Upload sizes.", {"kind"}, {100, 1000, 10000});
  sloe::Histogram& images = sizes.labels({"image"});
  for (double value : {50.0, 100.0, 101.0, 999.0, 5000.0, 20000.0, 1e9}) images.observe(value);
  sloe::HistogramSnapshot snapshot = images.snapshot();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<std::uint64_t>{2, 4, 5}));
  EXPECT_EQ(snapshot.count, 7u);
  EXPECT_EQ(snapshot.sum, 50.0 + 100 + 101 + 999 + 5000 + 20000 + 1e9);
  EXPECT_EQ(registry.text(),
            "# HELP app_upload_size_bytes Upload sizes.\n"
            "# TYPE app_upload_size_bytes histogram\n"
            "app_upload_size_bytes_bucket{kind=\"image\",le=\"100\"} 2\n"
            "app_upload_size_bytes_bucket{kind=\"image\",le=\"1000\"} 4\n"
            "app_upload_size_bytes_bucket{kind=\"image\",le=\"10000\"} 5\n"
            "app_upload_size_bytes_bucket{kind=\"image\",le=\"+Inf\"} 7\n"
            "app_upload_size_bytes_sum{kind=\"image\"} 1000026250\n"
            "app_upload_size_bytes_count{kind=\"image\"} 7\n");
  sloe::test::expect_promtool_accepts(registry.text());
}

TEST(MetricsRegistry, HistogramEdgeValues) {
  MetricsRegistry registry;
  sloe::Histogram& latency =
      registry.histogram("app_wait_seconds", "Waits.", {}, {0.005, 0.25, 1}).labels();
  latency.observe(0.005);  // on a bound: counted in that bucket (le means <=)
  latency.observe(-1);     // below every bound: the first bucket
  latency.observe(std::numeric_limits<double>::infinity());
  const std::string text = registry.text();
  EXPECT_NE(text.find("app_wait_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_wait_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_wait_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_wait_seconds_sum +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_wait_seconds_count 3\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, BucketHelpers) {
  EXPECT_EQ(sloe::exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(sloe::linear_buckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(sloe::default_buckets().front(), 0.005);
  EXPECT_EQ(sloe::default_buckets().back(), 10);
  EXPECT_THROW(sloe::exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(sloe::exponential_buckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(sloe::linear_buckets(0, 0, 3), std::invalid_argument);
}

TEST(MetricsRegistry, InvalidNamesAndBucketsAreRefused) {
  MetricsRegistry registry;
  const char* bad_names[] = {"", "9lives", "with-dash", "with space", "caf\xC3\xA9", "a{b}"};
  for (const char* name : bad_names) {
    SCOPED_TRACE(name);
    EXPECT_THROW(registry.counter(name, "x"), std::invalid_argument);
    EXPECT_THROW(registry.gauge_function(name, "x", [] { return 1.0; }), std::invalid_argument);
  }
  EXPECT_NO_THROW(registry.counter("ok:recorded_rule_total", "colons are allowed"));
  const char* bad_labels[] = {"", "9", "with-dash", "__reserved", "a.b"};
  for (const char* label : bad_labels) {
    SCOPED_TRACE(label);
    EXPECT_THROW(registry.counter("app_bad_label_total", "x", {label}), std::invalid_argument);
  }
  EXPECT_THROW(registry.counter("app_twice_total", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("app_le_seconds", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("app_empty_seconds", "x", {}, {}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("app_unsorted_seconds", "x", {}, {1, 0.5}),
               std::invalid_argument);
  EXPECT_THROW(registry.histogram("app_repeated_seconds", "x", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(
      registry.histogram("app_inf_seconds", "x", {}, {1, std::numeric_limits<double>::infinity()}),
      std::invalid_argument);
  EXPECT_THROW(registry.histogram("app_nan_seconds", "x", {}, {std::nan("")}),
               std::invalid_argument);
}

TEST(MetricsRegistry, ANameMeansOneThing) {
  MetricsRegistry registry;
  auto& first = registry.counter("app_orders_total", "Orders.", {"shop"});
  EXPECT_EQ(&registry.counter("app_orders_total", "Orders.", {"shop"}), &first)
      << "the same registration again shares the family";
  EXPECT_THROW(registry.gauge("app_orders_total", "Orders.", {"shop"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("app_orders_total", "Other help.", {"shop"}),
               std::invalid_argument);
  EXPECT_THROW(registry.counter("app_orders_total", "Orders.", {"region"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge_function("app_orders_total", "Orders.", [] { return 1.0; }),
               std::invalid_argument);

  registry.histogram("app_latency_seconds", "Latency.", {}, {1, 2});
  EXPECT_THROW(registry.histogram("app_latency_seconds", "Latency.", {}, {1, 3}),
               std::invalid_argument);
  // A histogram writes _bucket, _sum and _count samples: no other family may use those names.
  EXPECT_THROW(registry.counter("app_latency_seconds_count", "x"), std::invalid_argument);
  EXPECT_THROW(registry.gauge_function("app_latency_seconds_sum", "x", [] { return 1.0; }),
               std::invalid_argument);
  registry.gauge("app_size_bucket", "x");
  EXPECT_THROW(registry.histogram("app_size", "x"), std::invalid_argument);
}

TEST(MetricsRegistry, FunctionsAreReadAtScrapeTimeAndCanBeReplaced) {
  MetricsRegistry registry;
  double connections = 3;
  registry.gauge_function("app_connections", "Open connections.", [&] { return connections; });
  registry.counter_function("app_errors_total", "Errors.", [] { return 7.0; });
  EXPECT_NE(registry.text().find("app_connections 3\n"), std::string::npos);
  connections = 5;
  const std::string text = registry.text();
  EXPECT_NE(text.find("# TYPE app_connections gauge\napp_connections 5\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE app_errors_total counter\napp_errors_total 7\n"), std::string::npos)
      << text;
  registry.gauge_function("app_connections", "Open connections.", [] { return 9.0; });
  EXPECT_NE(registry.text().find("app_connections 9\n"), std::string::npos);
  EXPECT_THROW(registry.counter_function("app_connections", "x", [] { return 1.0; }),
               std::invalid_argument)
      << "replacing keeps the type";
  EXPECT_THROW(registry.gauge_function("app_empty", "x", nullptr), std::invalid_argument);
}

TEST(MetricsRegistry, SpecialValuesAreSpelledForPrometheus) {
  MetricsRegistry registry;
  registry.gauge_function("app_nan", "x", [] { return std::nan(""); });
  registry.gauge_function("app_minus_inf", "x",
                          [] { return -std::numeric_limits<double>::infinity(); });
  registry.gauge_function("app_small", "x", [] { return 0.000125; });
  registry.gauge_function("app_large", "x", [] { return 1e21; });
  const std::string text = registry.text();
  EXPECT_NE(text.find("app_nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_minus_inf -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_small 0.000125\n"), std::string::npos) << text;
  EXPECT_NE(text.find("app_large 1e+21\n"), std::string::npos) << text;
  sloe::test::expect_promtool_accepts(text);
}

// Many threads updating the same series while another scrapes: nothing is lost, and every
// scrape is a consistent histogram. Under ThreadSanitizer this is the data-race check.
TEST(MetricsRegistry, ConcurrentUpdatesAndScrapes) {
  MetricsRegistry registry;
  auto& requests = registry.counter("app_requests_total", "Requests.", {"worker"});
  auto& latency = registry.histogram("app_latency_seconds", "Latency.", {"worker"}, {0.1, 1});
  sloe::Gauge& busy = registry.gauge("app_busy", "Busy workers.").labels();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share a series, half make their own on the way.
      const std::string worker = t % 2 == 0 ? "shared" : "own" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        busy.inc();
        requests.labels({worker}).inc();
        latency.labels({worker}).observe(i % 3 == 0 ? 0.05 : 0.5);
        busy.dec();
      }
    });
  }
  for (int scrape = 0; scrape < 20; ++scrape) {
    const std::string text = registry.text();
    // _count is the +Inf bucket of the same read, whatever the writers do meanwhile.
    for (const std::string worker : {"shared", "own1", "own3"}) {
      const auto inf = lines_starting(
          text, "app_latency_seconds_bucket{worker=\"" + worker + "\",le=\"+Inf\"} ");
      const auto count =
          lines_starting(text, "app_latency_seconds_count{worker=\"" + worker + "\"} ");
      ASSERT_EQ(inf.size(), count.size());
      if (inf.empty()) continue;
      EXPECT_EQ(inf[0].substr(inf[0].rfind(' ')), count[0].substr(count[0].rfind(' ')));
    }
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(requests.labels({"shared"}).value(), 2.0 * kPerThread);
  EXPECT_EQ(requests.labels({"own1"}).value(), kPerThread);
  EXPECT_EQ(latency.labels({"shared"}).snapshot().count, 2u * kPerThread);
  EXPECT_EQ(busy.value(), 0);
  sloe::test::expect_promtool_accepts(registry.text());
}

TEST(MetricsRegistry, DefaultRegistryIsOneForTheProcess) {
  EXPECT_EQ(&sloe::default_registry(), &sloe::default_registry());
}

}  // namespace
