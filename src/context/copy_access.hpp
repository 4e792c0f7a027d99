#pragma once
// What the layers that rebuild a ContextCopy (its wire form, job runners) may do to one, and
// nothing else may: a copy stays immutable for its users.

#include <chrono>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "sloe/context/context_copy.hpp"

namespace sloe::detail {

/// The text of a request, as views: rebuild() copies every byte into the new copy's block.
struct CopyFields {
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

class CopyAccess {
 public:
  /// A copy owning its own block with `fields`, the given keys and scope.
  static ContextCopy rebuild(const CopyFields& fields, std::shared_ptr<const KeyTable> keys,
                             Scope scope);
  /// The copy's keys; null when the request set none.
  static const KeyTable* keys(const ContextCopy& copy) { return copy.keys_.get(); }
  /// Binds the copy to `scope`, e.g. a task's own child scope that a drain can cancel.
  static void rescope(ContextCopy& copy, Scope scope) { copy.scope_ = std::move(scope); }
};

}  // namespace sloe::detail
