// Every options struct of the public API can be written with designated initializers naming
// only what a user sets, without -Wmissing-field-initializers (built with -Werror): each
// member has a default member initializer.

#include <sloe/sloe.hpp>

#include <chrono>

void designated_options() {
  sloe::EngineOptions engine{.threads = 2};
  sloe::RequestIdOptions ids{.header = "X-Correlation-ID"};
  sloe::LoggerOptions logger{.format = sloe::LogFormat::json};
  sloe::BufferedLogOptions buffered{.flush_interval = std::chrono::milliseconds(10)};
  sloe::JwtOptions jwt{.secret = "0123456789abcdef0123456789abcdef"};
  sloe::TracingOptions tracing{.service_name = "orders"};
  sloe::RateLimitOptions limit{.rate = 10};
  sloe::CorsOptions cors{.allow_origins = {"https://example.com"}};
  sloe::GzipOptions gzip{.min_size = 256};
  sloe::MetricsOptions metrics{.registry = nullptr};
  (void)engine, (void)ids, (void)logger, (void)buffered, (void)jwt, (void)tracing, (void)limit;
  (void)cors, (void)gzip, (void)metrics;
}
