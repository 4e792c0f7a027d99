#pragma once
// What the layers that rebuild a ContextCopy (its wire form, job runners) may do to one, and
// nothing else may: a copy stays immutable for its users.

#include <memory>
#include <utility>

#include "sloe/context/context_copy.hpp"

namespace sloe::detail {

class CopyAccess {
 public:
  /// The text of a request, as views (the copy's own layout): rebuild() copies every byte
  /// into the new copy's block.
  using Fields = ContextCopy::Request;

  /// A copy owning its own block with `fields`, the given keys and scope.
  static ContextCopy rebuild(const Fields& fields, std::shared_ptr<const KeyTable> keys,
                             Scope scope);
  /// The copy's keys; null when the request set none.
  static const KeyTable* keys(const ContextCopy& copy) { return copy.keys_.get(); }
  /// Binds the copy to `scope`, e.g. a task's own child scope that a drain can cancel.
  static void rescope(ContextCopy& copy, Scope scope) { copy.scope_ = std::move(scope); }
};

}  // namespace sloe::detail
