#pragma once
// The exporting half of sloe::Tracer: a bounded queue of finished spans and one thread that
// POSTs them in batches to an OTLP/HTTP collector as JSON.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "sloe/middleware/tracing.hpp"

namespace sloe {

namespace detail {

/// Spans dropped by every Tracer (sloe::dropped_spans_total).
extern std::atomic<std::uint64_t> dropped_spans_in_process;

/// Where the collector listens: an http:// URL taken apart.
struct CollectorAddress {
  std::string host;
  std::string port = "80";
  std::string target;  // "<base path>/v1/traces"
};

/// Parses `{endpoint}` into the address of `{endpoint}/v1/traces`; throws std::invalid_argument
/// for anything but an http:// URL with a host.
CollectorAddress collector_address(std::string_view endpoint);

/// The OTLP JSON body (ExportTraceServiceRequest) for one batch.
std::string otlp_json(std::string_view service_name, std::span<const SpanRecord> spans);

/// POSTs `body` as application/json over a new HTTP/1.1 connection; true for a 2xx answer.
/// Connecting, sending and reading the status line together take at most `timeout`.
bool post_json(const CollectorAddress& to, std::string_view body,
               std::chrono::milliseconds timeout);

}  // namespace detail

struct Tracer::Exporter {
  Exporter(Tracer& tracer, detail::CollectorAddress address);
  ~Exporter();  // exports what is queued, for at most shutdown_timeout, then joins

  /// False when the queue is full.
  bool enqueue(SpanRecord&& span);
  bool flush(std::chrono::milliseconds bound);

 private:
  void run();
  bool drained() const { return queue_.empty() && in_flight_ == 0; }

  Tracer& tracer_;
  const detail::CollectorAddress address_;
  std::mutex mutex_;
  std::condition_variable wake_;     // a batch is full, a flush is asked for, or stopping
  std::condition_variable drained_;  // the queue is empty and no batch is in flight
  std::deque<SpanRecord> queue_;
  std::size_t in_flight_ = 0;
  bool flush_asked_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once the rest is ready
};

}  // namespace sloe
