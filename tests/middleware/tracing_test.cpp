// sloe::tracing(): request spans, child spans in background tasks, trace ids in log lines, and
// OTLP/HTTP JSON export to a real collector on loopback.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "../support/captured_log.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::SpanRecord;
using sloe::testing::Client;
using sloe::testing::Headers;

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kCallerSpan = "00f067aa0ba902b7";
constexpr auto kBound = 10s;  // how long a test waits for an event that should come at once

std::string caller_traceparent(bool sampled = true) {
  return sloe::format_traceparent(kTrace, kCallerSpan, sampled);
}

// Collects the spans a Tracer records (TracingOptions::on_span_end), from any thread.
class SpanSink {
 public:
  std::function<void(const SpanRecord&)> callback() {
    return [this](const SpanRecord& span) {
      std::lock_guard lock(mutex_);
      spans_.push_back(span);
      added_.notify_all();
    };
  }
  // The first `count` spans, once that many ended; fails the test after kBound.
  std::vector<SpanRecord> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(added_.wait_for(lock, kBound, [&] { return spans_.size() >= count; }))
        << "only " << spans_.size() << " of " << count << " spans ended";
    return spans_;
  }
  const SpanRecord* named(const std::vector<SpanRecord>& spans, std::string_view name) {
    for (const SpanRecord& span : spans) {
      if (span.name == name) return &span;
    }
    return nullptr;
  }

 private:
  std::mutex mutex_;
  std::condition_variable added_;
  std::vector<SpanRecord> spans_;
};

const sloe::SpanAttributeValue* attribute(const SpanRecord& span, std::string_view key) {
  for (const auto& [name, value] : span.attributes) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool is_hex_id(std::string_view id, std::size_t digits) {
  return digits == 32 ? sloe::is_trace_id(id) : sloe::is_span_id(id);
}

struct TracedApp {
  explicit TracedApp(sloe::TracingOptions options = {}) {
    options.on_span_end = sink.callback();
    tracer = std::make_shared<sloe::Tracer>(std::move(options));
    app.use(sloe::logger({.output = sloe::log_to_spdlog()}), sloe::tracing(tracer));
    app.get("/users/:id", [](Context& c) { c.string(200, "{}", sloe::traceparent(c)); });
    app.get("/fail", [](Context& c) { c.string(503, "down"); });
    app.get("/boom", [](Context&) -> void { throw std::runtime_error("boom"); });
    app.get("/slow", [](Context& c) -> sloe::Task<> {
      co_await sloe::sleep_for(c.scope(), 30ms);
      c.string(200, "late");
    });
    app.post("/jobs", [this](Context& c) {
      app.spawn(c.copy(), [](const sloe::ContextCopy& job) {
        sloe::Span child = sloe::start_span(job, "job");
        sloe::Span grandchild = sloe::start_span(child, "step");
        grandchild.set_attribute("step.count", std::int64_t{3});
        grandchild.end();
        job.info("job done");
        child.end();
      });
      c.string(202, "{}", sloe::traceparent(c.copy()));
    });
  }
  SpanSink sink;
  std::shared_ptr<sloe::Tracer> tracer;
  sloe::Engine app;
};

TEST(Tracing, ARequestSpanContinuesTheCallersTrace) {
  TracedApp traced;
  Client client(traced.app);
  const auto r = client.get("/users/42", {{"traceparent", caller_traceparent()},
                                          {"tracestate", "vendor=opaque,other=1"},
                                          {"TraceState", "last=2"}});
  const std::vector<SpanRecord> spans = traced.sink.wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  const SpanRecord& span = spans[0];
  EXPECT_EQ(span.trace_id, kTrace);
  EXPECT_EQ(span.parent_span_id, kCallerSpan);
  EXPECT_TRUE(is_hex_id(span.span_id, 16));
  EXPECT_NE(span.span_id, kCallerSpan);
  EXPECT_EQ(span.trace_state, "vendor=opaque,other=1,last=2");  // both fields, in order
  EXPECT_EQ(span.name, "GET /users/:id");
  EXPECT_EQ(span.kind, sloe::SpanKind::server);
  EXPECT_FALSE(span.error);
  EXPECT_EQ(std::get<std::string>(*attribute(span, "http.route")), "/users/:id");
  EXPECT_EQ(std::get<std::string>(*attribute(span, "http.request.method")), "GET");
  EXPECT_EQ(std::get<std::string>(*attribute(span, "url.path")), "/users/42");
  EXPECT_EQ(std::get<std::int64_t>(*attribute(span, "http.response.status_code")), 200);
  // What the handler injects into its own outgoing calls names the request's span.
  EXPECT_EQ(r.body, sloe::format_traceparent(kTrace, span.span_id, true));
}

TEST(Tracing, ATraceStateOverTheBoundIsDroppedWhole) {
  TracedApp traced;
  Client client(traced.app);
  client.get("/users/1", {{"traceparent", caller_traceparent()},
                          {"tracestate", "a=" + std::string(sloe::kMaxTraceStateSize, 'x')}});
  const std::vector<SpanRecord> spans = traced.sink.wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id, kTrace);
  EXPECT_EQ(spans[0].trace_state, "");
}

