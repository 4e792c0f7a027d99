// A Context's life: the lifetime guard, the handler chain (next, abort, errors), answering
// later (defer), and the engine's side (detail::ContextAccess: begin, end, finish).

#include "sloe/context/context.hpp"

#include <memory>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "context/context_state.hpp"
#include "context/responder_core.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

using detail::ContextState;

thread_local constinit const char detail::this_thread_token = 0;

Context::Context() : owner_(&detail::this_thread_token) {}
Context::~Context() = default;

void Context::throw_misuse() const {
  if (!live_.load(std::memory_order_relaxed)) {
    throw ContextMisuse(
        "sloe::Context used after its request completed: the Context will serve another "
        "request. Call c.copy() inside the handler and keep the copy instead of the Context.");
  }
  throw ContextMisuse(
      "sloe::Context used from a thread other than its request's worker: a Context is "
      "single-threaded. Call c.copy() inside the handler and hand the copy to other threads.");
}

void Context::on_answered(std::function<void(Context&)> fn) {
  check();
  state_->on_answered.push_back(std::move(fn));
}

// ---- chain --------------------------------------------------------------------------------

Next Context::next() {
  check();
  ContextState& s = *state_;
  const int running = s.coroutines;
  s.chain_paused = false;
  const int size = static_cast<int>(s.chain->size());
  for (++s.index; s.index < size; ++s.index) {
    (*s.chain)[static_cast<std::size_t>(s.index)](*this);
    // A coroutine middleware waits before its own next(), which goes on from its index.
    if (s.chain_paused) break;
  }
  return Next(*this, running);
}

bool Next::await_ready() const {
  return context_->state_->coroutines <= coroutines_;
}

void Next::await_suspend(std::coroutine_handle<> waiting) const {
  context_->state_->chain_waiters.push_back({waiting, coroutines_});
}

void Next::await_resume() const {
  context_->check();  // the request may have ended meanwhile (its request_timeout)
  ContextState& s = *context_->state_;
  if (s.chain_error) std::rethrow_exception(std::exchange(s.chain_error, nullptr));
}

void Context::abort() {
  check();
  state_->index = detail::kAbortIndex;
}

void Context::abort_with_status(int code) {
  status(code);
  abort();
}

void Context::abort_with_status_json(int code, JsonFields fields) {
  abort();
  json(code, fields);
}

void Context::abort_with_status_json(int code, const sloe::json& value) {
  abort();
  json(code, value);
}

bool Context::is_aborted() const {
  check();
  return state_->index >= detail::kAbortIndex;
}

void Context::abort_with_exception(std::exception_ptr error) {
  check();
  ContextState& s = *state_;
  if (s.exchange->streaming()) {
    // The status and headers are out: all that is left is to break the answer off.
    s.stream_broken = true;
    s.body.clear();
  }
  // What the handler wrote so far is dropped; the request id still goes back.
  s.response_headers.clear();
  s.file_body.reset();
  if (!s.request_id.empty()) s.response_headers.set(s.home->request_id_header, s.request_id);
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.index = detail::kAbortIndex;
  auto server_error = [&](std::string_view what) {
    // The ids tie the line to the request's access line and spans.
    spdlog::error("sloe: handler for {} {} threw: {} [request_id={}{}{}{}{}]",
                  log_escaped(s.request->method), log_escaped(s.path), log_escaped(what),
                  log_escaped(s.request_id),
                  s.trace_id.empty() ? "" : " trace_id=", log_escaped(s.trace_id),
                  s.span_id.empty() ? "" : " span_id=", log_escaped(s.span_id));
    s.body.assign(detail::kServerErrorBody);
    s.status = 500;
  };
  try {
    std::rethrow_exception(error);
  } catch (const BadRequest& e) {
    s.errors.push_back({e.what()});
    s.body.assign(e.what());
    s.status = 400;
  } catch (const std::exception& e) {
    server_error(e.what());
  } catch (...) {
    server_error("an exception not derived from std::exception");
  }
}

const Error& Context::error(std::string message) {
  check();
  return state_->errors.emplace_back(Error{std::move(message)});
}

std::span<const Error> Context::errors() const {
  check();
  return state_->errors;
}

Responder Context::defer() {
  detail::ContextAccess::suspend(*this);
  ContextState& s = *state_;
  auto core = std::make_shared<detail::ResponderCore>(s.exchange->executor(), *this, generation_);
  if (s.timeout.count() > 0) {
    std::weak_ptr<detail::ResponderCore> weak = core;
    auto left = s.start + s.timeout - std::chrono::steady_clock::now();
    s.exchange->executor()->post_after(left, [weak] {
      if (auto late = weak.lock())
        late->complete(503, "text/plain; charset=utf-8", detail::kDeadlineExceededBody);
    });
  }
  return Responder(std::make_shared<detail::ResponderOwner>(std::move(core)));
}

