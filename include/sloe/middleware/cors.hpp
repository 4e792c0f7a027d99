#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sloe/context/handler.hpp"

namespace sloe {

/// What cors() lets other origins do (the Fetch standard's CORS protocol). The defaults allow
/// no origin: name them in `allow_origins`, or decide in `allow_origin`.
struct CorsOptions {
  /// Origins whose pages may read the answers, as browsers send them: scheme, host and a port
  /// other than the default ("https://app.example.com", "http://localhost:3000"), compared
  /// ignoring case. "*" allows every origin.
  std::vector<std::string> allow_origins = {};
  /// Decides an origin the list does not name; it only sees well-formed origins, and is called
  /// on the worker threads, possibly at once.
  std::function<bool(std::string_view origin)> allow_origin = {};
  /// Methods a preflight allows; "*" allows the one the browser asks for. GET, HEAD and POST
  /// need no preflight.
  std::vector<std::string> allow_methods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  /// Request headers a preflight allows (Content-Type with a type other than a form's or
  /// text/plain needs one); "*" allows the ones the browser asks for, Authorization included.
  std::vector<std::string> allow_headers{"Content-Type"};
  /// Response headers scripts may read beyond the always-readable ones (Content-Type,
  /// Content-Length, Cache-Control, ...).
  std::vector<std::string> expose_headers = {};
  /// Lets pages send cookies and HTTP authentication, and read the answers to such requests.
  /// The Fetch standard forbids the answer `Access-Control-Allow-Origin: *` then, so with
  /// `allow_origins = {"*"}` the request's origin is sent back instead: every site may then
  /// make credentialed requests as your users. Name the origins instead whenever you can.
  bool allow_credentials = false;
  /// How long a browser may reuse a preflight's answer; 0 sends no Access-Control-Max-Age
  /// (browsers then keep it 5 seconds). Browsers cap it (Chromium: 2 hours, Firefox: 1 day).
  std::chrono::seconds max_age{0};
};

/// Cross-origin resource sharing (gin-contrib/cors). For an allowed origin, answers carry
/// Access-Control-Allow-Origin (and -Credentials, -Expose-Headers); a preflight (OPTIONS with
/// Origin and Access-Control-Request-Method) is answered 204 by cors() itself with the allowed
/// methods, headers and max age, and the rest of the chain does not run. A disallowed origin
/// gets no CORS headers, so the browser keeps the answer from the page; its requests otherwise
/// proceed as usual, but its preflight is answered 403 and the chain does not run. An Origin
/// that is not a well-formed origin is never allowed but by "*" without credentials, and
/// "null" (sandboxed frames, file: pages) only when listed or allowed by `allow_origin`.
/// Answers that depend on the origin carry `Vary: Origin`.
///
/// Install it with `app.use(...)`, first: global middleware also runs for paths and methods
/// without a route (404, 405), so preflights for `GET`-only routes are answered, before
/// authentication and rate limits. In a group, it runs only for the group's routes: give the
/// group an OPTIONS route for the preflights, `api.options("/*path", [](sloe::Context&) {})`.
///
///   app.use(sloe::cors({.allow_origins = {"https://app.example.com"},
///                       .allow_headers = {"Content-Type", "Authorization"},
///                       .allow_credentials = true,
///                       .max_age = std::chrono::hours(1)}));
Handler cors(CorsOptions options);

}  // namespace sloe