TEST(Tracing, WithoutAValidParentARequestStartsANewTrace) {
  TracedApp traced;
  Client client(traced.app);
  client.get("/users/1");
  client.get("/users/2",
             {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
              {"tracestate", "vendor=dropped"}});
  const std::vector<SpanRecord> spans = traced.sink.wait_for(2);
  ASSERT_EQ(spans.size(), 2u);
  for (const SpanRecord& span : spans) {
    EXPECT_TRUE(is_hex_id(span.trace_id, 32));
    EXPECT_NE(span.trace_id, kTrace);
    EXPECT_EQ(span.parent_span_id, "");
    EXPECT_EQ(span.trace_state, "");  // only carried with a valid traceparent
  }
  EXPECT_NE(spans[0].trace_id, spans[1].trace_id);
}

TEST(Tracing, SpansAreNamedByRoutePatternNeverByRawPath) {
  TracedApp traced;
  Client client(traced.app);
  client.get("/no/such/path");
  client.get("/fail");
  const std::vector<SpanRecord> spans = traced.sink.wait_for(2);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "GET unmatched");
  EXPECT_EQ(attribute(spans[0], "http.route"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*attribute(spans[0], "http.response.status_code")), 404);
  EXPECT_FALSE(spans[0].error);
  EXPECT_EQ(spans[1].name, "GET /fail");
  EXPECT_TRUE(spans[1].error);  // a 5xx answer
}

TEST(Tracing, ACoroutineAnswerIsTimedUntilItIsSent) {
  TracedApp traced;
  Client client(traced.app);
  EXPECT_EQ(client.get("/slow").body, "late");
  const std::vector<SpanRecord> spans = traced.sink.wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "GET /slow");
  EXPECT_GE(spans[0].end - spans[0].start, 30ms);
}

TEST(Tracing, TheCallersSampledFlagDecides) {
  sloe::TracingOptions never;
  never.sample_ratio = 0;  // for new traces only
  TracedApp traced(never);
  Client client(traced.app);
  // Not sampled by the caller: nothing recorded, but the ids still propagate with flags 00.
  const auto unsampled = client.get("/users/1", {{"traceparent", caller_traceparent(false)}});
  EXPECT_EQ(unsampled.body.substr(0, 36), fmt::format("00-{}-", kTrace));
  EXPECT_EQ(unsampled.body.substr(53), "00");
  client.get("/users/2");  // a new trace at ratio 0
  client.get("/users/3", {{"traceparent", caller_traceparent(true)}});
  const std::vector<SpanRecord> spans = traced.sink.wait_for(1);
  ASSERT_EQ(spans.size(), 1u);  // each recorded span ends before its request's answer returns
  EXPECT_EQ(spans[0].trace_id, kTrace);
}

TEST(Tracing, ABackgroundTasksChildSpanHasTheRequestSpanAsParent) {
  sloe::test::CapturedLog log;
  TracedApp traced;
  Client client(traced.app);
  const auto r = client.post("/jobs", "", "text/plain", {{"traceparent", caller_traceparent()}});
  EXPECT_EQ(r.status, 202);
  const std::vector<SpanRecord> spans = traced.sink.wait_for(3);
  const SpanRecord* request = traced.sink.named(spans, "POST /jobs");
  const SpanRecord* job = traced.sink.named(spans, "job");
  const SpanRecord* step = traced.sink.named(spans, "step");
  ASSERT_TRUE(request && job && step);
  EXPECT_EQ(r.body, sloe::format_traceparent(kTrace, request->span_id, true));
  EXPECT_EQ(job->trace_id, kTrace);
  EXPECT_EQ(job->parent_span_id, request->span_id);
  EXPECT_EQ(job->kind, sloe::SpanKind::internal);
  EXPECT_EQ(step->trace_id, kTrace);
  EXPECT_EQ(step->parent_span_id, job->span_id);
  EXPECT_EQ(std::get<std::int64_t>(*attribute(*step, "step.count")), 3);
  // The task's own log line names the request's span.
  EXPECT_NE(
      log.text().find(fmt::format("trace_id={} span_id={}] job done", kTrace, request->span_id)),
      std::string::npos)
      << log.text();
}

