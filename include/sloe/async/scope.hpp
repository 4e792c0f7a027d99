#pragma once
// Scope: Go's `context.Context` for C++ — a tree of cancellation, deadlines and values built on
// std::stop_source / std::stop_token.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace sloe {

/// Why a scope ended. A scope cancelled through an ancestor carries the ancestor's reason.
enum class CancelReason {
  none,               ///< not cancelled
  cancelled,          ///< `cancel()` was called on this scope or an ancestor
  deadline_exceeded,  ///< this scope's deadline (or an ancestor's) passed
};

/// Returns "none", "cancelled" or "deadline_exceeded".
std::string_view to_string(CancelReason reason) noexcept;

/// Keeps an `on_cancel` callback registered; destroying it (or `reset()`) unregisters it.
/// Like std::stop_callback: if the callback is running on another thread at that moment,
/// the destructor waits for it to return, so don't destroy a registration while holding a lock
/// its callback takes. Movable, not copyable; a default-constructed one holds nothing.
class CancelRegistration {
 public:
  CancelRegistration() noexcept;
  CancelRegistration(CancelRegistration&&) noexcept;
  CancelRegistration& operator=(CancelRegistration&&) noexcept;
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;
  ~CancelRegistration();

  /// Unregisters the callback now (waits for it if it is running on another thread).
  void reset() noexcept;
  /// True while a callback is registered through this object.
  explicit operator bool() const noexcept { return impl_ != nullptr; }

