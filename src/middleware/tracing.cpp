#include "sloe/middleware/tracing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include "middleware/span_export.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {

std::mt19937_64& random_bits() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return random;
}

// `digits` random lowercase hex digits, never all zero (the spec's invalid id).
std::string random_id(std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(digits, '0');
  while (id.find_first_not_of('0') == std::string::npos) {
    for (std::size_t i = 0; i < digits; i += 16) {
      std::uint64_t bits = random_bits()();
      for (std::size_t j = i; j < i + 16 && j < digits; ++j, bits >>= 4) id[j] = kHex[bits & 15];
    }
  }
  return id;
}

std::string new_trace_id() {
  return random_id(32);
}
std::string new_span_id() {
  return random_id(16);
}

// When the request's headers were parsed, on the wall clock the export needs.
std::chrono::system_clock::time_point wall_start(Context& c) {
  const auto age = std::chrono::steady_clock::now() - c.start_time();
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(age);
}

constexpr std::string_view kUnmatchedRoute = "unmatched";

bool is_trace_state_name(std::string_view name) {
  constexpr std::string_view kName = "tracestate";
  return std::equal(name.begin(), name.end(), kName.begin(), kName.end(),
                    [](char a, char b) { return (a | 0x20) == b; });
}

// The `tracestate` fields of the request joined with ',', as the spec says several of them
// mean one list.
std::string combined_trace_state(Context& c) {
  std::string state;
  if (c.header("tracestate").empty()) return state;
  for (const auto& [name, value] : c.headers()) {
    if (!is_trace_state_name(name)) continue;
    if (!state.empty()) state += ',';
    state += value;
  }
  return state;
}

// The request's server span, once its answer is final (so that coroutine, deferred and
// streamed answers are timed whole); only the record is built on the worker, the export
// happens elsewhere.
void record_server_span(Tracer& tracer, Context& c) {
  SpanRecord record;
  record.trace_id = c.trace_id();
  record.span_id = c.span_id();
  if (const auto* span = c.get<SpanContext>(kSpanContextKey)) {
    record.parent_span_id = span->parent_span_id;
    record.trace_state = span->trace_state;
  }
  const std::string_view route = c.full_path();
  record.name = fmt::format("{} {}", c.method(), route.empty() ? kUnmatchedRoute : route);
  record.kind = SpanKind::server;
  record.start = wall_start(c);
  record.end = std::chrono::system_clock::now();
  const int status = c.response_status();
  record.attributes.reserve(4);
  record.attributes.emplace_back("http.request.method", std::string(c.method()));
  if (!route.empty()) record.attributes.emplace_back("http.route", std::string(route));
  record.attributes.emplace_back("url.path", std::string(c.path()));
  record.attributes.emplace_back("http.response.status_code", std::int64_t{status});
  record.error = status >= 500;
  tracer.record(std::move(record));
}

}  // namespace

// ---- Tracer ---------------------------------------------------------------------------------

Tracer::Tracer(TracingOptions options) : options_(std::move(options)) {
  if (!options_.endpoint.empty()) {
    exporter_ = std::make_unique<Exporter>(*this, detail::collector_address(options_.endpoint));
  }
}

Tracer::~Tracer() = default;

void Tracer::record(SpanRecord span) {
  if (options_.on_span_end) options_.on_span_end(span);
  if (!exporter_) return;
  if (!exporter_->enqueue(std::move(span))) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    detail::dropped_spans_in_process.fetch_add(1, std::memory_order_relaxed);
  }
}

bool Tracer::sample_new_trace() const {
  if (options_.sample_ratio >= 1.0) return true;
  if (options_.sample_ratio <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_bits()) < options_.sample_ratio;
}

bool Tracer::flush(std::chrono::milliseconds bound) {
  return !exporter_ || exporter_->flush(bound);
}

std::uint64_t dropped_spans_total() {
  return detail::dropped_spans_in_process.load(std::memory_order_relaxed);
}

// ---- Span -----------------------------------------------------------------------------------

Span::Span(Span&& other) noexcept
    : context_(std::move(other.context_)),
      record_(std::move(other.record_)),
      ended_(std::exchange(other.ended_, true)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    context_ = std::move(other.context_);
    record_ = std::move(other.record_);
    ended_ = std::exchange(other.ended_, true);
  }
  return *this;
}

