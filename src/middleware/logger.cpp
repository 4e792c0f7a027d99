#include "sloe/middleware/logger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string_view>

#include "sloe/context/context.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

namespace {

using SystemClock = std::chrono::system_clock;

// The part of the timestamp that changes once a second, formatted once a second per thread:
// text "2026/12/01 - 08:00:00", json "2026-12-01T08:00:00".
std::string_view second_stamp(std::time_t second, LogFormat format) {
  thread_local std::time_t cached_second = -1;
  thread_local LogFormat cached_format = LogFormat::text;
  thread_local char stamp[32];
  thread_local std::size_t length = 0;
  if (second != cached_second || format != cached_format) {
    std::tm utc{};
    gmtime_r(&second, &utc);
    length = std::strftime(stamp, sizeof stamp,
                           format == LogFormat::text ? "%Y/%m/%d - %H:%M:%S" : "%Y-%m-%dT%H:%M:%S",
                           &utc);
    cached_second = second;
    cached_format = format;
  }
  return {stamp, length};
}

struct AccessLog {
  LogFormat format;
  std::vector<std::string> skip_paths;
  std::shared_ptr<LogOutput> output;
  bool stamp_time;

  bool skips(std::string_view path) const {
    return std::find(skip_paths.begin(), skip_paths.end(), path) != skip_paths.end();
  }

  void append_text(std::string& line, Context& c, SystemClock::time_point now,
                   double latency_ms) const {
    line.append("[sloe] ");
    if (stamp_time) {
      line.append(second_stamp(SystemClock::to_time_t(now), LogFormat::text));
      line.append(" | ");
    }
    std::string_view query = c.raw_query();
    fmt::format_to(std::back_inserter(line), "{:3} | {:>9.3f}ms | {:>15} | {:<7} \"",
                   c.response_status(), latency_ms, log_escaped(c.client_ip()),
                   log_escaped(c.method()));
    append_log_escaped(line, c.path());
    if (!query.empty()) {
      line.push_back('?');
      append_log_escaped(line, query);
    }
    line.push_back('"');
    // The ids tie the line to the request's spans and to anything else logged about it.
    auto field = [&line](std::string_view name, std::string_view value) {
      if (value.empty()) return;
      line.append(name);
      append_log_escaped(line, value);
    };
    field(" request_id=", c.request_id());
    field(" trace_id=", c.trace_id());
    field(" span_id=", c.span_id());
    for (const Error& error : c.errors()) {
      line.append(" error=\"");
      append_log_escaped(line, error.message);
      line.push_back('"');
    }
  }

  void append_json(std::string& line, Context& c, SystemClock::time_point now,
                   double latency_ms) const {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    line.append("{\"time\":\"");
    line.append(second_stamp(SystemClock::to_time_t(now), LogFormat::json));
    fmt::format_to(std::back_inserter(line), ".{:06}Z\",\"status\":{},\"latency_ms\":{:.3f}",
                   micros.count() % 1000000, c.response_status(), latency_ms);
    auto field = [&line](std::string_view name, std::string_view value) {
      line.append(",\"");
      line.append(name);
      line.append("\":\"");
      append_json_log_escaped(line, value);
      line.push_back('"');
    };
    field("client_ip", c.client_ip());
    field("method", c.method());
    field("path", c.path());
    field("query", c.raw_query());
    field("route", c.full_path());
    fmt::format_to(std::back_inserter(line), ",\"bytes_out\":{}", c.response_size());
    field("request_id", c.request_id());
    field("trace_id", c.trace_id());
    field("span_id", c.span_id());
    line.append(",\"errors\":[");
    bool first = true;
    for (const Error& error : c.errors()) {
      if (!first) line.push_back(',');
      first = false;
      line.push_back('"');
      append_json_log_escaped(line, error.message);
      line.push_back('"');
    }
    line.append("]}");
  }

  void log(Context& c) const {
    SystemClock::time_point now = SystemClock::now();
    double latency_ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - c.start_time())
                            .count();
    // One buffer per worker thread: after the first requests a line costs no allocation.
    thread_local std::string line;
    line.clear();
    if (format == LogFormat::text) {
      append_text(line, c, now, latency_ms);
    } else {
      append_json(line, c, now, latency_ms);
    }
    line.push_back('\n');
    output->write(line);
  }
};

}  // namespace

Handler logger(LoggerOptions options) {
  auto access = std::make_shared<AccessLog>();
  access->format = options.format;
  access->skip_paths = std::move(options.skip_paths);
  access->output = options.output ? std::move(options.output) : log_to_stdout();
  access->stamp_time = !access->output->stamps_time();
  return [access](Context& c) {
    if (!access->skips(c.path())) {
      // Coroutine, deferred and streamed requests are logged when their answer is final, not
      // when their chain first returns. The handler, and so `access`, outlives every request
      // of its engine; a raw pointer keeps the hook within std::function's inline storage.
      c.on_answered([log = access.get()](Context& answered) { log->log(answered); });
    }
    c.next();
  };
}

}  // namespace sloe
