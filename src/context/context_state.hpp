#pragma once
// What a pooled Context holds for one request. Everything is cleared, not freed, between
// requests, so the steady state allocates nothing.

#include <any>
#include <chrono>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "context/lifetime_guard.hpp"
#include "context/request_keys.hpp"
#include "http/exchange.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "sloe/async/executor.hpp"
#include "sloe/context/context.hpp"

namespace sloe::detail {

/// Strings decoded during the request (query values, cookies); the views handed out stay
/// valid until the request completes.
class Scratch {
 public:
  std::string& next() {
    if (used_ == strings_.size()) strings_.push_back(std::make_unique<std::string>());
    std::string& s = *strings_[used_++];
    s.clear();
    return s;
  }
  void clear() { used_ = 0; }

 private:
  std::vector<std::unique_ptr<std::string>> strings_;
  std::size_t used_ = 0;
};

/// The request's form (post_form, form_file), parsed on first use.
struct Form {
  bool parsed = false;
  std::vector<std::pair<std::string_view, std::string_view>> values;  // decoded, in order
  std::vector<FormFile> files;
  std::string error;                  // why a multipart body is malformed
  std::deque<std::string> unescaped;  // quoted multipart parameters that had escapes

  void clear() {
    parsed = false;
    values.clear();
    files.clear();
    error.clear();
    unescaped.clear();
  }
};

class ContextPool;
struct ThreadContexts;

inline constexpr int kAbortIndex = 1 << 30;

/// The body of every 500 sloe answers for an exception (Context::abort_with_exception).
inline constexpr std::string_view kServerErrorBody = "internal server error";

/// The body of the 503 a deferred or coroutine request gets at EngineOptions::request_timeout.
inline constexpr std::string_view kDeadlineExceededBody = "request deadline exceeded";

/// Throws std::invalid_argument naming `caller` unless `name` is an HTTP token (a header or
/// cookie name).
void require_token(std::string_view caller, std::string_view name);

struct ContextState {
  const http::Request* request = nullptr;
  http::Exchange* exchange = nullptr;  // where the answer goes
  ThreadContexts* home = nullptr;      // the worker's pool and settings
  std::string_view path;               // decoded
  std::string decoded_path;
  std::string_view full_path;
  std::vector<Param> params;
  std::chrono::steady_clock::time_point start;
  // EngineOptions::request_timeout, or what Context::set_timeout() made of it; 0: none.
  std::chrono::milliseconds timeout{0};
  std::string request_id;
  std::string trace_id;
  std::string span_id;  // the request's own span, set by tracing middleware (Context::set_trace)
  std::optional<Scope> scope;  // made on first use: most requests never ask

  const HandlersChain* chain = nullptr;
  int index = -1;

  int status = 200;
  http::ResponseHeaders response_headers;
  std::string body;
  // A file answer (Context::file): sent instead of `body`, unless a body was written after it.
  std::optional<http::FileRange> file_body;

  // Answering later (deferred, coroutine, streamed): the answer is not ready until
  // complete_async(); the request finishes once its handler chain has returned too.
  bool pending = false;
  bool returned = false;
  // Coroutine handlers of this request still running; the request is answered when the last
  // one finishes. Not reset when the request ends: if it ends first (its deadline), the
  // Context stays out of the pool until they are all done with it.
  int coroutines = 0;
  // A coroutine middleware suspended before its c.next(): the chain goes on from it when it
  // calls next(), not at once.
  bool chain_paused = false;
  // Coroutines suspended in `co_await c.next()`, each with the number of coroutines running
  // when it called next(): it resumes when the count is back to that, innermost first.
  struct ChainWaiter {
    std::coroutine_handle<> handle;
    int coroutines;
  };
  std::vector<ChainWaiter> chain_waiters;
  // The first exception a coroutine handler let out: rethrown by the next `co_await c.next()`
  // that resumes, or else answered with the 500 when the last coroutine finishes.
  std::exception_ptr chain_error;
  // A streamed answer broke off (its step threw): the client must see it incomplete.
  bool stream_broken = false;
  // Context::on_answered() hooks, run once the answer is final.
  std::vector<std::function<void(Context&)>> on_answered;
  // Context::before_send() hooks, run (and cleared) when the head is about to be serialised.
  std::vector<std::function<void(Context&, OutgoingAnswer&)>> before_send;

