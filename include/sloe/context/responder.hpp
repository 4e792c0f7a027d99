#pragma once
// sloe::Responder: the answer to a request, given later and from any thread (`c.defer()`).

#include <memory>
#include <string_view>

#include "sloe/context/json.hpp"

namespace sloe {

namespace detail {
struct ResponderOwner;
}

/// A thread-safe, one-shot way to answer a request after its handler returned.
///
///   app.get("/report", [&](sloe::Context& c) {
///     app.spawn(c.copy(), [r = c.defer()](sloe::ContextCopy& job) mutable {
///       r.json(200, build_report(job));   // from the task pool thread
///     });
///   });
///
/// The first completion wins; later ones return false and are logged. A Responder whose last
/// copy is destroyed without answering answers 500 and logs it. With
/// EngineOptions::request_timeout set, a request still unanswered at its deadline gets 503.
/// Pipelined requests behind a deferred one wait for it, so answers keep request order.
class Responder {
 public:
  /// Sets a header of the coming answer; ignored once answered.
  Responder& header(std::string_view name, std::string_view value);
  bool string(int code, std::string_view text);
  bool json(int code, JsonFields fields);
  bool json(int code, const sloe::json& value);
  bool data(int code, std::string_view content_type, std::string_view bytes);
  /// Answers with a status and no body.
  bool status(int code);
  /// True once an answer was given (by this copy or another).
  bool answered() const;

 private:
  friend class Context;
  explicit Responder(std::shared_ptr<detail::ResponderOwner> owner) : owner_(std::move(owner)) {}
  std::shared_ptr<detail::ResponderOwner> owner_;
};

}  // namespace sloe
