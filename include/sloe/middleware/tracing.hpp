#pragma once
// sloe::tracing(): one span per request, W3C Trace Context propagation, and export of the
// finished spans to an OpenTelemetry collector (OTLP/HTTP with JSON), batched off the request
// path.
//
//   sloe::TracingOptions tracing;
//   tracing.service_name = "orders";
//   tracing.endpoint = "http://127.0.0.1:4318";  // an OpenTelemetry collector
//   app.use(sloe::logger(), sloe::tracing(tracing));
//   app.post("/orders", [&app](sloe::Context& c) {
//     app.spawn(c.copy(), [](const sloe::ContextCopy& job) {
//       sloe::Span charge = sloe::start_span(job, "charge card");
//       call_payments(sloe::traceparent(charge));  // send it as the `traceparent` header
//       charge.end();
//     });
//     c.string(202, "accepted");
//   });

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sloe/context/context_copy.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/context/trace_context.hpp"

namespace sloe {

class Context;
class Tracer;

/// What OTLP calls a span's kind: the request's span is `server`, spans a handler or task
/// opens are `internal`. The values are OTLP's.
enum class SpanKind : int { internal = 1, server = 2, client = 3 };

/// A span attribute's value: OTLP's stringValue or intValue.
using SpanAttributeValue = std::variant<std::string, std::int64_t>;

/// A finished span, as it is exported.
struct SpanRecord {
  std::string trace_id;        ///< 32 lowercase hex digits
  std::string span_id;         ///< 16 lowercase hex digits
  std::string parent_span_id;  ///< empty for a trace's root span
  std::string trace_state;     ///< the caller's `tracestate`, unchanged
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::vector<std::pair<std::string, SpanAttributeValue>> attributes;
  bool error = false;  ///< OTLP status ERROR (a 5xx answer, or Span::set_error)
  std::string status_message;
};

/// How tracing() records and exports spans.
struct TracingOptions {
  /// The resource attribute `service.name` of every exported span.
  std::string service_name = "sloe";
  /// The collector's OTLP/HTTP base URL, e.g. "http://127.0.0.1:4318"; spans are POSTed to
  /// `{endpoint}/v1/traces`. Only http:// is supported (no TLS). Empty: nothing is exported.
  std::string endpoint{};
  /// The share of requests without a sampled-or-not parent whose spans are recorded (0 to 1).
  /// A request with a valid `traceparent` follows its caller's sampled flag instead.
  double sample_ratio = 1.0;
  /// Most finished spans waiting for export; a span finished when it is full is dropped and
  /// counted (Tracer::dropped_spans).
  std::size_t queue_capacity = 2048;
  /// Most spans in one POST.
  std::size_t max_batch_size = 512;
  /// How long a finished span may wait for a fuller batch.
  std::chrono::milliseconds flush_interval{1000};
  /// Bound on connecting to the collector, and on sending a batch and reading the answer.
  std::chrono::milliseconds export_timeout{2000};
  /// Bound on exporting what is still queued when the Tracer is destroyed.
  std::chrono::milliseconds shutdown_timeout{3000};
  /// Called with every recorded span when it ends, on the thread that ended it (the worker for
  /// request spans), before export: for tests and in-process processing. Keep it short.
  std::function<void(const SpanRecord&)> on_span_end{};
};

/// The trace position a request's span gives to work it starts. tracing() stores it under
/// kSpanContextKey, so `copy.get<sloe::SpanContext>(sloe::kSpanContextKey)` finds it in a
/// `c.copy()`.
struct SpanContext {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  ///< the caller's span (from `traceparent`); empty: a new trace
  std::string trace_state;     ///< the caller's `tracestate`, carried unchanged
  bool sampled = false;
  std::shared_ptr<Tracer> tracer;  ///< where child spans go; null: they are not recorded
};

/// The request-scoped key (`c.get`, `copy.get`) under which tracing() stores the SpanContext.
inline constexpr std::string_view kSpanContextKey = "sloe.span_context";

/// Longest `tracestate` carried on (several fields joined with ','); a longer one is dropped
/// whole (the spec asks to carry at least 512 characters).
inline constexpr std::size_t kMaxTraceStateSize = 512;

/// Records spans and exports them in batches from one thread of its own. Destroying it exports
/// what is queued, for at most TracingOptions::shutdown_timeout.
class Tracer {
 public:
  explicit Tracer(TracingOptions options);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  const TracingOptions& options() const { return options_; }