Span::~Span() {
  end();
}

void Span::set_attribute(std::string key, std::string value) {
  record_.attributes.emplace_back(std::move(key), std::move(value));
}

void Span::set_attribute(std::string key, std::int64_t value) {
  record_.attributes.emplace_back(std::move(key), value);
}

void Span::set_error(std::string message) {
  record_.error = true;
  record_.status_message = std::move(message);
}

void Span::end() {
  if (ended_) return;
  ended_ = true;
  if (!context_.sampled || !context_.tracer || !context_.tracer->records_spans()) return;
  record_.trace_id = context_.trace_id;
  record_.span_id = context_.span_id;
  record_.trace_state = context_.trace_state;
  record_.end = std::chrono::system_clock::now();
  context_.tracer->record(std::move(record_));
}

Span start_span(const SpanContext& parent, std::string name) {
  Span span;
  const bool has_parent = !parent.trace_id.empty();
  span.context_.trace_id = has_parent ? parent.trace_id : new_trace_id();
  span.context_.span_id = new_span_id();
  span.context_.trace_state = parent.trace_state;
  span.context_.sampled = has_parent && parent.sampled && parent.tracer;
  span.context_.tracer = parent.tracer;
  span.record_.parent_span_id = has_parent ? parent.span_id : std::string();
  span.record_.name = std::move(name);
  span.record_.kind = SpanKind::internal;
  span.record_.start = std::chrono::system_clock::now();
  span.ended_ = false;
  return span;
}

Span start_span(const ContextCopy& copy, std::string name) {
  if (const auto* parent = copy.get<SpanContext>(kSpanContextKey)) {
    return start_span(*parent, std::move(name));
  }
  // Not traced by tracing(): keep the caller's trace id, if any, for propagation only.
  SpanContext unrecorded;
  unrecorded.trace_id = copy.trace_id();
  unrecorded.span_id = copy.span_id();
  return start_span(unrecorded, std::move(name));
}

Span start_span(const Span& parent, std::string name) {
  return start_span(parent.context(), std::move(name));
}

std::string traceparent(Context& c) {
  const auto* span = c.get<SpanContext>(kSpanContextKey);
  return span ? format_traceparent(span->trace_id, span->span_id, span->sampled) : std::string();
}

std::string traceparent(const ContextCopy& copy) {
  const auto* span = copy.get<SpanContext>(kSpanContextKey);
  return span ? format_traceparent(span->trace_id, span->span_id, span->sampled) : std::string();
}

std::string traceparent(const Span& span) {
  if (span.trace_id().empty()) return {};
  return format_traceparent(span.trace_id(), span.span_id(), span.context().sampled);
}

// ---- the middleware -------------------------------------------------------------------------

Handler tracing(TracingOptions options) {
  return tracing(std::make_shared<Tracer>(std::move(options)));
}

Handler tracing(std::shared_ptr<Tracer> tracer) {
  if (!tracer) throw std::invalid_argument("sloe::tracing: the tracer is null");
  return [tracer = std::move(tracer)](Context& c) {
    SpanContext span;
    if (std::optional<TraceParent> parent = parse_traceparent(c.header("traceparent"))) {
      span.trace_id = std::move(parent->trace_id);
      span.parent_span_id = std::move(parent->parent_id);
      span.sampled = parent->sampled();
      // Carried on unchanged, or not at all: a cut list would say something the caller didn't.
      std::string state = combined_trace_state(c);
      if (state.size() <= kMaxTraceStateSize) span.trace_state = std::move(state);
    } else {
      span.trace_id = new_trace_id();
      span.sampled = tracer->sample_new_trace();
    }
    span.span_id = new_span_id();
    span.tracer = tracer;
    c.set_trace(span.trace_id, span.span_id);
    if (span.sampled && tracer->records_spans()) {
      // The handler, and so the tracer, outlives every request of its engine; a raw pointer
      // keeps the hook within std::function's inline storage.
      c.on_answered([recorder = tracer.get()](Context& c) { record_server_span(*recorder, c); });
    }
    c.set(kSpanContextKey, std::move(span));
    c.next();
  };
}

}  // namespace sloe
