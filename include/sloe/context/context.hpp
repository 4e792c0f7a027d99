#pragma once
// sloe::Context: one request's data and its response, handed to every handler in the chain.
//
// A Context is pooled: it is valid on its worker thread from handler entry until the request
// completes, then it serves another request. Using it later, or from another thread, throws
// sloe::ContextMisuse. To use request data elsewhere, take `c.copy()` first.
//
// What the check catches, exactly:
// - From any thread but its worker's, a Context always throws.
// - On its worker, a Context whose request completed is not handed out again before at least
//   Context::reuse_distance (64) later requests on that worker have completed, so a stale
//   `Context&` kept by a timer or a detached coroutine throws for at least that long. A
//   coroutine handler still running after its request was answered 503 at
//   EngineOptions::request_timeout keeps its Context out of service until it finishes, so its
//   own later uses of `c` always throw.
// What it cannot catch: a stale `Context&` used after 64 or more later requests completed on
// its worker may find its Context serving another request and then reads and writes that
// request without an error; and the views members return (`std::string_view`, `std::span`,
// `const Scope&`, pointers from `get<T>()`) are not checked at all: they dangle once the
// request completes. A Context used after its Engine or testing::Client is destroyed is
// undefined behaviour.

#include <fmt/format.h>

#include <any>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sloe/context/context_copy.hpp"
#include "sloe/context/cookie.hpp"
#include "sloe/context/form_file.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/context/json.hpp"
#include "sloe/context/responder.hpp"
#include "sloe/context/trace_context.hpp"
#include "sloe/errors.hpp"

namespace sloe {

namespace detail {
struct ContextState;
struct Form;
struct ContextAccess;
class ContextPool;
}  // namespace detail

/// An error collected with `c.error(...)`, like Gin's `c.Errors`.
struct Error {
  std::string message;
};

/// The optional fields of a Server-Sent Event (Context::sse_event).
struct SseOptions {
  std::string_view id;  // the client sends it back in Last-Event-ID when it reconnects
  std::chrono::milliseconds retry{0};  // how long the client waits before reconnecting; 0: unset
};

/// The answer a Context::before_send hook sees just before its status line and headers are
/// serialised; the status and headers are the Context's own (`c.response_status()`,
/// `c.response_header()`, `c.status()`, `c.header()`).
struct OutgoingAnswer {
  enum class Kind : std::uint8_t {
    body,    // complete and in memory: `body` is all of it, and the hook may rewrite it
    file,    // a file sent without copying it (sendfile); `body` is empty, and writing into it
             // replaces the file
    stream,  // streamed: `body` is the first part; later parts follow without the hook
  };
  Kind kind;
  std::string& body;
};

class Context;

/// What `c.flush()` returns: awaited in a coroutine handler, it waits until the connection has
/// taken the output (its unsent bytes are under a bound) and says whether the client is still
/// there. Not awaited, the flush has happened all the same.
class Flush {
 public:
  bool await_ready() const;
  void await_suspend(std::coroutine_handle<> waiting) const;
  bool await_resume() const;

 private:
  friend class Context;
  explicit Flush(Context& c) : context_(&c) {}
  Context* context_;
};

/// What `c.next()` returns. Plain middleware ignores it. Coroutine middleware awaits it, to
/// work after the rest of the chain has really finished, coroutine handlers included, and to
/// catch what they threw, also after their first `co_await`:
///
///   app.use([](sloe::Context& c) -> sloe::Task<> {
///     try {
///       co_await c.next();
///     } catch (const UpstreamDown& e) {
///       c.string(502, "upstream down");
///     }
///   });
///
/// `co_await` resumes once every coroutine handler started by this `next()` has finished, and
/// rethrows the first exception one of them let out (which then no longer makes the 500).
class Next {
 public:
  bool await_ready() const;
  void await_suspend(std::coroutine_handle<> waiting) const;
  void await_resume() const;

 private:
  friend class Context;
  Next(Context& c, int coroutines) : context_(&c), coroutines_(coroutines) {}
  Context* context_;
  int coroutines_;  // coroutine handlers running when next() was called
};

class Context {
 public:
  /// How many later requests on its worker must complete before a Context whose request
  /// completed serves another one; until then every use of a stale reference to it throws.
  static constexpr std::size_t reuse_distance = 64;

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  Context(Context&&) = delete;
  Context& operator=(Context&&) = delete;
  ~Context();

