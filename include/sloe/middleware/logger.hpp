#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sloe/context/handler.hpp"
#include "sloe/log_output.hpp"

namespace sloe {

/// The shape of an access line.
enum class LogFormat {
  /// `[sloe] 2026/12/01 - 08:00:00 | 200 |     1.234ms |       127.0.0.1 | GET     "/ping"
  /// request_id=… trace_id=… span_id=…`, then ` error="…"` per c.error(): one line per
  /// request, Gin's columns.
  text,
  /// One JSON object per line: time (UTC, RFC 3339 with microseconds), status, latency_ms,
  /// client_ip, method, path, query, route (the pattern, "" on a miss), bytes_out, request_id,
  /// trace_id, span_id (each "" when absent) and errors (an array of strings).
  json,
};

/// Gin's LoggerConfig, for sloe::logger(options).
///
///   app.use(sloe::logger({.format = sloe::LogFormat::json,
///                         .skip_paths = {"/healthz", "/metrics"},
///                         .output = sloe::log_to_file("/var/log/orders/access.log")}));
struct LoggerOptions {
  LogFormat format = LogFormat::text;
  /// Request paths (decoded, without the query) that are not logged, such as health checks.
  std::vector<std::string> skip_paths{};
  /// Where lines go; empty: buffered standard output (sloe::log_to_stdout()).
  std::shared_ptr<LogOutput> output{};
};

/// Logs one access line per request once its answer is final (also for coroutine, deferred and
/// streamed answers). Client data on the line (address, method, path, query, error messages)
/// is escaped as `sloe::log_escape` describes, so a `%0a` in the path is logged as `\x0A` and
/// cannot start a forged line; the JSON format escapes it into valid JSON the same way.
Handler logger(LoggerOptions options = {});

}  // namespace sloe
