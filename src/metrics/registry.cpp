#include "sloe/metrics/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "metrics/exposition.hpp"

namespace sloe {

namespace {

// Joins label values for a family's series map. 0xFF never occurs in valid UTF-8, so two
// different value lists never join to the same key.
constexpr char kLabelSeparator = '\xFF';

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

// Appends `{name="value",...}`, with `le` last when given; nothing for no labels at all.
void append_labels(std::string& out, std::span<const std::string> names,
                   std::span<const std::string> values, const double* le = nullptr) {
  if (names.empty() && le == nullptr) return;
  out.push_back('{');
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += names[i];
    out += "=\"";
    metrics_text::append_label_value(out, values[i]);
    out.push_back('"');
  }
  if (le != nullptr) {
    if (!names.empty()) out.push_back(',');
    out += "le=\"";
    metrics_text::append_value(out, *le);
    out.push_back('"');
  }
  out.push_back('}');
}

void check_family(MetricType type, std::string_view name,
                  const std::vector<std::string>& label_names) {
  if (!metrics_text::is_metric_name(name)) {
    throw std::invalid_argument(
        fmt::format("sloe: \"{}\" is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                    metrics_text::to_valid_utf8(name)));
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!metrics_text::is_label_name(label)) {
      throw std::invalid_argument(fmt::format(
          "sloe: metric {}: \"{}\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no "
          "leading __)",
          name, metrics_text::to_valid_utf8(label)));
    }
    if (type == MetricType::histogram && label == "le") {
      throw std::invalid_argument(fmt::format(
          "sloe: histogram {}: the label name \"le\" is the histogram's own (bucket bounds)",
          name));
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument(
          fmt::format("sloe: metric {}: label name \"{}\" is given twice", name, label));
    }
  }
}

// The sample names a family writes besides its own.
std::vector<std::string> derived_names(MetricType type, std::string_view name) {
  if (type != MetricType::histogram) return {};
  return {fmt::format("{}_bucket", name), fmt::format("{}_sum", name),
          fmt::format("{}_count", name)};
}

}  // namespace

// ---- families -----------------------------------------------------------------------------

namespace detail {

MetricFamilyBase::MetricFamilyBase(MetricType type, std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   std::vector<double> upper_bounds)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {}

MetricFamilyBase::~MetricFamilyBase() = default;

void MetricFamilyBase::write_header(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out.push_back(' ');
  metrics_text::append_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out.push_back(' ');
  out += type_name(type_);
  out.push_back('\n');
}

}  // namespace detail

template <class Metric>
struct MetricFamily<Metric>::Series {
  template <class... Args>
  explicit Series(std::vector<std::string> values, Args&&... args)
      : label_values(std::move(values)), metric(std::forward<Args>(args)...) {}
  std::vector<std::string> label_values;
  Metric metric;
};

template <class Metric>
MetricFamily<Metric>::MetricFamily(MetricType type, std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   std::vector<double> upper_bounds)
    : MetricFamilyBase(type, std::move(name), std::move(help), std::move(label_names),
                       std::move(upper_bounds)) {}

template <class Metric>
Metric& MetricFamily<Metric>::labels(std::initializer_list<std::string_view> values) {
  return labels(std::span<const std::string_view>(values.begin(), values.size()));
}

template <class Metric>
Metric& MetricFamily<Metric>::labels(std::span<const std::string_view> values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument(
        fmt::format("sloe: metric {} has {} label(s) ({}), labels() was given {} value(s)", name(),
                    label_names().size(), fmt::join(label_names(), ", "), values.size()));
  }
  std::vector<std::string> clean;
  clean.reserve(values.size());
  std::string key;
  for (std::string_view value : values) {
    clean.push_back(metrics_text::to_valid_utf8(value));
    key += clean.back();
    key.push_back(kLabelSeparator);
  }
  std::lock_guard lock(mutex_);
  auto found = series_.find(key);
  if (found == series_.end()) {
    std::unique_ptr<Series> series;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      series = std::make_unique<Series>(std::move(clean), upper_bounds());
    } else {
      series = std::make_unique<Series>(std::move(clean));
    }
    found = series_.emplace(std::move(key), std::move(series)).first;
  }
  return found->second->metric;
}