  // ---- request ----------------------------------------------------------------------------

  std::string_view method() const;
  /// The decoded request path, without the query.
  std::string_view path() const;
  /// The matched route pattern, e.g. "/user/:id"; empty when no route matched.
  std::string_view full_path() const;
  /// A path parameter's value; empty when the route has no such parameter.
  std::string_view param(std::string_view key) const;
  std::span<const Param> params() const;

  /// The first value of a query parameter, decoded; empty when absent (Gin's `c.Query`).
  std::string_view query(std::string_view key) const;
  /// The value, or `fallback` when the parameter is absent (present but empty gives "").
  std::string_view default_query(std::string_view key, std::string_view fallback) const;
  /// The value, or nullopt when absent.
  std::optional<std::string_view> get_query(std::string_view key) const;
  /// Every value of a repeated parameter: `?a=1&a=2` gives {"1", "2"}.
  std::vector<std::string_view> query_array(std::string_view key) const;
  /// The query string as sent, without '?'.
  std::string_view raw_query() const;
  /// The keys inside `key[...]`: `?ids[a]=1&ids[b]=2` gives {{"a", "1"}, {"b", "2"}} (Gin's
  /// `c.QueryMap`); the first value of a repeated key wins.
  std::map<std::string_view, std::string_view> query_map(std::string_view key) const;

  // ---- forms and binding ------------------------------------------------------------------
  // The form is the body of a POST, PUT or PATCH request sent as
  // application/x-www-form-urlencoded or multipart/form-data, parsed on first use; the query
  // string is not part of it (Gin's `c.PostForm` family). A malformed multipart body throws
  // sloe::BadRequest, which answers 400 unless the handler catches it.

  /// A form field's first value, decoded; empty when absent.
  std::string_view post_form(std::string_view key) const;
  /// The value, or `fallback` when the field is absent (present but empty gives "").
  std::string_view default_post_form(std::string_view key, std::string_view fallback) const;
  /// The value, or nullopt when absent.
  std::optional<std::string_view> get_post_form(std::string_view key) const;
  /// Every value of a repeated field.
  std::vector<std::string_view> post_form_array(std::string_view key) const;
  /// Like query_map(), for the form: `ids[a]=1&ids[b]=2`.
  std::map<std::string_view, std::string_view> post_form_map(std::string_view key) const;
  /// The first file uploaded in field `name` of a multipart form; nullopt when there is none.
  /// Uploads are bounded by EngineOptions::max_body_bytes (8 MiB unless raised).
  std::optional<FormFile> form_file(std::string_view name) const;
  /// Every file uploaded in field `name`, in order (`<input type="file" multiple>`).
  std::vector<FormFile> form_files(std::string_view name) const;
  /// Writes an uploaded file to `path` (Gin's `c.SaveUploadedFile`); throws std::system_error
  /// naming the path when it cannot. Build `path` from `file.filename` only after checking it.
  void save_uploaded_file(const FormFile& file, const std::string& path) const;

  /// The JSON body converted to `T` with nlohmann's from_json (Gin's `c.BindJSON`):
  ///
  ///   struct Login { std::string user; std::string password; };
  ///   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Login, user, password)
  ///   auto login = c.bind_json<Login>();
  ///
  /// A body that is not JSON, a missing member or a wrong type throws sloe::BadRequest with
  /// nlohmann's reason: 400 unless the handler catches it.
  template <class T>
  T bind_json() const {
    try {
      return sloe::json::parse(body()).template get<T>();
    } catch (const sloe::json::exception& e) {
      throw BadRequest(
          fmt::format("the request body is not the JSON this route expects: {}", e.what()));
    }
  }

