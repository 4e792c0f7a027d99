#pragma once
// One request in flight on a connection, and its answer: given now, later from the worker
// thread, or streamed. The Session makes one per request, in request order; the application
// answers through it and ends it, and only then does the connection go on with the next
// request. While an exchange is open its request's bytes stay where they are.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "http/limits.hpp"
#include "http/output.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "sloe/async/executor.hpp"

namespace sloe::http {

class Session;

class Exchange {
 public:
  /// Above this much unsent output a streamed answer waits (Exchange::when_drained).
  static constexpr std::size_t kUnsentLimit = 64 * 1024;

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const Request& request() const { return *request_; }
  /// The TCP peer's address.
  std::string_view remote_ip() const;
  /// Where work for this exchange continues later: its connection's worker thread.
  const std::shared_ptr<Executor>& executor() const;

  // ---- answering (on the worker thread) ----------------------------------------------------

  /// A complete answer with Content-Length. A `Connection: close` field among `headers` is
  /// taken out and closes the connection after the answer.
  void answer(int status, ResponseHeaders& headers, std::string_view body);
  /// A complete answer whose body is (part of) a file, sent without copying it.
  void answer_file(int status, ResponseHeaders& headers, FileRange body);
  /// Sends the headers now; the body follows with write() until end(). Chunked for HTTP/1.1;
  /// for an HTTP/1.0 client the body ends with the connection.
  void start_stream(int status, ResponseHeaders& headers);
  /// Part of a streamed body; dropped once the client has gone.
  void write(std::string_view bytes);
  bool streaming() const { return streaming_; }
  bool answered() const { return answered_; }
  /// The answer's body bytes so far (what a HEAD answer would have sent).
  std::size_t body_bytes() const { return body_bytes_; }

  // ---- answering later ---------------------------------------------------------------------

  /// Called while the application serves the request: the exchange stays open after serve()
  /// returns, until end(). Its request's bytes stay valid until then.
  void answer_later();
  /// The application is done with the exchange. A streamed body gets its last chunk when
  /// `complete`; otherwise the connection closes after what was sent, so the client sees a
  /// truncated body instead of a short one that looks whole.
  void end(bool complete = true);
  bool open() const { return open_; }

  /// Output the connection has not sent yet.
  std::size_t unsent() const;
  /// Runs `fn` once the unsent output is at or below kUnsentLimit, or the client has gone: at
  /// once if it already is, otherwise posted to the executor. One waiter at a time.
  void when_drained(std::function<void()> fn);
  /// Runs `fn` once if the client goes away while the exchange is open.
  void on_abandoned(std::function<void()> fn);
  /// The client went away: nothing written from now on reaches it.
  bool abandoned() const { return abandoned_; }

 private:
  friend class Session;
  explicit Exchange(Session& session) : session_(&session) {}

  void begin(const Request& request, ResponseFraming framing);
  // From the Session: the transport sent some output, or the client went away.
  void drained();
  void abandon();
  void write_head(int status, ResponseHeaders& headers, BodyLength length);

  Session* session_;
  const Request* request_ = nullptr;
  ResponseFraming framing_;
  std::size_t body_bytes_ = 0;
  bool answered_ = false;
  bool streaming_ = false;
  bool chunked_ = false;
  bool bodiless_ = false;  // HEAD, 1xx, 204, 304: the headers only
  bool later_ = false;
  bool open_ = false;
  bool keep_alive_ = true;
  bool abandoned_ = false;
  std::function<void()> drained_;
  std::function<void()> abandoned_fn_;
};

/// What the engine implements for each worker thread: it owns that thread's Contexts.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  /// Answers `exchange`, and ends it before returning unless it called answer_later().
  virtual void serve(Exchange& exchange) = 0;
};

/// The one interface through which an application (the engine) plugs into the transports.
class Application {
 public:
  virtual ~Application() = default;
  virtual const Limits& limits() const = 0;
  /// A handler for the calling worker thread; it lives as long as that worker.
  virtual std::unique_ptr<RequestHandler> make_request_handler() = 0;
};

}  // namespace sloe::http
