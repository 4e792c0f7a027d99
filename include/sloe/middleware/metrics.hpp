#pragma once
// Prometheus metrics for an engine: sloe::metrics() records every request, metrics_handler()
// serves the registry at /metrics, register_engine_metrics() adds the engine's own gauges.
//
//   auto app = sloe::Engine::with_defaults();
//   app.use(sloe::metrics());
//   sloe::register_engine_metrics(app);
//   app.get("/metrics", sloe::metrics_handler());
//
// The families, with the default registry:
//
//   sloe_http_requests_total{method,route,status}        counter
//   sloe_http_request_duration_seconds{method,route}     histogram
//   sloe_http_requests_in_flight                         gauge
//   sloe_http_request_body_bytes_total{method,route}     counter
//   sloe_http_response_body_bytes_total{method,route}    counter
//   sloe_http_connections_open                           gauge    (register_engine_metrics)
//   sloe_tasks_queued, sloe_tasks_running                gauges   (register_engine_metrics)
//   sloe_tasks_{spawned,finished,failed,rejected,cancelled}_total  counters  (idem)

#include <string>
#include <vector>

#include "sloe/context/handler.hpp"
#include "sloe/metrics/registry.hpp"

namespace sloe {

class Engine;

/// How sloe::metrics() labels and measures requests.
struct MetricsOptions {
  /// Where the request families go; nullptr means default_registry(). The registry must
  /// outlive the engine that uses the middleware.
  MetricsRegistry* registry = nullptr;
  /// Upper bounds of sloe_http_request_duration_seconds, in seconds: finer than Prometheus'
  /// defaults at the low end, where a sloe handler usually answers.
  std::vector<double> duration_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  /// The route label of requests that matched no route (404, 405): one fixed value, so that a
  /// scanner probing random paths adds no series. Route patterns start with '/', so it never
  /// collides with one.
  std::string unmatched_route = "<unmatched>";
};

/// Middleware that records every request it sees once its answer is final (plain,
/// coroutine, deferred and streamed handlers alike): the count by method, route pattern and
/// status, the latency, the body bytes each way, and the requests in flight.
///
/// - `route` is the pattern (`c.full_path()`, "/user/:id"), never the raw path, so the series
///   stay as many as the routes; unmatched requests get MetricsOptions::unmatched_route and, for
///   a method other than RFC 9110's and PATCH, the method label "OTHER".
/// - Latency runs from c.start_time() (the request's headers were parsed) until the answer is
///   final; for a streamed answer that is when the stream ends.
/// - Body bytes: the request body as the handler reads it (c.body(), chunked bodies decoded);
///   the response body as c.response_size() gives it, 0 for HEAD. Headers, the request line and
///   chunk framing are not counted.
/// - Not counted: what sloe answers before any middleware runs (malformed requests, 413 and
///   friends, trailing-slash and fixed-path redirects, `OPTIONS *`), as in Gin.
///
/// Use it once per chain, as global middleware (app.use) to see 404s too. After a route's and a
/// status's first request, recording one allocates nothing and takes no lock: a hash of the
/// route pattern, a probe of a lock-free table and five to seven relaxed atomic adds
/// (bench/metrics_bench.cpp).
Handler metrics(MetricsOptions options = {});

/// A handler that answers with `registry` in Prometheus' text format 0.0.4
/// (kPrometheusContentType):
///
///   app.get("/metrics", sloe::metrics_handler());
Handler metrics_handler(MetricsRegistry& registry = default_registry());

/// Adds gauges that `app` computes at each scrape to `registry`: sloe_http_connections_open
/// (over every worker) and the background task pool's counters (Engine::task_stats()). `app`
/// must not be moved or destroyed while `registry` may be scraped; registering another engine
/// with the same registry replaces it (one process serving one engine at a time, or tests
/// making one engine after another).
void register_engine_metrics(const Engine& app, MetricsRegistry& registry = default_registry());

}  // namespace sloe