  /// A request header (case-insensitive name); empty when absent (Gin's `c.GetHeader`).
  std::string_view header(std::string_view name) const;
  /// A trailer field sent after a chunked body (case-insensitive name), empty when absent.
  /// Trailers are kept apart from the headers: header() never sees them.
  std::string_view trailer(std::string_view name) const;
  /// Every request header, in the order received.
  std::vector<std::pair<std::string_view, std::string_view>> headers() const;
  /// A cookie's value, or nullopt when the request has no such cookie.
  std::optional<std::string_view> cookie(std::string_view name) const;
  /// The request body (chunked bodies are decoded).
  std::string_view body() const;
  std::string_view content_type() const;
  /// The client's address: X-Forwarded-For / X-Real-IP when the peer is a trusted proxy
  /// (EngineOptions::trusted_proxies), otherwise the peer's address.
  std::string_view client_ip() const;
  /// The TCP peer's address.
  std::string_view remote_ip() const;
  /// When the request's headers were parsed.
  std::chrono::steady_clock::time_point start_time() const;
  /// This request's deadline, `timeout` after start_time(), in place of
  /// EngineOptions::request_timeout (0: none). A request answered later (coroutine, defer) and
  /// not answered by then gets 503 "request deadline exceeded", and scope() is cancelled at it.
  /// Set it in middleware, before scope() is first used and before the request is answered
  /// later; sloe::timeout(d) does this for a group or a route. Throws std::logic_error after.
  void set_timeout(std::chrono::milliseconds timeout);
  /// The deadline set by set_timeout() or EngineOptions::request_timeout; 0: none.
  std::chrono::milliseconds timeout() const;
  /// The request id: the client's X-Request-ID when it is sane (1-128 characters of
  /// `A-Za-z0-9._~:/+=-`), otherwise a generated one; echoed in the response's X-Request-ID.
  std::string_view request_id() const;
  /// The W3C trace id: from a valid `traceparent` header, or the one set_trace() set; empty
  /// when there is none.
  std::string_view trace_id() const;
  /// The id of the request's own span, as set_trace() set it; empty when nothing traces the
  /// request.
  std::string_view span_id() const;
  /// Sets the trace context that this request's log lines and copies carry: what tracing
  /// middleware (sloe::tracing) does when it opens the request's span. Throws
  /// std::invalid_argument unless `trace_id` is 32 and `span_id` 16 lowercase hex digits, not
  /// all zero (sloe::is_trace_id, sloe::is_span_id).
  void set_trace(std::string_view trace_id, std::string_view span_id);
  /// The request's cancellation scope: cancelled when the request completes or the server
  /// shuts down. Work that must outlive the response uses `c.copy().scope()` instead.
  const Scope& scope() const;

  // ---- request-scoped keys ----------------------------------------------------------------

  /// Stores a value under `key` for the rest of the chain (Gin's `c.Set`).
  template <class T>
  void set(std::string_view key, T value) {
    set_any(key, std::any(std::move(value)));
  }
  /// The value stored under `key`, or nullptr when absent or of another type. A `c.copy()`
  /// keeps the values as they were when it was taken: change a value through a pointer get()
  /// returned after the copy, not through one from before it, which the copy shares.
  template <class T>
  T* get(std::string_view key) {
    return std::any_cast<T>(find_any(key));
  }
  /// Like get(), but throws std::out_of_range when the key is absent or of another type.
  template <class T>
  T& must_get(std::string_view key) {
    if (T* value = get<T>(key)) return *value;
    throw std::out_of_range(fmt::format(
        "sloe::Context::must_get: no value of the requested type under key \"{}\"", key));
  }

  // ---- response ---------------------------------------------------------------------------

  /// Sets the response status (Gin's `c.Status`).
  void status(int code);
  /// The response status so far (200 until set).
  int response_status() const;
  /// Sets a response header; an empty value removes it (Gin's `c.Header`).
  void header(std::string_view name, std::string_view value);
  /// Adds a Set-Cookie header (Gin's `c.SetCookie`); the value is query-escaped, and
  /// `c.cookie()` unescapes it. Throws std::invalid_argument for a name that is not an HTTP
  /// token, or a path or domain that would break the header.
  void set_cookie(std::string_view name, std::string_view value, const CookieOptions& options = {});
  /// Writes a text/plain body. With arguments it is a fmt format string:
  /// `c.string(200, "hello {}", c.param("id"))`.
  void string(int code, std::string_view text);
  template <class... Args>
  requires(sizeof...(Args) > 0) void string(int code, fmt::format_string<Args...> format,
                                            Args&&... args) {
    std::string& body = begin_body(code, "text/plain; charset=utf-8");
    fmt::format_to(std::back_inserter(body), format, std::forward<Args>(args)...);
  }
  /// Writes a JSON object as the application/json body, straight from the braced list
  /// (Gin's `c.JSON(200, gin.H{...})`; see sloe::JsonFields):
  /// `c.json(200, {{"message", "pong"}, {"id", c.param("id")}})`.
  void json(int code, JsonFields fields);
  /// Serializes `value` as the application/json body.
  void json(int code, const sloe::json& value);
  /// Writes `bytes` as the body with the given Content-Type.
  void data(int code, std::string_view content_type, std::string_view bytes);
  /// Redirects to `location`; `code` must be 3xx or 201 (otherwise std::invalid_argument).
  void redirect(int code, std::string_view location);
  /// The response body written so far (what is still to be sent, once streaming).
  std::string_view response_body() const;
  /// A response header set so far; empty when absent.
  std::string_view response_header(std::string_view name) const;
  /// The body's size in bytes: written so far, or sent once the answer is final (Gin's
  /// `c.Writer.Size()`); for HEAD, what a GET would have sent.
  std::size_t response_size() const;

