#pragma once
// The request-scoped keys of a Context (c.set, c.get), shared with its copies instead of copied.

#include <any>
#include <memory>
#include <string_view>
#include <vector>

#include "sloe/context/context_copy.hpp"

namespace sloe::detail {

/// The keys of one request. `c.copy()` shares the table instead of copying every value: from
/// then on the table is frozen (copies read it on any thread), and the next change, or the
/// next get() that could change a value, works on a fresh copy of it. Cleared, not freed,
/// between requests, unless a copy took the table.
class RequestKeys {
 public:
  /// Stores `value` under `key`, replacing the value stored before.
  void set(std::string_view key, std::any value);
  /// The value under `key`, to read or change; nullptr when absent.
  std::any* find(std::string_view key);
  /// The table for a ContextCopy, frozen from now on; null when no key is set.
  std::shared_ptr<const KeyTable> share();
  /// Forgets every key: the request ended.
  void clear();

 private:
  // The table to change: a fresh copy of it once a ContextCopy shares it.
  KeyTable& writable();

  std::shared_ptr<KeyTable> table_;
  bool shared_ = false;
  // Tables frozen during this request, kept until it ends: pointers find() returned into them
  // stay valid as long as the request, as they did before the copy.
  std::vector<std::shared_ptr<const KeyTable>> frozen_;
};

}  // namespace sloe::detail