// ---- the engine's side --------------------------------------------------------------------

namespace detail {

void ContextAccess::begin(Context& c, http::Exchange& exchange, ThreadContexts& home) {
  ContextState& s = *c.state_;
  s.request = &exchange.request();
  s.exchange = &exchange;
  s.home = &home;
  s.start = std::chrono::steady_clock::now();
  s.timeout = home.request_timeout;
  s.path = s.request->path;
  s.full_path = {};
  // Without request ids the engine assigns no trace id: none may leak from the last request.
  s.trace_id.clear();
  s.span_id.clear();
  s.params.clear();
  s.chain = nullptr;
  s.index = -1;
  s.status = 200;
  c.live_.store(true, std::memory_order_relaxed);
}

void ContextAccess::end(Context& c) {
  c.live_.store(false, std::memory_order_relaxed);
  ContextState& s = *c.state_;
  c.generation_ = s.home->pool.count_completion();
  s.pending = false;
  s.returned = false;
  s.chain_paused = false;
  s.chain_error = nullptr;
  s.stream_broken = false;
  s.on_answered.clear();
  if (s.scope) {
    // Like Go's request context: done when the request completes. One that ran into its
    // deadline is left to the deadline timer, so that its reason stays deadline_exceeded.
    std::optional<Scope::clock::time_point> deadline = s.scope->deadline();
    if (!deadline || *deadline > Scope::clock::now()) s.scope->cancel();
    s.scope.reset();
  }
  s.request = nullptr;
  s.exchange = nullptr;
  s.response_headers.clear();
  s.body.clear();
  s.file_body.reset();
  s.keys.clear();
  s.errors.clear();
  s.scratch.clear();
  s.form.clear();
}

void ContextAccess::suspend(Context& c) {
  c.check();
  ContextState& s = *c.state_;
  if (s.pending) {
    throw std::logic_error(
        "sloe: the request is already answered later (defer, a coroutine handler or a stream); "
        "a request is answered later one way only");
  }
  s.pending = true;
  // Its bytes stay where they are until the exchange ends: the Context's views stay valid.
  s.exchange->answer_later();
  s.exchange->on_abandoned([&c, generation = c.generation_] {
    // The client went away: the work for it can stop.
    if (c.generation_ == generation && c.state_->scope) c.state_->scope->cancel();
  });
}

void ContextAccess::complete_async(Context& c) {
  ContextState& s = *c.state_;
  if (!s.pending) return;
  s.pending = false;
  if (s.returned) finish(c);
}

void ContextAccess::finish(Context& c) {
  ContextState& s = *c.state_;
  http::Exchange& exchange = *s.exchange;
  auto file_answer = [&s] { return s.file_body && s.body.empty(); };
  if (exchange.streaming()) {
    s.before_send.clear();  // added after the head left: too late to run
  } else {
    before_send(c, file_answer() ? OutgoingAnswer::Kind::file : OutgoingAnswer::Kind::body);
  }
  // Decided after the hooks: one may have written a body over a file, or flushed.
  if (exchange.streaming()) {
    exchange.write(s.body);
  } else if (file_answer()) {
    exchange.answer_file(s.status, s.response_headers, std::move(*s.file_body));
  } else {
    exchange.answer(s.status, s.response_headers, s.body);
  }
  for (std::size_t i = 0; i < s.on_answered.size(); ++i) {
    try {
      s.on_answered[i](c);
    } catch (const std::exception& e) {
      spdlog::error("sloe: an on_answered hook threw: {}", log_escaped(e.what()));
    } catch (...) {
      spdlog::error("sloe: an on_answered hook threw");
    }
  }
  ContextPool& pool = s.home->pool;
  const bool complete = !s.stream_broken;
  // Answered while coroutines still run (the request_timeout 503): the last one to finish
  // returns the Context to the pool.
  const bool coroutines_running = s.coroutines > 0;
  end(c);
  if (coroutines_running) {
    pool.hold(c);
  } else {
    pool.release(c);
  }
  exchange.end(complete);
}

void ContextAccess::answer_deadline_exceeded(Context& c) {
  ContextState& s = *c.state_;
  s.status = 503;
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.body.assign(kDeadlineExceededBody);
}

bool ContextAccess::past_deadline(Context& c) {
  const ContextState& s = *c.state_;
  return s.timeout.count() > 0 && std::chrono::steady_clock::now() >= s.start + s.timeout;
}

}  // namespace detail
}  // namespace sloe