  // ---- files ------------------------------------------------------------------------------
  // A file answer is sent from the file without copying it (sendfile): 200 with the whole
  // file, or 206 with one byte range, and 304 or 412 for conditional requests (ETag,
  // Last-Modified, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since, If-Range),
  // 416 with `Content-Range: bytes */size` for a range past the end. Content-Type comes from
  // the file name's extension unless the handler set one. A HEAD request gets GET's headers.
  // It replaces any body written before; write no body after it (that would replace the file).
  // A missing file answers 404, an unreadable one 403, each with a short text/plain reason.

  /// Sends the file at `path`, a path the application chose (Gin's `c.File`); a directory is
  /// served by its index.html. A request whose path has a ".." element is refused with 400, as
  /// Go's http.ServeFile does, in case `path` was built from the URL. Never build `path` from
  /// request data: use file_from_dir() for that.
  void file(std::string_view path);
  /// file(), with `Content-Disposition: attachment` so that the browser saves it as `filename`
  /// (Gin's `c.FileAttachment`); a non-ASCII name is sent in RFC 8187's `filename*` too.
  void file_attachment(std::string_view path, std::string_view filename);
  /// Sends the file that `subpath` (a decoded URL path, such as a `*filepath` parameter) names
  /// under the directory `root` (Gin's `c.FileFromFS`), never one outside it: ".." cannot climb
  /// above `root`, and a symlink is followed only while it stays beneath `root`. A directory is
  /// served by its index.html (no listings); a directory named without its trailing slash, a
  /// file named with one, or ".../index.html" is redirected (301) to its canonical URL.
  void file_from_dir(std::string_view root, std::string_view subpath);

  // ---- answers written over time ------------------------------------------------------------
  // A streamed answer sends its status and headers at the first flush and its body in chunks
  // (to an HTTP/1.0 client: until the connection closes). Once it started, the status and
  // headers are sent and cannot change.

  /// Appends `bytes` to the body (Gin's `c.Writer.Write`); they leave at the next flush() or
  /// when the request ends.
  void write(std::string_view bytes);
  /// Sends what is written so far now, starting a streamed answer if none started. In a
  /// coroutine handler, `co_await c.flush()` also waits until the connection has taken the
  /// output, so a slow reader slows the handler instead of growing the server's memory; it
  /// returns false once the client has gone:
  ///
  ///   for (int n = 1; n <= 10; ++n) {
  ///     c.write(fmt::format("part {}\n", n));
  ///     if (!co_await c.flush()) co_return;  // the client has gone
  ///     co_await sloe::sleep_for(c.scope(), 100ms);
  ///   }
  Flush flush();
  /// Streams the body (Gin's `c.Stream`): `step` writes a part (write(), sse_event()) and
  /// returns false to end the answer. Each part is flushed; the next step runs on the worker
  /// thread once the connection has taken the output, so steps never block and a slow reader
  /// holds back the steps instead of growing the server's memory. The stream also ends when
  /// the client goes away or the request's scope is cancelled (request_timeout, shutdown). The
  /// request stays open after the handler returns, as with defer(). A step that throws
  /// breaks the answer off: the client sees it incomplete. For steps that wait (a timer, a
  /// queue), use a coroutine handler with `co_await c.flush()` instead.
  void stream(std::function<bool(Context&)> step);
  /// Writes one Server-Sent Event and flushes it; the first one makes the answer
  /// `text/event-stream` with `Cache-Control: no-cache` (Gin's `c.SSEvent`). `data` may span
  /// lines (each becomes a `data:` field). Throws std::invalid_argument for an event name or
  /// id with a line break, which would let the data end the event early. Awaitable like
  /// flush(): `if (!co_await c.sse_event("tick", n)) co_return;`.
  Flush sse_event(std::string_view event, std::string_view data, const SseOptions& options = {});

