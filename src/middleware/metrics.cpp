#include "sloe/middleware/metrics.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/context/context.hpp"
#include "sloe/engine.hpp"
#include "sloe/middleware/timeout.hpp"
#include "sloe/middleware/tracing.hpp"

namespace sloe {

namespace {

// RFC 9110's methods and PATCH: the only method labels an unmatched request may have.
constexpr std::array<std::string_view, 9> kStandardMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

std::string_view unmatched_method_label(std::string_view method) {
  for (std::string_view known : kStandardMethods) {
    if (method == known) return known;
  }
  return "OTHER";
}

// One status's request counter of a RouteSeries, in a list that only grows.
struct StatusSeries {
  int status = 0;
  Counter* requests = nullptr;
  const StatusSeries* next = nullptr;
};

// The series of one method and route label, made on the route's first request and then
// found again without allocating.
struct RouteSeries {
  std::size_t hash = 0;
  std::string method;
  std::string route;
  Histogram* duration = nullptr;
  Counter* request_body_bytes = nullptr;
  Counter* response_body_bytes = nullptr;
  std::atomic<const StatusSeries*> statuses{nullptr};
};

// The route's hash, told apart by the method's length and first letter: enough to spread the
// few methods a route pattern has (GET, HEAD, POST, ...) at the cost of one string hash.
std::size_t series_hash(std::string_view method, std::string_view route) {
  const std::size_t method_bits = method.size() * 0x9e3779b97f4a7c15ULL +
                                  static_cast<unsigned char>(method.empty() ? 0 : method[0]);
  return std::hash<std::string_view>{}(route) ^ method_bits;
}

// What one metrics() middleware shares between its requests. Requests find their series in an
// open-addressing table that readers probe without a lock: a slot goes from empty to a series
// once and never changes again. Adding a series takes the mutex; a table half full is replaced
// by one twice its size, and the old tables are kept, because readers may still be probing
// them, until the middleware is destroyed with its engine.
class RequestMetrics {
 public:
  explicit RequestMetrics(MetricsOptions options)
      : registry_(options.registry != nullptr ? *options.registry : default_registry()),
        unmatched_route_(std::move(options.unmatched_route)),
        requests_(registry_.counter("sloe_http_requests_total",
                                    "HTTP requests answered, by method, route pattern and status.",
                                    {"method", "route", "status"})),
        duration_(registry_.histogram(
            "sloe_http_request_duration_seconds",
            "Time from the end of a request's headers until its answer was final, in seconds.",
            {"method", "route"}, std::move(options.duration_buckets))),
        request_body_bytes_(registry_.counter(
            "sloe_http_request_body_bytes_total",
            "Request body bytes as handlers read them (chunked bodies decoded; headers not "
            "counted), by method and route pattern.",
            {"method", "route"})),
        response_body_bytes_(registry_.counter(
            "sloe_http_response_body_bytes_total",
            "Response body bytes sent (HEAD answers count 0; headers and chunk framing not "
            "counted), by method and route pattern.",
            {"method", "route"})),
        in_flight_(registry_
                       .gauge("sloe_http_requests_in_flight",
                              "Requests whose handlers started and whose answer is not final yet.")
                       .labels()) {
    std::lock_guard lock(mutex_);
    tables_.push_back(std::make_unique<Table>(64));
    table_.store(tables_.back().get(), std::memory_order_release);
  }

  void begin() { in_flight_.inc(); }

  void record(Context& c) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - c.start_time()).count();
    const std::string_view request_method = c.method();
    std::string_view method = request_method;
    std::string_view route = c.full_path();
    if (route.empty()) {
      route = unmatched_route_;
      method = unmatched_method_label(method);
    }
    RouteSeries& series = route_series(method, route);
    status_series(series, c.response_status()).inc();
    series.duration->observe(seconds);
    // Adding 0 would still take the counter's cache line from the other workers.
    if (const std::size_t received = c.body().size(); received != 0) {
      series.request_body_bytes->add(received);
    }
    if (const std::size_t sent = c.response_size(); sent != 0 && request_method != "HEAD") {
      series.response_body_bytes->add(sent);
    }
    in_flight_.dec();
  }

 private:
  struct Table {
    explicit Table(std::size_t capacity)
        : mask(capacity - 1), slots(std::make_unique<std::atomic<RouteSeries*>[]>(capacity)) {}
    std::size_t capacity() const { return mask + 1; }
    std::size_t mask;
    std::unique_ptr<std::atomic<RouteSeries*>[]> slots;
  };

  static RouteSeries* find(const Table& table, std::size_t hash, std::string_view method,
                           std::string_view route) {
    // Never more than half full, so an empty slot ends every probe.
    for (std::size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
      RouteSeries* series = table.slots[i].load(std::memory_order_acquire);
      if (series == nullptr) return nullptr;
      if (series->hash == hash && series->route == route && series->method == method) {
        return series;
      }
    }
  }

