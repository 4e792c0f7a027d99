#pragma once
// sloe::ContextCopy: an owning, immutable snapshot of a request, safe to hand to any thread
// and to keep after the response was sent. It cannot write a response.
//
// The request's values live in one block of memory, shared by copies of the copy: the views
// its members return stay valid as long as the ContextCopy (or a copy of it) they came from.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <any>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sloe/async/scope.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

namespace detail {
/// The request-scoped keys (`c.set()`), in the order they were first set.
using KeyTable = std::vector<std::pair<std::string, std::any>>;
class CopyAccess;  // src/context/copy_access.hpp: rebuilds copies (wire form, job runners)
}  // namespace detail

class ContextCopy {
 public:
  ContextCopy() = default;

  std::string_view method() const { return request().method; }
  /// The decoded request path, without the query.
  std::string_view path() const { return request().path; }
  /// The matched route pattern, e.g. "/user/:id".
  std::string_view full_path() const { return request().full_path; }
  /// A path parameter's value; empty when absent.
  std::string_view param(std::string_view key) const;
  std::span<const Param> params() const { return request().params; }
  /// The first decoded value of a query parameter; empty when absent.
  std::string query(std::string_view key) const;
  std::optional<std::string> get_query(std::string_view key) const;
  /// Every decoded value of a repeated query parameter: `?a=1&a=2` gives {"1", "2"}.
  std::vector<std::string> query_array(std::string_view key) const;
  /// The query string as sent, without '?'.
  std::string_view raw_query() const { return request().raw_query; }
  /// A request header (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  /// Every request header, in the order received.
  std::span<const std::pair<std::string_view, std::string_view>> headers() const {
    return request().headers;
  }
  std::string_view client_ip() const { return request().client_ip; }
  /// The request body, when the copy was taken with `c.copy(true)`; empty otherwise.
  std::string_view body() const { return request().body; }
  std::chrono::steady_clock::time_point start_time() const { return request().start_time; }
  /// The request id: the client's sane X-Request-ID, or one sloe generated (and echoed).
  std::string_view request_id() const { return request().request_id; }
  /// The W3C trace id from the request's `traceparent` header; empty when it had none.
  std::string_view trace_id() const { return request().trace_id; }
  /// The id of the request's span (Context::span_id); empty when nothing traced the request.
  std::string_view span_id() const { return request().span_id; }

  /// Cancellation for work done with this copy. Unlike the request's own scope it does not end
  /// when the response is sent (Gin's `c.Copy().Request.Context()` pitfall): it is a child of
  /// the engine's lifetime and ends at shutdown, after the grace period.
  const Scope& scope() const { return scope_; }
  /// The same copy with a deadline on its scope: `app.spawn(c.copy().with_timeout(5s), job)`.
  ContextCopy with_timeout(Scope::clock::duration timeout) const& {
    ContextCopy bounded = *this;
    bounded.scope_ = scope_.with_timeout(timeout);
    return bounded;
  }
  ContextCopy with_timeout(Scope::clock::duration timeout) && {
    scope_ = scope_.with_timeout(timeout);
    return std::move(*this);
  }

  /// Logs through spdlog with the request id (and trace and span ids) of the request this copy came
  /// from on the same line: `job.log(spdlog::level::info, "processing user {}", id)`.
  /// String arguments (std::string, std::string_view, C strings) are escaped as
  /// `sloe::log_escape` describes, since they often hold client data; the format string is
  /// not. Wrap other client-derived values yourself (`sloe::log_escaped(...)`).
  template <class... Args>
  void log(spdlog::level::level_enum level, fmt::format_string<Args...> format,
           Args&&... args) const {
    // The arguments were checked against `format` at compile time; the wrapped strings take
    // the same format specs, so formatting them at run time cannot fail differently.
    spdlog::log(level, "[request_id={}{}{}{}{}] {}", log_escaped(request_id()),
                trace_id().empty() ? "" : " trace_id=", log_escaped(trace_id()),
                span_id().empty() ? "" : " span_id=", log_escaped(span_id()),
                fmt::format(fmt::runtime(fmt::string_view(format)),
                            escape_if_string(std::forward<Args>(args))...));
  }
  template <class... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    log(spdlog::level::info, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    log(spdlog::level::warn, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) const {
    log(spdlog::level::err, format, std::forward<Args>(args)...);
  }

  /// A request-scoped key set with `c.set()` before the copy; nullptr when absent or of
  /// another type. The values are shared, read-only, with the request's other copies, which
  /// may read them on other threads at the same time.
  template <class T>
  const T* get(std::string_view key) const {
    if (!keys_) return nullptr;
    for (const auto& [name, value] : *keys_) {
      if (name == key) return std::any_cast<T>(&value);
    }
    return nullptr;
  }

 private:
  friend class Context;
  friend class Engine;  // hands each task its own cancellable scope
  friend class detail::CopyAccess;

  template <class T>
  static constexpr bool is_string_v =
      std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view> ||
      std::is_same_v<T, const char*> || std::is_same_v<T, char*>;

  template <class T>
  static decltype(auto) escape_if_string(T&& arg) {
    using Plain = std::decay_t<T>;
    if constexpr (std::is_pointer_v<Plain> && is_string_v<Plain> &&
                  !std::is_array_v<std::remove_reference_t<T>>) {
      return log_escaped(arg ? std::string_view(arg) : std::string_view());
    } else if constexpr (is_string_v<Plain>) {
      return log_escaped(arg);
    } else {
      return std::forward<T>(arg);
    }
  }

  // The request's values: views into the block that holds this struct, then the params and
  // headers tables, then every byte they view (Context::copy lays it out). Nothing changes it
  // after the copy is taken, so copies of the copy share it.
  struct Request {
    std::string_view method;
    std::string_view path;
    std::string_view full_path;
    std::string_view raw_query;
    std::string_view client_ip;
    std::string_view body;
    std::string_view request_id;
    std::string_view trace_id;
    std::string_view span_id;
    std::span<const Param> params;
    std::span<const std::pair<std::string_view, std::string_view>> headers;
    std::chrono::steady_clock::time_point start_time;
  };
  static constexpr Request kNoRequest{};  // what a default-constructed or moved-from copy holds

  const Request& request() const { return request_ ? *request_ : kNoRequest; }

  std::shared_ptr<const Request> request_;        // owns the block
  std::shared_ptr<const detail::KeyTable> keys_;  // frozen, shared with the request's other copies
  Scope scope_;
};

}  // namespace sloe
