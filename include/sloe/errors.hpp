#pragma once
// Exceptions sloe throws at its users: each message says what went wrong and what to do.

#include <stdexcept>
#include <string>

namespace sloe {

/// Thrown by every `Context` member used after its request completed or from a thread other
/// than the request's worker. The fix is almost always `c.copy()` before leaving the handler.
class ContextMisuse : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The request is not what the handler asked for: a body that bind_json() cannot read as the
/// requested type, a malformed multipart form. Not caught by the handler, it becomes a 400
/// answer with the message (and an entry in `c.errors()`), not a 500: the client sent it.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown at registration when a route cannot be added: conflicting wildcards, a catch-all
/// that is not last, duplicate handlers. The message names the new route and the existing one.
class RouteConflict : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace sloe