TEST(Tracing, LogLinesCarryTheTraceAndSpanIds) {
  sloe::test::CapturedLog log;
  TracedApp traced;
  Client client(traced.app);
  client.get("/users/7", {{"traceparent", caller_traceparent()}, {"X-Request-ID", "r-users"}});
  client.get("/boom", {{"traceparent", caller_traceparent()}, {"X-Request-ID", "r-boom"}});
  const std::vector<SpanRecord> spans = traced.sink.wait_for(2);
  ASSERT_EQ(spans.size(), 2u);
  const std::string text = log.text();
  EXPECT_NE(text.find(fmt::format("\"/users/7\" request_id=r-users trace_id={} span_id={}", kTrace,
                                  spans[0].span_id)),
            std::string::npos)
      << text;
  // The error line of a handler that threw, and its access line.
  EXPECT_NE(text.find("threw: boom [request_id="), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format(" trace_id={} span_id={}]", kTrace, spans[1].span_id)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(fmt::format("\"/boom\" request_id=r-boom trace_id={} span_id={}", kTrace,
                                  spans[1].span_id)),
            std::string::npos)
      << text;
  EXPECT_TRUE(spans[1].error);
}

TEST(Tracing, SpansWithoutATraceAreNotRecorded) {
  sloe::ContextCopy untraced;
  sloe::Span span = sloe::start_span(untraced, "alone");
  EXPECT_TRUE(sloe::is_trace_id(span.trace_id()));
  EXPECT_EQ(span.parent_span_id(), "");
  EXPECT_FALSE(span.context().sampled);
  EXPECT_EQ(sloe::traceparent(span).substr(53), "00");
  EXPECT_EQ(sloe::traceparent(untraced), "");
}

// With nowhere for spans to go, tracing() still gives every request its ids and propagates
// the caller's trace: logs and outgoing calls stay linked.
TEST(Tracing, WithoutAnExporterIdsAreStillAssignedAndPropagated) {
  auto tracer = std::make_shared<sloe::Tracer>(sloe::TracingOptions{});
  EXPECT_FALSE(tracer->records_spans());
  sloe::Engine app;
  app.use(sloe::tracing(tracer));
  app.get("/", [](Context& c) { c.string(200, "{}", sloe::traceparent(c)); });
  Client client(app);
  std::string outgoing = client.get("/", {{"traceparent", caller_traceparent()}}).body;
  ASSERT_EQ(outgoing.size(), 55u) << outgoing;
  EXPECT_EQ(outgoing.substr(3, 32), kTrace);
  EXPECT_NE(outgoing.substr(36, 16), kCallerSpan);  // the request's own span
  EXPECT_TRUE(sloe::is_trace_id(client.get("/").body.substr(3, 32)));
}

// ---- export ---------------------------------------------------------------------------------

// An OTLP/HTTP collector on loopback: a second Engine that keeps what is POSTed to /v1/traces.
class Collector {
 public:
  Collector() {
    app_.post("/v1/traces", [this](Context& c) {
      {
        std::lock_guard lock(mutex_);
        content_types_.emplace_back(c.content_type());
        bodies_.push_back(sloe::json::parse(c.body()));
      }
      c.json(200, {});
    });
    app_.start("127.0.0.1:0");
  }
  ~Collector() { app_.shutdown(1s); }
  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", app_.port()); }
  std::vector<sloe::json> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mutex_);
    return content_types_;
  }

 private:
  sloe::Engine app_;
  std::mutex mutex_;
  std::vector<sloe::json> bodies_;
  std::vector<std::string> content_types_;
};

