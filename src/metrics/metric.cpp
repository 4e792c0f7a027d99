#include "sloe/metrics/metric.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "metrics/exposition.hpp"

namespace sloe {

// ---- Counter ------------------------------------------------------------------------------

void Counter::throw_negative() {
  throw std::invalid_argument(
      "sloe::Counter::add: a counter only goes up; use a sloe::Gauge for a value that can fall");
}

void Counter::add(double amount) {
  if (!(amount >= 0.0)) throw_negative();  // NaN too
  fraction_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::value() const noexcept {
  return static_cast<double>(whole_.load(std::memory_order_relaxed)) +
         fraction_.load(std::memory_order_relaxed);
}

// ---- Histogram ----------------------------------------------------------------------------

Histogram::Histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds),
      bucket_counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {
  metrics_text::check_upper_bounds(upper_bounds);
}

void Histogram::observe(double value) noexcept {
  // The first bound >= value; NaN compares false with everything and lands in +Inf.
  std::size_t bucket = upper_bounds_.size();
  if (!std::isnan(value)) {
    bucket = static_cast<std::size_t>(
        std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
        upper_bounds_.begin());
  }
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.cumulative_counts.reserve(upper_bounds_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running + bucket_counts_[upper_bounds_.size()].load(std::memory_order_relaxed);
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

// ---- bucket helpers -----------------------------------------------------------------------

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (!(start > 0.0) || !(factor > 1.0) || count == 0) {
    throw std::invalid_argument(fmt::format(
        "sloe::exponential_buckets({}, {}, {}): needs start > 0, factor > 1 and count >= 1", start,
        factor, count));
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (double bound = start; bounds.size() < count; bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  if (!std::isfinite(start) || !(width > 0.0) || count == 0) {
    throw std::invalid_argument(
        fmt::format("sloe::linear_buckets({}, {}, {}): needs a finite start, width > 0 and "
                    "count >= 1",
                    start, width, count));
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) bounds.push_back(start + static_cast<double>(i) * width);
  return bounds;
}

}  // namespace sloe
