#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace sloe {

using namespace std::chrono_literals;

/// How requests get their ids (Context::request_id), as gin-contrib/requestid configures them.
///
///   options.request_id.header = "X-Correlation-ID";
///   options.request_id.trust_incoming = false;  // the edge: never reuse a client's id
///   options.request_id.generate = [] { return make_uuid(); };
struct RequestIdOptions {
  /// The header an incoming id is read from and the id is echoed in.
  std::string header = "X-Request-ID";
  /// Keep an id the client sent when it is sane (1-128 characters of `A-Za-z0-9._~:/+=-`);
  /// turn off where clients are untrusted and ids must be unique.
  bool trust_incoming = true;
  /// Makes a new id on the worker thread (so it must be thread-safe); empty: 128 random bits
  /// as 32 hex digits. An id it returns that is not sane is replaced by a random one, since
  /// ids go into headers and log lines.
  std::function<std::string()> generate{};
};

/// Everything an Engine can be tuned with, with the defaults sloe ships.
struct EngineOptions {
  /// Worker threads, each with its own event loop and Context pool; 0 means one per core.
  std::size_t threads = 0;

  /// Request line plus header fields; more answers 431 and closes. The trailer section of a
  /// chunked body has a budget of its own of the same size.
  std::size_t max_header_bytes = 16 * 1024;
  /// The request target alone; longer answers 414 and closes.
  std::size_t max_target_bytes = 8 * 1024;
  /// Header field count; more answers 431 and closes.
  std::size_t max_headers = 100;
  /// The request body as received; larger answers 413 and closes. For a chunked body the
  /// framing counts too (chunk-size lines, extensions, CRLFs; a chunk-size line over 4 KiB is
  /// refused with 400), so what a connection holds for one request never exceeds
  /// 2 * max_header_bytes + max_body_bytes.
  std::size_t max_body_bytes = 8 * 1024 * 1024;

  /// From a request's first byte to the end of its header section: a client sending headers a
  /// byte at a time is cut off (408).
  std::chrono::milliseconds header_timeout = 10s;
  /// From the end of the header section to the end of the body.
  std::chrono::milliseconds body_timeout = 30s;
  /// How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout = 60s;
  /// How long a response may wait for the client to read it.
  std::chrono::milliseconds write_timeout = 30s;
  /// A deadline for every request (0: none). c.scope() is cancelled at it (reason
  /// deadline_exceeded), and a deferred request whose Responder has not answered, or a
  /// coroutine handler that has not finished, gets 503 "request deadline exceeded" then; what
  /// either gives later is dropped. A plain handler's answer is never replaced.
  std::chrono::milliseconds request_timeout{0};
  /// What run() gives in-flight requests when SIGINT/SIGTERM arrives.
  std::chrono::milliseconds shutdown_grace = 10s;

  /// Peers whose X-Forwarded-For / X-Real-IP headers client_ip() believes (exact addresses).
  /// Empty by default: unlike Gin 1.8, sloe trusts no proxy until told to.
  std::vector<std::string> trusted_proxies{};

  /// Give every request an id (Context::request_id) and echo it in X-Request-ID.
  bool request_ids = true;
  /// Where the id comes from and which header carries it.
  RequestIdOptions request_id{};

  /// Background task pool (Engine::spawn): threads and the most tasks waiting to run; spawn()
  /// throws sloe::TaskQueueFull beyond it.
  std::size_t task_threads = 4;
  std::size_t task_queue_limit = 10000;

  /// run() stops gracefully on SIGINT and SIGTERM.
  bool handle_signals = true;

  // ---- Routing (Gin's engine flags, with Gin 1.8.1's defaults) ----------------------------

  /// A miss whose path differs from a route only by a trailing slash redirects to the route:
  /// 301 for GET, 307 for other methods (Gin's RedirectTrailingSlash).
  bool redirect_trailing_slash = true;
  /// A miss is retried with the path cleaned and matched case-insensitively; a hit redirects to
  /// the route's spelling (Gin's RedirectFixedPath).
  bool redirect_fixed_path = false;
  /// A miss that another method's route matches answers 405 with an Allow header and runs the
  /// no_method() handlers (Gin's HandleMethodNotAllowed).
  bool handle_method_not_allowed = false;
  /// Route on the path as sent (still percent-encoded) when it holds escapes that decoding would
  /// change, so "%2F" never splits a segment (Gin's UseRawPath).
  bool use_raw_path = false;
  /// With use_raw_path: percent-decode parameter values (as Go's url.QueryUnescape, so '+'
  /// becomes a space) (Gin's UnescapePathValues).
  bool unescape_path_values = true;
  /// Route on the cleaned path: repeated slashes, "." and ".." removed (Gin's
  /// RemoveExtraSlash).
  bool remove_extra_slash = false;
};

}  // namespace sloe