  static void place(Table& table, RouteSeries* series) {
    std::size_t i = series->hash & table.mask;
    while (table.slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & table.mask;
    table.slots[i].store(series, std::memory_order_release);
  }

  RouteSeries& route_series(std::string_view method, std::string_view route) {
    const std::size_t hash = series_hash(method, route);
    if (RouteSeries* series = find(*table_.load(std::memory_order_acquire), hash, method, route)) {
      return *series;
    }
    std::lock_guard lock(mutex_);
    Table* table = table_.load(std::memory_order_relaxed);
    if (RouteSeries* series = find(*table, hash, method, route)) return *series;

    auto made = std::make_unique<RouteSeries>();
    made->hash = hash;
    made->method.assign(method);
    made->route.assign(route);
    made->duration = &duration_.labels({method, route});
    made->request_body_bytes = &request_body_bytes_.labels({method, route});
    made->response_body_bytes = &response_body_bytes_.labels({method, route});
    if ((series_.size() + 1) * 2 > table->capacity()) {
      tables_.push_back(std::make_unique<Table>(table->capacity() * 2));
      table = tables_.back().get();
      for (const auto& existing : series_) place(*table, existing.get());
    }
    place(*table, made.get());
    table_.store(table, std::memory_order_release);
    series_.push_back(std::move(made));
    return *series_.back();
  }

  Counter& status_series(RouteSeries& series, int status) {
    for (const StatusSeries* s = series.statuses.load(std::memory_order_acquire); s != nullptr;
         s = s->next) {
      if (s->status == status) return *s->requests;
    }
    std::lock_guard lock(mutex_);
    const StatusSeries* head = series.statuses.load(std::memory_order_relaxed);
    for (const StatusSeries* s = head; s != nullptr; s = s->next) {
      if (s->status == status) return *s->requests;
    }
    std::array<char, 16> text{};
    const auto written = std::to_chars(text.data(), text.data() + text.size(), status);
    const std::string_view status_label(text.data(),
                                        static_cast<std::size_t>(written.ptr - text.data()));
    auto made = std::make_unique<StatusSeries>();
    made->status = status;
    made->requests = &requests_.labels({series.method, series.route, status_label});
    made->next = head;
    series.statuses.store(made.get(), std::memory_order_release);
    statuses_.push_back(std::move(made));
    return *statuses_.back()->requests;
  }

  MetricsRegistry& registry_;
  const std::string unmatched_route_;
  MetricFamily<Counter>& requests_;
  MetricFamily<Histogram>& duration_;
  MetricFamily<Counter>& request_body_bytes_;
  MetricFamily<Counter>& response_body_bytes_;
  Gauge& in_flight_;

  std::atomic<Table*> table_{nullptr};
  std::mutex mutex_;  // guards what follows; readers go through table_ and statuses
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::unique_ptr<RouteSeries>> series_;
  std::vector<std::unique_ptr<StatusSeries>> statuses_;
};

}  // namespace

Handler metrics(MetricsOptions options) {
  auto state = std::make_shared<RequestMetrics>(std::move(options));
  return [state](Context& c) {
    state->begin();
    // A plain pointer keeps the hook inside std::function's small buffer: no allocation per
    // request. The handler owns `state`, and hooks run while its engine is alive.
    c.on_answered([metrics = state.get()](Context& answered) { metrics->record(answered); });
    c.next();
  };
}

Handler metrics_handler(MetricsRegistry& registry) {
  return [&registry](Context& c) {
    // A scrape per worker thread at a time: the text is built in a buffer the thread keeps.
    thread_local std::string text;
    text.clear();
    registry.write_text(text);
    c.data(200, kPrometheusContentType, text);
  };
}

void register_engine_metrics(const Engine& app, MetricsRegistry& registry) {
  const Engine* engine = &app;
  registry.gauge_function("sloe_http_connections_open",
                          "Client connections open now, over every worker.",
                          [engine] { return static_cast<double>(engine->open_connections()); });
  struct TaskFamily {
    const char* name;
    const char* help;
    bool counter;
    std::uint64_t TaskPoolStats::*field;
  };
  static constexpr TaskFamily kTaskFamilies[] = {
      {"sloe_tasks_queued", "Background tasks waiting for a task pool thread.", false,
       &TaskPoolStats::queued},
      {"sloe_tasks_running", "Background tasks running now.", false, &TaskPoolStats::running},
      {"sloe_tasks_spawned_total", "Background tasks accepted by spawn().", true,
       &TaskPoolStats::spawned},
      {"sloe_tasks_finished_total", "Background tasks that returned (failed ones included).", true,
       &TaskPoolStats::finished},
      {"sloe_tasks_failed_total", "Background tasks ended by an exception (logged).", true,
       &TaskPoolStats::failed},
      {"sloe_tasks_rejected_total", "Background tasks refused: queue full or pool closed.", true,
       &TaskPoolStats::rejected},
      {"sloe_tasks_cancelled_total", "Background tasks cut at shutdown (cancelled or abandoned).",
       true, &TaskPoolStats::cancelled},
  };
  for (const TaskFamily& family : kTaskFamilies) {
    auto read = [engine, field = family.field] {
      return static_cast<double>(engine->task_stats().*field);
    };
    if (family.counter) {
      registry.counter_function(family.name, family.help, read);
    } else {
      registry.gauge_function(family.name, family.help, read);
    }
  }
  // Process-wide counts of the other built-in middleware, zero while it is not used.
  registry.counter_function("sloe_http_timeouts_total",
                            "Requests answered 503 at the deadline of a sloe::timeout().",
                            [] { return static_cast<double>(timed_out_requests()); });
  registry.counter_function("sloe_trace_spans_dropped_total",
                            "Finished spans not exported: the export queue was full or the "
                            "collector failed.",
                            [] { return static_cast<double>(dropped_spans_total()); });
}

}  // namespace sloe