  /// Runs `fn` once the answer is final, for plain, coroutine, deferred and streamed handlers
  /// alike: the status, headers and response_size() are the ones sent, and the Context is
  /// still valid. Hooks run in the order they were added; one that throws is logged. This is
  /// how middleware sees the end of a request that is answered after its chain returned:
  ///
  ///   app.use([](sloe::Context& c) {
  ///     c.on_answered([](sloe::Context& c) { count(c.full_path(), c.response_status()); });
  ///     c.next();
  ///   });
  void on_answered(std::function<void(Context&)> fn);

  /// Runs `fn` once, just before the answer's status and headers are serialised: when a plain,
  /// coroutine or deferred answer is sent, or at a streamed answer's first flush. It may change
  /// the status, the headers and (OutgoingAnswer::Kind::body) the body; Content-Length is
  /// computed after it. Hooks run in reverse order of adding, like the code after `c.next()`
  /// in nested middleware; one that throws is logged and the answer is sent as it left it; one
  /// added after the head was sent never runs. This is how middleware transforms an answer
  /// that is produced after its chain returned:
  ///
  ///   c.before_send([](sloe::Context& c, sloe::OutgoingAnswer& answer) {
  ///     if (answer.kind == sloe::OutgoingAnswer::Kind::body && c.response_header("ETag").empty())
  ///       c.header("ETag", etag_of(answer.body));
  ///   });
  void before_send(std::function<void(Context&, OutgoingAnswer&)> fn);

  // ---- the handler chain ------------------------------------------------------------------

  /// Runs the remaining handlers of the chain; for middleware that works after them. A
  /// coroutine middleware co_awaits it (see sloe::Next); the chain waits for a coroutine
  /// middleware that suspends before calling next().
  Next next();
  /// Stops the chain after the current handler; the response written so far is sent.
  void abort();
  /// abort() and set the status.
  void abort_with_status(int code);
  /// abort() and send `fields` or `value` as JSON.
  void abort_with_status_json(int code, JsonFields fields);
  void abort_with_status_json(int code, const sloe::json& value);
  bool is_aborted() const;

  /// Stops the chain and answers as sloe answers an exception a handler lets escape:
  /// sloe::BadRequest answers 400 with its message; anything else answers 500
  /// "internal server error" (text/plain) and logs an error line naming the request. What the
  /// handler wrote is dropped; X-Request-ID stays. For middleware such as recovery():
  ///
  ///   try { c.next(); } catch (...) { c.abort_with_exception(std::current_exception()); }
  void abort_with_exception(std::exception_ptr error);

  /// Collects an error for middleware to report (Gin's `c.Error`).
  const Error& error(std::string message);
  std::span<const Error> errors() const;

  // ---- leaving the request ----------------------------------------------------------------

  /// An owning snapshot of the request that is safe on any thread and after the response
  /// (Gin's `c.Copy()`). `with_body` copies the request body too.
  ContextCopy copy(bool with_body = false) const;

  /// Answers later, from any thread: the request stays open after the handler returns until
  /// the returned Responder answers (see sloe::Responder). The Context itself stays bound to
  /// its worker thread; give other threads `c.copy()` and the Responder.
  Responder defer();

 private:
  friend class detail::ContextPool;
  friend struct detail::ContextAccess;
  friend class Flush;
  friend class Next;
  Context();

  void check() const;
  [[noreturn]] void throw_misuse() const;
  void set_any(std::string_view key, std::any value);
  std::any* find_any(std::string_view key);
  std::string& begin_body(int code, std::string_view content_type);
  // Parses the form on first use; throws BadRequest for a malformed multipart body.
  const detail::Form& form() const;

  // The lifetime guard: read from any thread, written only by the owner.
  std::atomic<const void*> owner_;  // a per-thread address: cheaper to read than a thread id
  std::atomic<bool> live_{false};
  // Changes when a request ends (it becomes the pool's count of completed requests): whatever
  // outlives a request (a Responder, a coroutine's driver, a timer) compares it before
  // touching the Context again, and the pool reads it to know how long the Context has been
  // dead.
  std::uint64_t generation_ = 0;
  // Lent by the pool for one request. The state (buffers) is reused at once, the Context
  // itself only after reuse_distance others, so stale references meet a dead Context.
  detail::ContextState* state_ = nullptr;
};

}  // namespace sloe