  RequestKeys keys;
  std::vector<Error> errors;
  Scratch scratch;
  Form form;
};

/// The engine's door into a Context: binding it to a request and reading the response back.
struct ContextAccess {
  /// The state of the request `c` serves; only while it serves one.
  static ContextState& state(Context& c) { return *c.state_; }
  /// Changes when the request `c` serves ends: compare it before touching `c` later.
  static std::uint64_t generation(const Context& c) { return c.generation_; }
  /// Makes `c` live for the request of `exchange` on this thread.
  static void begin(Context& c, http::Exchange& exchange, ThreadContexts& home);
  /// Ends the request: every later use of `c` throws ContextMisuse.
  static void end(Context& c);
  /// The answer will come later (defer, coroutine): handle() returns pending.
  static void suspend(Context& c);
  /// The later answer is ready (on the Context's thread): finish the request if its handler
  /// chain already returned, otherwise the engine finishes it as usual.
  static void complete_async(Context& c);
  /// Runs the before_send hooks, last added first, and clears them: once, just before the
  /// head is serialised (at finish, or at a streamed answer's first flush). `kind` says what
  /// carries the body.
  static void before_send(Context& c, OutgoingAnswer::Kind kind);
  /// Gives the exchange its answer, runs the on_answered hooks, ends `c` and returns it to
  /// its pool, then ends the exchange (the connection may go on with the next request).
  static void finish(Context& c);
  /// Replaces the answer with the 503 of EngineOptions::request_timeout (what a deferred
  /// request gets then too); the caller completes the request.
  static void answer_deadline_exceeded(Context& c);
  /// Whether the request's request_timeout has passed.
  static bool past_deadline(Context& c);
};

/// Contexts of one worker thread, reused request after request.
///
/// A Context and its state are pooled apart. States (the buffers) are reused last in, first
/// out, so the warm one serves the next request. Contexts, what user code holds references
/// to, are reused first in, first out and only once Context::reuse_distance requests of this
/// pool completed after theirs: until then one stays dead, and a stale reference to it
/// throws. They are small and made in blocks of reuse_distance + 1, what one request at a time
/// needs, so after the first request the pool allocates only when more requests than ever
/// before are in flight.
class ContextPool {
 public:
  ContextPool() = default;
  ContextPool(const ContextPool&) = delete;
  ContextPool& operator=(const ContextPool&) = delete;

  /// A Context with a state, for ContextAccess::begin.
  Context& acquire();
  /// After ContextAccess::end: `c` joins the back of the queue, its state is free at once.
  void release(Context& c);
  /// After ContextAccess::end while coroutines still refer to `c`: `c` keeps its state (their
  /// count, their waits) and stays out of the queue (dead) until release_held(c).
  void hold(Context& c);
  void release_held(Context& c);
  /// Contexts held for coroutines that outlived their requests.
  std::size_t held() const { return held_; }
  /// A request of this pool completed: its number, the generation its Context takes.
  std::uint64_t count_completion() { return ++completed_; }

 private:
  Context& fresh();
  void return_state(Context& c);
  void enqueue(Context& c);

  static constexpr std::size_t kBlock = Context::reuse_distance + 1;
  std::vector<std::unique_ptr<Context[]>> blocks_;
  std::size_t unused_ = 0;      // never handed out, at the end of blocks_.back()
  std::vector<Context*> ring_;  // the free Contexts from head_, oldest first; one slot each
  std::size_t head_ = 0;
  std::size_t free_ = 0;
  std::size_t held_ = 0;
  std::uint64_t completed_ = 0;
  std::vector<std::unique_ptr<ContextState>> states_;
  std::vector<ContextState*> free_states_;
};

/// The Contexts of one worker thread, and what their requests share of the engine.
struct ThreadContexts {
  ContextPool pool;
  const Scope* lifetime = nullptr;  // the engine's: parent of request scopes and copies' scopes
  const std::vector<std::string>* trusted_proxies = nullptr;
  std::chrono::milliseconds request_timeout{0};
  std::string_view request_id_header = "X-Request-ID";
};

}  // namespace sloe::detail
