#include "sloe/middleware/logger.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
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

// The wall-clock time at `steady_now`, from the steady clock and an offset each thread samples
// once a second: one clock read per line instead of two.
SystemClock::time_point wall_time(std::chrono::steady_clock::time_point steady_now) {
  thread_local std::chrono::steady_clock::time_point resample_at{};
  thread_local SystemClock::duration offset{};
  if (steady_now >= resample_at) {
    offset = SystemClock::now().time_since_epoch() -
             std::chrono::duration_cast<SystemClock::duration>(steady_now.time_since_epoch());
    resample_at = steady_now + std::chrono::seconds(1);
  }
  return SystemClock::time_point(
      offset + std::chrono::duration_cast<SystemClock::duration>(steady_now.time_since_epoch()));
}

// `value` in decimal, padded on the left with `fill` to `width`.
void append_number(std::string& out, std::uint64_t value, std::size_t width, char fill = ' ') {
  char digits[20];
  std::size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  if (count < width) out.append(width - count, fill);
  while (count != 0) out.push_back(digits[--count]);
}

// Milliseconds with three decimals ("1.234"), the integer part padded to make `width`.
void append_millis(std::string& out, std::chrono::nanoseconds latency, std::size_t width) {
  auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  append_number(out, micros / 1000, width > 4 ? width - 4 : 1);
  out.push_back('.');
  append_number(out, micros % 1000, 3, '0');
}

enum class Align { left, right };

// Client data escaped and padded with spaces to `width`, as fmt's {:>15} or {:<7} would.
void append_escaped_padded(std::string& out, std::string_view text, std::size_t width,
                           Align align) {
  std::size_t start = out.size();
  append_log_escaped(out, text);
  std::size_t written = out.size() - start;
  if (written >= width) return;
  if (align == Align::left) {
    out.append(width - written, ' ');
  } else {
    out.insert(start, width - written, ' ');
  }
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
                   std::chrono::nanoseconds latency) const {
    line.append("[sloe] ");
    if (stamp_time) {
      line.append(second_stamp(SystemClock::to_time_t(now), LogFormat::text));
      line.append(" | ");
    }
    // Gin's columns, written by hand: fmt's width and float handling was most of a line's cost.
    append_number(line, static_cast<std::uint64_t>(c.response_status()), 3);
    line.append(" | ");
    append_millis(line, latency, 9);
    line.append("ms | ");
    append_escaped_padded(line, c.client_ip(), 15, Align::right);
    line.append(" | ");
    append_escaped_padded(line, c.method(), 7, Align::left);
    line.append(" \"");
    append_log_escaped(line, c.path());
    std::string_view query = c.raw_query();
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
                   std::chrono::nanoseconds latency) const {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    line.append("{\"time\":\"");
    line.append(second_stamp(SystemClock::to_time_t(now), LogFormat::json));
    line.push_back('.');
    append_number(line, static_cast<std::uint64_t>(micros.count() % 1000000), 6, '0');
    line.append("Z\",\"status\":");
    append_number(line, static_cast<std::uint64_t>(c.response_status()), 1);
    line.append(",\"latency_ms\":");
    append_millis(line, latency, 1);
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
    line.append(",\"bytes_out\":");
    append_number(line, c.response_size(), 1);
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
    auto steady_now = std::chrono::steady_clock::now();
    SystemClock::time_point now = wall_time(steady_now);
    auto latency = steady_now - c.start_time();
    // One buffer per worker thread: after the first requests a line costs no allocation.
    thread_local std::string line;
    line.clear();
    if (format == LogFormat::text) {
      append_text(line, c, now, latency);
    } else {
      append_json(line, c, now, latency);
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
