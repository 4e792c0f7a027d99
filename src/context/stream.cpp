// Answers written over time: write/flush, Gin's Stream, Server-Sent Events. The exchange does
// the framing (chunks, or the connection's end for HTTP/1.0); this side keeps the Context's
// body as the buffer of the part being written and paces the writers by the unsent output.

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "context/context_state.hpp"
#include "sloe/context/context.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

using detail::ContextAccess;
using detail::ContextState;

void Context::write(std::string_view bytes) {
  check();
  state_->body.append(bytes);
}

Flush Context::flush() {
  check();
  ContextState& s = *state_;
  http::Exchange& exchange = *s.exchange;
  if (!exchange.streaming()) {
    ContextAccess::before_send(*this, OutgoingAnswer::Kind::stream);
    // A hook that flushed has started the stream itself.
    if (!exchange.streaming()) exchange.start_stream(s.status, s.response_headers);
  }
  exchange.write(s.body);
  s.body.clear();
  return Flush(*this);
}

bool Flush::await_ready() const {
  const http::Exchange& exchange = *context_->state_->exchange;
  return exchange.abandoned() || exchange.unsent() <= http::Exchange::kUnsentLimit;
}

void Flush::await_suspend(std::coroutine_handle<> waiting) const {
  // Resumed on the worker thread: the drained callback is posted to its event loop.
  context_->state_->exchange->when_drained([waiting] { waiting.resume(); });
}

bool Flush::await_resume() const {
  context_->check();
  return !context_->state_->exchange->abandoned();
}

namespace {

using Step = std::function<bool(Context&)>;

void pump(Context& c, std::uint64_t generation, std::shared_ptr<Step> step);

// The next step runs from the event loop: once the output is under the bound, and never
// nested in the previous one, so a fast stream does not starve the worker's other connections.
void schedule(Context& c, std::uint64_t generation, std::shared_ptr<Step> step) {
  http::Exchange& exchange = *ContextAccess::state(c).exchange;
  auto resume = [&c, generation, step] {
    if (ContextAccess::generation(c) == generation) pump(c, generation, step);
  };
  if (exchange.unsent() <= http::Exchange::kUnsentLimit) {
    exchange.executor()->post(std::move(resume));
  } else {
    exchange.when_drained(std::move(resume));
  }
}

void pump(Context& c, std::uint64_t generation, std::shared_ptr<Step> step) {
  ContextState& s = ContextAccess::state(c);
  if (s.exchange->abandoned() || c.scope().cancelled()) {
    ContextAccess::complete_async(c);
    return;
  }
  bool more = false;
  try {
    more = (*step)(c);
    c.flush();
  } catch (const std::exception& e) {
    spdlog::error("sloe: a stream step for {} {} threw: {}; the answer is broken off",
                  log_escaped(c.method()), log_escaped(c.path()), log_escaped(e.what()));
    s.stream_broken = true;
  } catch (...) {
    spdlog::error("sloe: a stream step for {} {} threw; the answer is broken off",
                  log_escaped(c.method()), log_escaped(c.path()));
    s.stream_broken = true;
  }
  if (!more) {
    ContextAccess::complete_async(c);
    return;
  }
  schedule(c, generation, std::move(step));
}

void require_single_line(std::string_view what, std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument(fmt::format(
        "sloe::Context::sse_event: the event {} \"{}\" has a line break or NUL; it would end the "
        "event early",
        what, log_escaped(value)));
  }
}

}  // namespace

void Context::stream(std::function<bool(Context&)> step) {
  ContextAccess::suspend(*this);
  pump(*this, generation_, std::make_shared<Step>(std::move(step)));
}

Flush Context::sse_event(std::string_view event, std::string_view data, const SseOptions& options) {
  check();
  require_single_line("name", event);
  require_single_line("id", options.id);
  ContextState& s = *state_;
  if (!s.exchange->streaming()) {
    s.response_headers.set("Content-Type", "text/event-stream");
    s.response_headers.set("Cache-Control", "no-cache");
  }
  std::string& out = s.body;
  if (!options.id.empty()) out.append("id: ").append(options.id).push_back('\n');
  if (!event.empty()) out.append("event: ").append(event).push_back('\n');
  if (options.retry.count() > 0) {
    fmt::format_to(std::back_inserter(out), "retry: {}\n", options.retry.count());
  }
  // Every line of the data is a field of its own; CR, LF and CRLF all end a line in SSE.
  do {
    std::size_t end = data.find_first_of("\r\n");
    out.append("data: ").append(data.substr(0, end)).push_back('\n');
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + (data.substr(end, 2) == "\r\n" ? 2 : 1));
  } while (true);
  out.push_back('\n');
  return flush();
}

}  // namespace sloe
