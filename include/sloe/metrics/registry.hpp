#pragma once
// sloe::MetricsRegistry: named families of counters, gauges and histograms, each with its own
// label names, and their text for Prometheus (text exposition format 0.0.4).
//
//   sloe::MetricsRegistry& registry = sloe::default_registry();
//   auto& jobs = registry.counter("shop_jobs_total", "Background jobs run, by kind and outcome.",
//                                 {"kind", "outcome"});
//   sloe::Counter& receipts_sent = jobs.labels({"receipt", "ok"});  // look up once, keep it
//   receipts_sent.inc();                                            // lock-free from then on
//
// sloe::metrics() (sloe/middleware/metrics.hpp) records every request into a registry, and
// sloe::metrics_handler() serves one at /metrics.

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/metrics/metric.hpp"

namespace sloe {

/// The Content-Type of Prometheus' text exposition format, version 0.0.4.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

/// A family's Prometheus type (its `# TYPE` line).
enum class MetricType { counter, gauge, histogram };

namespace detail {
/// What every family of a registry has: a name, a help text, label names, a type, and a way
/// to write its samples.
class MetricFamilyBase {
 public:
  MetricFamilyBase(const MetricFamilyBase&) = delete;
  MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;
  virtual ~MetricFamilyBase();

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  std::span<const std::string> label_names() const noexcept { return label_names_; }
  MetricType type() const noexcept { return type_; }
  /// The histogram's upper bounds; empty for other types.
  std::span<const double> upper_bounds() const noexcept { return upper_bounds_; }

  /// Appends the `# HELP` and `# TYPE` lines and every sample; nothing when the family has no
  /// series yet (a labelled family before its first labels() call).
  virtual void write_text(std::string& out) const = 0;

 protected:
  MetricFamilyBase(MetricType type, std::string name, std::string help,
                   std::vector<std::string> label_names, std::vector<double> upper_bounds);
  void write_header(std::string& out) const;

 private:
  MetricType type_;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> upper_bounds_;
};
}  // namespace detail

/// The series of one metric name, one per combination of label values (Prometheus' metric
/// family, Go's CounterVec and friends). Made by a MetricsRegistry, which owns it.
template <class Metric>
class MetricFamily final : public detail::MetricFamilyBase {
 public:
  /// The series for `values`, one per label name in order, made on first use. Takes a lock
  /// and may allocate: look a series up once and keep the reference (it stays valid as long
  /// as the registry), rather than once per event. Bytes that are not valid UTF-8 are
  /// replaced by U+FFFD, as Prometheus accepts nothing else. Throws std::invalid_argument when
  /// the number of values is not the number of label names.
  ///
  ///   auto& requests = registry.counter("app_logins_total", "Logins.", {"outcome"});
  ///   sloe::Counter& failed = requests.labels({"failed"});
  Metric& labels(std::initializer_list<std::string_view> values = {});
  Metric& labels(std::span<const std::string_view> values);

  void write_text(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  MetricFamily(MetricType type, std::string name, std::string help,
               std::vector<std::string> label_names, std::vector<double> upper_bounds);

  struct Series;
  mutable std::mutex mutex_;
  // Keyed by the label values joined with a byte that valid UTF-8 never has: the map's order is
  // the exposition's, so a scrape is stable.
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series_;
};

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

/// A set of metric families that is exposed together (Prometheus' registry). Thread-safe:
/// families may be registered, updated and scraped from any thread.
///
/// Names must match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*` without a
/// leading `__` (and not `le` for a histogram); anything else throws std::invalid_argument
/// with the reason. Registering a name again with the same type, help, label names (and
/// buckets) returns the family already there, so two pieces of code can share it; with
/// anything different it throws. Families are exposed sorted by name.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// A counter family; a family without label names has its one series (value 0) at once.
  MetricFamily<Counter>& counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names = {});
  /// A gauge family.
  MetricFamily<Gauge>& gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {});
  /// A histogram family whose series count observations into `upper_bounds` (sorted, finite,
  /// distinct, at least one; +Inf is implicit): see default_buckets() and
  /// exponential_buckets().
  MetricFamily<Histogram>& histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names = {},
                                     std::vector<double> upper_bounds = default_buckets());

  /// A gauge without labels whose value `read` gives at each scrape: for values something else
  /// already keeps (open connections, a queue's length). Registering the name again as a
  /// function replaces `read`. `read` runs on the scraping thread under the registry's lock:
  /// it must not register metrics.
  void gauge_function(std::string_view name, std::string_view help, std::function<double()> read);
  /// Like gauge_function(), for a count that only goes up (tasks failed since start).
  void counter_function(std::string_view name, std::string_view help, std::function<double()> read);

  /// Every family in Prometheus' text exposition format 0.0.4 (kPrometheusContentType).
  std::string text() const;
  /// Appends text() to `out`.
  void write_text(std::string& out) const;

 private:
  class FunctionFamily;
  detail::MetricFamilyBase& add(MetricType type, std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> upper_bounds);
  void add_function(MetricType type, std::string_view name, std::string_view help,
                    std::function<double()> read);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<detail::MetricFamilyBase>, std::less<>> families_;
  // Sample names a family writes besides its own (a histogram's _bucket, _sum and _count),
  // with the family that writes them: no two families may write the same sample name.
  std::map<std::string, std::string, std::less<>> derived_names_;
};

/// The process-wide registry that sloe::metrics() and sloe::metrics_handler() use unless told
/// otherwise. It is never destroyed, so metrics may be updated during static destruction.
MetricsRegistry& default_registry();

}  // namespace sloe
