#include "sloe/middleware/logger.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "sloe/context/context.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

namespace {
void log_access(Context& c) {
  auto latency =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c.start_time());
  std::string_view query = c.raw_query();
  // Every field but the numbers comes from the client (the path percent-decoded, the address
  // from X-Forwarded-For behind a trusted proxy); escaped, a request cannot add or split lines.
  // The trace ids (set by tracing(), or the caller's trace id from `traceparent`) tie the line
  // to the request's spans.
  spdlog::info("[sloe] {:3} | {:>9.3f}ms | {:>15} | {:<7} \"{}{}{}\"{}{}{}{}", c.response_status(),
               latency.count(), log_escaped(c.client_ip()), log_escaped(c.method()),
               log_escaped(c.path()), query.empty() ? "" : "?", log_escaped(query),
               c.trace_id().empty() ? "" : " trace_id=", log_escaped(c.trace_id()),
               c.span_id().empty() ? "" : " span_id=", log_escaped(c.span_id()));
  for (const Error& error : c.errors()) {
    spdlog::warn("[sloe] error: {}{}{}{}{}", log_escaped(error.message),
                 c.trace_id().empty() ? "" : " trace_id=", log_escaped(c.trace_id()),
                 c.span_id().empty() ? "" : " span_id=", log_escaped(c.span_id()));
  }
}
}  // namespace

Handler logger() {
  return [](Context& c) {
    // Coroutine, deferred and streamed requests are logged when their answer is final, not
    // when their chain first returns.
    c.on_answered(log_access);
    c.next();
  };
}

}  // namespace sloe