  /// Takes a finished span: calls on_span_end, then queues it for export (or drops it when the
  /// queue is full). Never blocks on the network.
  void record(SpanRecord span);
  /// Whether a new trace (one without a parent) is recorded: TracingOptions::sample_ratio.
  bool sample_new_trace() const;
  /// Whether finished spans go anywhere (an endpoint or on_span_end). When not, tracing()
  /// still gives requests their ids and propagates them, but builds no span records.
  bool records_spans() const { return exporter_ != nullptr || bool(options_.on_span_end); }
  /// Exports everything queued so far now; true once it was handed to the collector (or
  /// dropped), false when `bound` passed first.
  bool flush(std::chrono::milliseconds bound);

  /// Spans that never reached the collector: the queue was full, or their batch failed.
  std::uint64_t dropped_spans() const { return dropped_.load(std::memory_order_relaxed); }
  /// Spans the collector accepted (a 2xx answer to their batch).
  std::uint64_t exported_spans() const { return exported_.load(std::memory_order_relaxed); }

 private:
  struct Exporter;
  TracingOptions options_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> exported_{0};
  std::unique_ptr<Exporter> exporter_;  // null when there is no endpoint
};

/// Spans dropped by every Tracer of the process so far (see Tracer::dropped_spans): for the
/// metrics middleware, which does not know the tracers.
std::uint64_t dropped_spans_total();

/// A span opened by code: ends at end() or when destroyed, whichever comes first. A default or
/// unsampled Span records nothing but still gives ids to propagate.
class Span {
 public:
  Span() = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span();

  /// The trace position of this span, for its own children.
  const SpanContext& context() const { return context_; }
  std::string_view trace_id() const { return context_.trace_id; }
  std::string_view span_id() const { return context_.span_id; }
  std::string_view parent_span_id() const { return record_.parent_span_id; }
  /// Adds an attribute to the exported span.
  void set_attribute(std::string key, std::string value);
  void set_attribute(std::string key, std::int64_t value);
  /// Marks the span failed (OTLP status ERROR) with a short reason.
  void set_error(std::string message);
  /// Ends the span and records it; later calls do nothing.
  void end();
  bool ended() const { return ended_; }

 private:
  friend Span start_span(const SpanContext& parent, std::string name);
  SpanContext context_;
  SpanRecord record_;
  bool ended_ = true;  // a default Span has nothing to end
};

/// Opens a child span of `parent` (kind internal), in the same trace with the same sampling.
/// Without a parent trace (an empty SpanContext) the span starts a new trace and is not
/// recorded.
Span start_span(const SpanContext& parent, std::string name);
/// Opens a child span of the request span `copy` came from: `start_span(job, "resize")`.
Span start_span(const ContextCopy& copy, std::string name);
/// Opens a child span of `parent`.
Span start_span(const Span& parent, std::string name);

/// The `traceparent` header value to send on an outgoing request so that the callee continues
/// this trace: "00-<trace id>-<span id>-<flags>"; empty when nothing traces the request.
std::string traceparent(Context& c);
std::string traceparent(const ContextCopy& copy);
std::string traceparent(const Span& span);

/// Middleware that gives each request a span (kind server): a new span id, the caller's span
/// from `traceparent` as its parent (a new trace when it has none or it is malformed), the
/// name "<method> <route pattern>" ("<method> unmatched" when no route matched, never the raw
/// path), the attributes http.request.method, http.route, url.path and
/// http.response.status_code, and status ERROR for a 5xx answer. The span ends when the answer
/// is final (Context::on_answered), so coroutine, deferred and streamed answers are timed
/// whole. The ids go into `c.trace_id()`/`c.span_id()` (Context::set_trace), into logger()'s
/// lines and into `c.copy()`; the span's SpanContext under kSpanContextKey.
Handler tracing(TracingOptions options);
/// The same with a Tracer the application keeps, to flush it or read its counters.
Handler tracing(std::shared_ptr<Tracer> tracer);

}  // namespace sloe
