#pragma once
// The values a metrics registry holds: Counter, Gauge and Histogram. Each is one time series
// (one combination of label values); sloe::MetricsRegistry groups them into families and
// writes them out for Prometheus.
//
// Updating one is lock-free and allocates nothing (relaxed atomics), so they can sit on a
// request path served by many threads at once. Reading them is for scrapes and tests: a value
// read while other threads update it is one of the values it had, never a torn one.

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace sloe {

/// A value that only goes up: requests served, bytes sent, jobs failed (Prometheus' counter).
/// Its family's name should end in `_total`.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  /// Adds 1.
  void inc() noexcept { whole_.fetch_add(1, std::memory_order_relaxed); }
  /// Adds a whole amount (bytes, items); throws std::invalid_argument for a negative one.
  template <std::integral Amount>
  void add(Amount amount) {
    if constexpr (std::is_signed_v<Amount>) {
      if (amount < 0) throw_negative();
    }
    whole_.fetch_add(static_cast<std::uint64_t>(amount), std::memory_order_relaxed);
  }
  /// Adds a fractional amount (seconds of CPU); throws std::invalid_argument for a negative
  /// amount or NaN, which would make the counter go down or meaningless.
  void add(double amount);
  /// The current value.
  double value() const noexcept;

 private:
  [[noreturn]] static void throw_negative();

  // Whole amounts, the common case, take one integer add; fractions go apart.
  std::atomic<std::uint64_t> whole_{0};
  std::atomic<double> fraction_{0.0};
};

/// A value that goes up and down: requests in flight, queue length (Prometheus' gauge).
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void inc() noexcept { add(1.0); }
  void dec() noexcept { add(-1.0); }
  /// Adds `amount`, which may be negative.
  void add(double amount) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// What a Histogram held at one moment, as Prometheus exposes it.
struct HistogramSnapshot {
  /// Observations <= each upper bound, in bound order: cumulative, like Prometheus' `le`
  /// buckets. The +Inf bucket is `count`.
  std::vector<std::uint64_t> cumulative_counts;
  /// Every observation, the same total as the +Inf bucket.
  std::uint64_t count = 0;
  /// The sum of every observed value.
  double sum = 0.0;
};

/// Counts observations (request latencies, body sizes) into buckets by upper bound
/// (Prometheus' histogram): from it Prometheus computes quantiles such as p99 with
/// `histogram_quantile`. The buckets are its family's; an observation costs a search among
/// them and two atomic adds.
class Histogram {
 public:
  /// `upper_bounds` must be finite and strictly increasing (otherwise std::invalid_argument),
  /// and outlive the histogram: a registry's family keeps them for its series. The +Inf
  /// bucket is implicit.
  explicit Histogram(std::span<const double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  /// Counts `value` in the first bucket whose upper bound is >= it (NaN in +Inf only).
  void observe(double value) noexcept;
  /// The buckets' counts and the sum. The count is the sum of the buckets read, so `_count`
  /// and the +Inf bucket always agree; an observation made during the read may be in the
  /// buckets and not yet in the sum.
  HistogramSnapshot snapshot() const;
  std::span<const double> upper_bounds() const noexcept { return upper_bounds_; }

 private:
  std::span<const double> upper_bounds_;
  // One per bound plus +Inf, not cumulative: an observation touches one of them.
  std::unique_ptr<std::atomic<std::uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0.0};
};

/// Prometheus' default buckets, in seconds: 5 ms to 10 s.
std::vector<double> default_buckets();
/// `count` bounds: `start`, `start * factor`, `start * factor^2`, ... (start > 0, factor > 1).
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
/// `count` bounds: `start`, `start + width`, `start + 2 * width`, ... (width > 0).
std::vector<double> linear_buckets(double start, double width, std::size_t count);

}  // namespace sloe