template <class Metric>
void MetricFamily<Metric>::write_text(std::string& out) const {
  std::lock_guard lock(mutex_);
  if (series_.empty()) return;
  write_header(out);
  for (const auto& [key, series] : series_) {
    const std::span<const std::string> values = series->label_values;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const HistogramSnapshot snapshot = series->metric.snapshot();
      const std::span<const double> bounds = upper_bounds();
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        static constexpr double kInfinity = std::numeric_limits<double>::infinity();
        out += name();
        out += "_bucket";
        append_labels(out, label_names(), values, i < bounds.size() ? &bounds[i] : &kInfinity);
        out.push_back(' ');
        fmt::format_to(std::back_inserter(out), "{}",
                       i < bounds.size() ? snapshot.cumulative_counts[i] : snapshot.count);
        out.push_back('\n');
      }
      out += name();
      out += "_sum";
      append_labels(out, label_names(), values);
      out.push_back(' ');
      metrics_text::append_value(out, snapshot.sum);
      out.push_back('\n');
      out += name();
      out += "_count";
      append_labels(out, label_names(), values);
      fmt::format_to(std::back_inserter(out), " {}\n", snapshot.count);
    } else {
      out += name();
      append_labels(out, label_names(), values);
      out.push_back(' ');
      metrics_text::append_value(out, series->metric.value());
      out.push_back('\n');
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

/// A family of one series whose value a function gives at scrape time.
class MetricsRegistry::FunctionFamily final : public detail::MetricFamilyBase {
 public:
  FunctionFamily(MetricType type, std::string name, std::string help, std::function<double()> read)
      : MetricFamilyBase(type, std::move(name), std::move(help), {}, {}), read_(std::move(read)) {}

  void replace(std::function<double()> read) { read_ = std::move(read); }

  void write_text(std::string& out) const override {
    const double value = read_();  // first: a read that throws leaves no half-written family
    write_header(out);
    out += name();
    out.push_back(' ');
    metrics_text::append_value(out, value);
    out.push_back('\n');
  }

 private:
  std::function<double()> read_;  // guarded by the registry's mutex
};

// ---- the registry -------------------------------------------------------------------------

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

detail::MetricFamilyBase& MetricsRegistry::add(MetricType type, std::string_view name,
                                               std::string_view help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> upper_bounds) {
  check_family(type, name, label_names);
  if (type == MetricType::histogram) metrics_text::check_upper_bounds(upper_bounds);
  std::string clean_help = metrics_text::to_valid_utf8(help);

  std::lock_guard lock(mutex_);
  if (auto found = families_.find(name); found != families_.end()) {
    detail::MetricFamilyBase& family = *found->second;
    const bool same = dynamic_cast<FunctionFamily*>(&family) == nullptr && family.type() == type &&
                      family.help() == clean_help &&
                      std::ranges::equal(family.label_names(), label_names) &&
                      std::ranges::equal(family.upper_bounds(), upper_bounds);
    if (same) return family;
    throw std::invalid_argument(
        fmt::format("sloe: metric {} is already registered with another type, help, label names or "
                    "buckets; a name means one thing in a registry",
                    name));
  }
  std::vector<std::string> derived = derived_names(type, name);
  if (auto owner = derived_names_.find(name); owner != derived_names_.end()) {
    throw std::invalid_argument(fmt::format(
        "sloe: metric name {} is taken by the samples of histogram {}", name, owner->second));
  }
  for (const std::string& sample : derived) {
    if (families_.contains(sample)) {
      throw std::invalid_argument(fmt::format(
          "sloe: histogram {} would write samples named {}, a metric already registered", name,
          sample));
    }
  }
  std::unique_ptr<detail::MetricFamilyBase> family;
  switch (type) {
    case MetricType::counter:
      family.reset(new MetricFamily<Counter>(type, std::string(name), std::move(clean_help),
                                             std::move(label_names), {}));
      break;
    case MetricType::gauge:
      family.reset(new MetricFamily<Gauge>(type, std::string(name), std::move(clean_help),
                                           std::move(label_names), {}));
      break;
    case MetricType::histogram:
      family.reset(new MetricFamily<Histogram>(type, std::string(name), std::move(clean_help),
                                               std::move(label_names), std::move(upper_bounds)));
      break;
  }
  detail::MetricFamilyBase& added =
      *families_.emplace(std::string(name), std::move(family)).first->second;
  for (std::string& sample : derived) derived_names_.emplace(std::move(sample), name);
  return added;
}

MetricFamily<Counter>& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names) {
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<MetricFamily<Counter>&>(
      add(MetricType::counter, name, help, std::move(label_names), {}));
  // Like Go's client: a counter without labels is exposed (as 0) before its first event.
  if (unlabelled) family.labels();
  return family;
}

MetricFamily<Gauge>& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names) {
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<MetricFamily<Gauge>&>(
      add(MetricType::gauge, name, help, std::move(label_names), {}));
  if (unlabelled) family.labels();
  return family;
}

MetricFamily<Histogram>& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> upper_bounds) {
  const bool unlabelled = label_names.empty();
  auto& family = static_cast<MetricFamily<Histogram>&>(
      add(MetricType::histogram, name, help, std::move(label_names), std::move(upper_bounds)));
  if (unlabelled) family.labels();
  return family;
}

void MetricsRegistry::add_function(MetricType type, std::string_view name, std::string_view help,
                                   std::function<double()> read) {
  if (!read) {
    throw std::invalid_argument(fmt::format("sloe: metric {}: the read function is empty", name));
  }
  check_family(type, name, {});
  std::string clean_help = metrics_text::to_valid_utf8(help);
  std::lock_guard lock(mutex_);
  if (auto found = families_.find(name); found != families_.end()) {
    auto* function = dynamic_cast<FunctionFamily*>(found->second.get());
    if (function == nullptr || function->type() != type) {
      throw std::invalid_argument(
          fmt::format("sloe: metric {} is already registered as another kind of metric", name));
    }
    function->replace(std::move(read));
    return;
  }
  if (auto owner = derived_names_.find(name); owner != derived_names_.end()) {
    throw std::invalid_argument(fmt::format(
        "sloe: metric name {} is taken by the samples of histogram {}", name, owner->second));
  }
  families_.emplace(std::string(name),
                    std::make_unique<FunctionFamily>(type, std::string(name), std::move(clean_help),
                                                     std::move(read)));
}

void MetricsRegistry::gauge_function(std::string_view name, std::string_view help,
                                     std::function<double()> read) {
  add_function(MetricType::gauge, name, help, std::move(read));
}

void MetricsRegistry::counter_function(std::string_view name, std::string_view help,
                                       std::function<double()> read) {
  add_function(MetricType::counter, name, help, std::move(read));
}

void MetricsRegistry::write_text(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) family->write_text(out);
}

std::string MetricsRegistry::text() const {
  std::string out;
  write_text(out);
  return out;
}

MetricsRegistry& default_registry() {
  // Never destroyed: static objects that update metrics in their destructors stay safe.
  static MetricsRegistry* const registry = new MetricsRegistry;
  return *registry;
}

}  // namespace sloe
