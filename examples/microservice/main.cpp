// sloe-microservice: a small orders API with what a production service puts around its
// handlers: access log, recovery, tracing, metrics, JWT authentication, per-client rate limits
// (shared through Redis by several instances), CORS, gzip, deadlines and background work.
// examples/microservice/README.md walks through it with curl.
//
//   sloe-microservice --listen HOST:PORT --jwt-secret S [--redis HOST:PORT]
//                     [--otlp-endpoint URL] [--rate N --burst N] [--cors-origin ORIGIN]
//                     [--basic-auth USER:PASS] [--timeout DURATION]
//
//   GET  /healthz            200, no authentication
//   GET  /metrics            Prometheus exposition (gzip when asked), no authentication
//   POST /api/orders         bearer JWT, rate limited: 202 {"order_id", "status"}
//   GET  /api/orders/:id     bearer JWT: the order and its status; 404 when unknown
//   GET  /api/slow           bearer JWT: answers after 2 s (try it with --timeout 1s)
//   GET  /admin/tasks        HTTP Basic: the background task pool's counters; only mounted
//                            with --basic-auth (404 otherwise)

#include <sloe/sloe.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "flags.hpp"
#include "orders.hpp"

namespace {

using microservice::Flags;
using microservice::Order;
using microservice::OrderStore;

// Runs on the task pool after the 202 has gone out, so it may only use the copy: the request's
// Context belongs to a request that has ended.
void process_order(OrderStore& orders, const sloe::ContextCopy& job, const std::string& id) {
  sloe::Span span = sloe::start_span(job, "process order");  // a child of the request's span
  span.set_attribute("order.id", id);
  const std::string* customer = job.get<std::string>(sloe::auth_user_key);
  job.info("processing order {} for {}", id, customer ? *customer : std::string());
  orders.set_status(id, "processed");
}

// POST /api/orders: take the order, answer at once, process it in the background.
sloe::Handler create_order(sloe::Engine& app, OrderStore& orders) {
  return [&app, &orders](sloe::Context& c) {
    auto details = c.bind_json<sloe::json>();  // not JSON: sloe::BadRequest, a 400
    if (!details.is_object()) {
      c.json(400, {{"error", "the order must be a JSON object"}});
      return;
    }
    Order order = orders.add(c.must_get<std::string>(sloe::auth_user_key), std::move(details));
    try {
      app.spawn(c.copy(), [&orders, id = order.id](const sloe::ContextCopy& job) {
        process_order(orders, job, id);
      });
    } catch (const std::runtime_error&) {  // sloe::TaskQueueFull, or TaskPoolClosed at shutdown
      orders.remove(order.id);
      c.header("Retry-After", "1");
      c.json(503, {{"error", "too busy to take orders, try again"}});
      return;
    }
    c.json(202, {{"order_id", order.id}, {"status", "accepted"}});
  };
}

// GET /api/orders/:id
sloe::Handler get_order(const OrderStore& orders) {
  return [&orders](sloe::Context& c) {
    auto order =
        orders.find(std::string(c.param("id")), c.must_get<std::string>(sloe::auth_user_key));
    if (!order) {
      c.json(404, {{"error", "no such order"}});
      return;
    }
    c.json(200, microservice::to_json(*order));
  };
}

// GET /admin/tasks
sloe::Handler task_stats(const sloe::Engine& app) {
  return [&app](sloe::Context& c) {
    sloe::TaskPoolStats stats = app.task_stats();
    c.json(200, {{"spawned", stats.spawned},
                 {"running", stats.running},
                 {"queued", stats.queued},
                 {"finished", stats.finished},
                 {"failed", stats.failed},
                 {"rejected", stats.rejected},
                 {"cancelled", stats.cancelled}});
  };
}

// One bucket per client IP for POST /api/orders; in Redis when several instances must share it.
sloe::Handler order_rate_limit(const Flags& flags) {
  sloe::RateLimitOptions limit{.rate = flags.rate, .burst = flags.burst};
  if (flags.redis) {
    limit.store = std::make_shared<sloe::RedisRateLimitStore>(
        sloe::RedisRateLimitOptions{.host = flags.redis->host,
                                    .port = flags.redis->port,
                                    .key_prefix = "sloe-microservice:orders:"});
    // Redis down or slow: orders keep flowing unlimited (fail_open) rather than all failing.
  }
  return sloe::rate_limit(std::move(limit));
}

void serve(const Flags& flags) {
  OrderStore orders;  // before the engine: background tasks use it until the engine is gone
  sloe::Engine app;

  sloe::TracingOptions tracing;
  tracing.service_name = "sloe-microservice";
  tracing.endpoint = flags.otlp_endpoint;  // empty: ids in logs and copies, nothing exported
  // Probes and scrapes arrive every few seconds and say nothing about the service's traffic.
  app.use(sloe::logger({.skip_paths = {"/healthz", "/metrics"}}), sloe::recovery(),
          sloe::tracing(std::move(tracing)), sloe::metrics(), sloe::gzip());
  sloe::register_engine_metrics(app);

  app.get("/healthz", [](sloe::Context& c) { c.string(200, "ok"); });
  app.get("/metrics", sloe::metrics_handler());

  sloe::RouterGroup api = app.group("/api");
  if (!flags.cors_origin.empty()) {
    api.use(sloe::cors({.allow_origins = {flags.cors_origin},
                        .allow_headers = {"Content-Type", "Authorization", "traceparent"},
                        .expose_headers = {"X-Request-ID", "Retry-After", "RateLimit-Limit",
                                           "RateLimit-Remaining", "RateLimit-Reset"},
                        .max_age = std::chrono::hours(1)}));
    // Preflights match this route, registered before the authentication below, so cors()
    // answers them without a token and without taking from the rate limit.
    api.options("/*path", [](sloe::Context&) {});
  }
  if (flags.timeout) api.use(sloe::timeout(*flags.timeout));

  sloe::JwtOptions jwt;  // HS256, "exp" required, no issuer or audience to check
  jwt.secret = flags.jwt_secret;
  sloe::Handler auth = sloe::jwt_auth(std::move(jwt));
  // The limit runs before authentication, so that a client guessing tokens is slowed down too.
  api.post("/orders", order_rate_limit(flags), auth, create_order(app, orders));
  api.get("/orders/:id", auth, get_order(orders));
  // A slow dependency, waited for in a coroutine so that the worker serves other requests
  // meanwhile; sloe::timeout() cancels c.scope() at its deadline and answers 503 itself. Kept a
  // lambda: built with GCC 12, the same body as a free coroutine function never answers (the
  // sleep_for awaiter in the `if` condition is never resumed).
  api.get("/slow", auth, [](sloe::Context& c) -> sloe::Task<> {
    if (!co_await sloe::sleep_for(c.scope(), std::chrono::seconds(2))) co_return;
    c.json(200, {{"status", "done"}});
  });

  if (flags.basic_auth) {
    const auto& [user, password] = *flags.basic_auth;
    app.get("/admin/tasks", sloe::basic_auth({{user, password}}, "admin"), task_stats(app));
  }

  app.run(flags.listen);  // until SIGINT/SIGTERM, then a graceful shutdown
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = microservice::parse_flags(argc, argv);
  try {
    serve(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sloe-microservice: %s\n", e.what());
    return 1;
  }
}