TEST(TracingExport, PostsOtlpJsonWithHexIdsAndParentLinks) {
  Collector collector;
  sloe::TracingOptions options;
  options.service_name = "orders";
  options.endpoint = collector.endpoint();
  options.flush_interval = 1h;  // only flush() sends: the test decides when
  TracedApp traced(options);
  Client client(traced.app);
  client.post("/jobs", "", "text/plain", {{"traceparent", caller_traceparent()}});
  client.get("/fail");
  traced.sink.wait_for(4);  // request, job, step, fail
  ASSERT_TRUE(traced.tracer->flush(kBound));
  EXPECT_EQ(traced.tracer->exported_spans(), 4u);
  EXPECT_EQ(traced.tracer->dropped_spans(), 0u);

  std::vector<sloe::json> spans;
  for (const sloe::json& body : collector.bodies()) {
    for (const sloe::json& resource : body.at("resourceSpans")) {
      const sloe::json& service = resource.at("resource").at("attributes").at(0);
      EXPECT_EQ(service.at("key"), "service.name");
      EXPECT_EQ(service.at("value").at("stringValue"), "orders");
      for (const sloe::json& scope : resource.at("scopeSpans")) {
        for (const sloe::json& span : scope.at("spans")) spans.push_back(span);
      }
    }
  }
  for (const std::string& type : collector.content_types()) EXPECT_EQ(type, "application/json");
  ASSERT_EQ(spans.size(), 4u);
  auto find = [&](std::string_view name) -> const sloe::json& {
    for (const sloe::json& span : spans) {
      if (span.at("name") == name) return span;
    }
    ADD_FAILURE() << "no span " << name;
    return spans[0];
  };
  const sloe::json& request = find("POST /jobs");
  const sloe::json& job = find("job");
  const sloe::json& step = find("step");
  const sloe::json& fail = find("GET /fail");
  for (const sloe::json& span : spans) {
    EXPECT_TRUE(is_hex_id(span.at("traceId").get<std::string>(), 32)) << span;
    EXPECT_TRUE(is_hex_id(span.at("spanId").get<std::string>(), 16)) << span;
    // Nanoseconds since the epoch as strings, the end not before the start.
    const std::string start = span.at("startTimeUnixNano");
    const std::string end = span.at("endTimeUnixNano");
    EXPECT_LE(std::stoull(start), std::stoull(end));
  }
  EXPECT_EQ(request.at("traceId"), kTrace);
  EXPECT_EQ(request.at("parentSpanId"), kCallerSpan);
  EXPECT_EQ(request.at("kind"), 2);  // SPAN_KIND_SERVER
  EXPECT_EQ(job.at("traceId"), kTrace);
  EXPECT_EQ(job.at("parentSpanId"), request.at("spanId"));
  EXPECT_EQ(job.at("kind"), 1);  // SPAN_KIND_INTERNAL
  EXPECT_EQ(step.at("parentSpanId"), job.at("spanId"));
  EXPECT_FALSE(fail.contains("parentSpanId"));
  EXPECT_EQ(fail.at("status").at("code"), 2);  // STATUS_CODE_ERROR
  bool saw_status = false;
  for (const sloe::json& a : fail.at("attributes")) {
    if (a.at("key") == "http.response.status_code") {
      EXPECT_EQ(a.at("value").at("intValue"), "503");
      saw_status = true;
    }
  }
  EXPECT_TRUE(saw_status);
}

TEST(TracingExport, DestroyingTheTracerExportsWhatIsQueued) {
  Collector collector;
  sloe::TracingOptions options;
  options.endpoint = collector.endpoint();
  options.flush_interval = 1h;  // nothing leaves before the tracer is destroyed
  {
    TracedApp traced(options);
    Client client(traced.app);
    client.get("/users/1");
    traced.sink.wait_for(1);
    EXPECT_EQ(traced.tracer->exported_spans(), 0u);
  }
  const std::vector<sloe::json> bodies = collector.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const sloe::json& span =
      bodies[0].at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("name"), "GET /users/:id");
}

// A loopback port that refuses connections: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", port_); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

TEST(TracingExport, SpansThatCannotBeDeliveredAreCountedAsDropped) {
  RefusingPort down;
  sloe::TracingOptions options;
  options.endpoint = down.endpoint();
  options.queue_capacity = 1;
  options.max_batch_size = 1;
  options.export_timeout = 2s;
  const std::uint64_t dropped_before = sloe::dropped_spans_total();
  TracedApp traced(options);
  Client client(traced.app);
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) client.get("/users/1");
  ASSERT_TRUE(traced.tracer->flush(kBound));
  // Each span was refused by the full queue or lost with its batch: none is unaccounted for.
  EXPECT_EQ(traced.tracer->dropped_spans(), std::uint64_t{kRequests});
  EXPECT_EQ(traced.tracer->exported_spans(), 0u);
  EXPECT_GE(sloe::dropped_spans_total() - dropped_before, std::uint64_t{kRequests});
}

TEST(TracingExport, OnlyPlainHttpEndpointsAreAccepted) {
  sloe::TracingOptions options;
  options.endpoint = "https://collector:4318";
  EXPECT_THROW(sloe::Tracer{options}, std::invalid_argument);
  options.endpoint = "http://:4318";
  EXPECT_THROW(sloe::Tracer{options}, std::invalid_argument);
}

}  // namespace