 private:
  friend class Scope;
  struct Impl;
  explicit CancelRegistration(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

class Scope;

namespace detail {
struct ScopeState;  // defined in src/async/scope.cpp

/// Number of live children registered with `scope` for cancellation (leak tests, diagnostics).
std::size_t child_count(const Scope& scope);

/// Type-erased value stored in a scope by `Scope::with_value`.
struct ScopeValue {
  virtual ~ScopeValue() = default;
  virtual const std::type_info& type() const noexcept = 0;
  virtual const void* get() const noexcept = 0;
};

template <class T>
struct ScopeValueOf final : ScopeValue {
  explicit ScopeValueOf(T v) : value(std::move(v)) {}
  const std::type_info& type() const noexcept override { return typeid(T); }
  const void* get() const noexcept override { return &value; }
  T value;
};
}  // namespace detail

/// A node in a tree of scopes that carries cancellation, an optional deadline and key/value
/// pairs to the work done on behalf of a request or of the process. Copies are cheap handles
/// to the same node (one shared_ptr copy) and are safe to use from any thread.
///
/// - Cancelling a scope cancels all its descendants before `cancel()` returns; a child never
///   cancels its parent; a child derived from a cancelled scope is born cancelled.
/// - A child's deadline is the earlier of its own and its parent's. Deadlines fire on their own
///   (one shared timer thread, started lazily) with reason `deadline_exceeded`. Only a child
///   whose own deadline is earlier than its parent's arms a timer; any other ends through its
///   parent, with the parent's reason.
/// - A scope is cancelled before its descendants, so one seen cancelled has cancelled
///   ancestors. Siblings are cancelled one after another: while a deadline (or another thread)
///   cancels a parent, a sibling of a child already seen cancelled may not be cancelled yet;
///   wait on the scope you look at (e.g. on its token), not on its sibling.
/// - A child keeps its ancestors alive (values are looked up through them); a parent does not
///   keep its children alive, and a destroyed child unregisters from its parent.
///
/// ```
/// sloe::Scope request = engine_scope.with_timeout(5s).with_value("user", std::string("ana"));
/// pool.spawn(info, request, [](const sloe::Scope& s) {
///   while (!s.cancelled()) { /* one step of work */ }
///   if (s.reason() == sloe::CancelReason::deadline_exceeded) { /* report the timeout */ }
/// });
/// ```
///
/// A default-constructed (or moved-from) Scope behaves as `Scope::background()`.
class Scope {
 public:
  using clock = std::chrono::steady_clock;

  /// The same as `background()`.
  Scope() noexcept = default;

  /// The root of every tree: never cancelled, no deadline, no values (Go's
  /// context.Background()). `cancel()` on it does nothing.
  static Scope background();

  /// A child that ends when `cancel()` is called on it or when this scope ends.
  ///
  /// ```
  /// auto job = parent.with_cancel();
  /// std::jthread t([job] { while (!job.cancelled()) step(); });
  /// job.cancel();  // parent unaffected
  /// ```
  Scope with_cancel() const;

  /// A child whose deadline is now + `timeout` (or this scope's deadline, if earlier).
  ///
  /// ```
  /// auto call = request.with_timeout(200ms);
  /// auto reg = call.on_cancel([&] { client.abort(); });
  /// ```
  Scope with_timeout(clock::duration timeout) const;

  /// A child whose deadline is `deadline` (or this scope's deadline, if earlier). A deadline
  /// already passed gives a child born cancelled with reason `deadline_exceeded`.
  Scope with_deadline(clock::time_point deadline) const;

  /// A child carrying `key` → `value`, found by `value<T>(key)` on it and its descendants.
  /// The child is also cancellable on its own, like `with_cancel()`.
  ///
  /// ```
  /// auto s = parent.with_value("request_id", std::string("r-42"));
  /// const std::string* id = s.value<std::string>("request_id");  // "r-42"
  /// ```
  template <class T>
  Scope with_value(std::string key, T value) const {
    return with_erased_value(std::move(key),
                             std::make_shared<const detail::ScopeValueOf<T>>(std::move(value)));
  }

  /// The value stored under `key` by the nearest scope in the chain (this one first) that has
  /// that key; nullptr when no scope has it or the nearest one stores another type than T.
  /// The pointer stays valid as long as any Scope handle to this scope (or a descendant) lives.
  template <class T>
  const T* value(std::string_view key) const {
    static_assert(!std::is_reference_v<T>, "value<T>: T must not be a reference");
    return static_cast<const T*>(find_value(key, typeid(T)));
  }

  /// Cancels this scope and all its descendants with reason `cancelled`, running their
  /// `on_cancel` callbacks on this thread before returning. Does nothing if already cancelled
  /// (the first reason sticks) or on `background()`. If another thread is cancelling the same
  /// scope at that moment, that thread finishes the job.
  void cancel() const;

  /// True once this scope is cancelled (by `cancel()`, a deadline or an ancestor).
  bool cancelled() const noexcept;

  /// Why this scope ended; `CancelReason::none` exactly while `cancelled()` is false.
  CancelReason reason() const noexcept;

  /// The effective deadline: the earliest of this scope's and its ancestors'.
  std::optional<clock::time_point> deadline() const noexcept;

  /// A stop token that is stop-requested when this scope is cancelled, for APIs that take one
  /// (std::jthread, std::condition_variable_any::wait). The background token cannot stop.
  std::stop_token token() const noexcept;

  /// Runs `callback` exactly once when this scope is cancelled: on the cancelling thread (the
  /// shared timer thread for deadlines), or right here if the scope already is cancelled.
  /// Unregistered when the returned registration is destroyed. An exception escaping the
  /// callback is logged and swallowed. Keep callbacks short: they run inside `cancel()`.
  ///
  /// ```
  /// auto reg = scope.on_cancel([&cv] { cv.notify_all(); });
  /// ```
  [[nodiscard]] CancelRegistration on_cancel(std::function<void()> callback) const;

 private:
  friend std::size_t detail::child_count(const Scope&);
  explicit Scope(std::shared_ptr<detail::ScopeState> state) noexcept : state_(std::move(state)) {}
  detail::ScopeState& state() const noexcept;
  Scope make_child(std::optional<clock::time_point> deadline, std::string key,
                   std::shared_ptr<const detail::ScopeValue> value) const;
  Scope with_erased_value(std::string key, std::shared_ptr<const detail::ScopeValue> value) const;
  const void* find_value(std::string_view key, const std::type_info& type) const noexcept;

  std::shared_ptr<detail::ScopeState> state_;  // null means background
};

}  // namespace sloe
