// Scope: a node per derived scope, holding its own std::stop_source. Parents keep weak links to
// their children (unlinked by the child's destructor) and cancel them synchronously; deadlines
// are armed in one shared timer thread that sleeps on a condition variable until the earliest.

#include "sloe/async/scope.hpp"

#include "async/deadline_thread.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace sloe {

using clock = Scope::clock;

namespace {
class DeadlineThread;
}  // namespace

namespace detail {

struct ScopeState {
  using Timers =
      std::multimap<clock::time_point, std::pair<ScopeState*, std::weak_ptr<ScopeState>>>;

  explicit ScopeState(std::stop_source s) : source(std::move(s)) {}
  ~ScopeState();
  ScopeState(const ScopeState&) = delete;
  ScopeState& operator=(const ScopeState&) = delete;

  // Immutable after construction.
  std::shared_ptr<ScopeState> parent;  // keeps the chain alive for value lookups
  std::optional<clock::time_point> deadline;
  std::string key;
  std::shared_ptr<const ScopeValue> value;
  std::stop_source source;  // nostopstate for background
  bool linked = false;      // registered in parent->children at `link`
  std::list<std::weak_ptr<ScopeState>>::iterator link;
  std::shared_ptr<DeadlineThread> timers;  // set when this scope armed a deadline of its own

  // The first reason wins; stored before source.request_stop().
  std::atomic<CancelReason> reason{CancelReason::none};

  std::mutex mutex;  // guards children
  std::list<std::weak_ptr<ScopeState>> children;

  // Guarded by the DeadlineThread's mutex.
  bool timer_armed = false;
  Timers::iterator timer;
};

}  // namespace detail

namespace {

using detail::ScopeState;

// One thread for every deadline in the process, started by the first deadline. It sleeps on a
// condition variable until the earliest deadline (or until an earlier one is armed), then
// cancels that scope. Entries are removed when their scope is cancelled or destroyed, so
// short-lived scopes with long timeouts do not accumulate.
class DeadlineThread {
 public:
  ~DeadlineThread() { stop(); }

  void arm(const std::shared_ptr<ScopeState>& state) {
    std::lock_guard lock(mutex_);
    state->timer = timers_.emplace(*state->deadline, std::pair{state.get(), state});
    state->timer_armed = true;
    if (!thread_.joinable() && !shut_down_) {
      thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    }
    if (state->timer == timers_.begin()) wake_.notify_all();
  }

  void disarm(ScopeState& state) {
    std::lock_guard lock(mutex_);
    if (!state.timer_armed) return;
    timers_.erase(state.timer);
    state.timer_armed = false;
  }

  void stop(bool forever = false) {
    std::jthread thread;
    {
      std::lock_guard lock(mutex_);
      shut_down_ = shut_down_ || forever;
      thread = std::move(thread_);
    }
    // ~jthread requests stop (waking the condition variable wait) and joins.
  }

  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return timers_.size();
  }

  bool running() {
    std::lock_guard lock(mutex_);
    return thread_.joinable();
  }

 private:
  void run(std::stop_token stop);

  std::mutex mutex_;
  std::condition_variable_any wake_;
  ScopeState::Timers timers_;
  std::jthread thread_;
  bool shut_down_ = false;  // set at exit: do not start again
};

// Owned by a static that stops the thread at exit; scopes that armed a deadline hold a
// reference, so a scope destroyed after that static still disarms safely.
std::shared_ptr<DeadlineThread> deadline_thread() {
  struct Holder {
    std::shared_ptr<DeadlineThread> thread = std::make_shared<DeadlineThread>();
    ~Holder() { thread->stop(/*forever=*/true); }
  };
  static Holder holder;
  return holder.thread;
}

void cancel_state(ScopeState& state, CancelReason reason);

void DeadlineThread::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (timers_.empty()) {
      wake_.wait(lock, stop, [&] { return !timers_.empty(); });
      continue;
    }
    auto first = timers_.begin();
    clock::time_point when = first->first;
    if (when > clock::now()) {
      wake_.wait_until(lock, stop, when,
                       [&] { return !timers_.empty() && timers_.begin()->first < when; });
      continue;
    }
    // The raw pointer is valid here: the scope is either alive or blocked in its destructor,
    // waiting for this mutex in disarm().
    first->second.first->timer_armed = false;
    std::shared_ptr<ScopeState> state = first->second.second.lock();
    timers_.erase(first);
    if (!state) continue;
    lock.unlock();
    cancel_state(*state, CancelReason::deadline_exceeded);
    state.reset();  // may run ~ScopeState, which takes mutex_
    lock.lock();
  }
}

void cancel_state(ScopeState& state, CancelReason reason) {
  if (!state.source.stop_possible()) return;  // background
  CancelReason expected = CancelReason::none;
  if (!state.reason.compare_exchange_strong(expected, reason)) return;
  if (state.timers) state.timers->disarm(state);
  state.source.request_stop();  // runs on_cancel callbacks
  // A child linking itself after this point sees our reason under the mutex and is born
  // cancelled; every child linked before is collected here.
  std::vector<std::shared_ptr<ScopeState>> children;
  {
    std::lock_guard lock(state.mutex);
    children.reserve(state.children.size());
    for (auto& weak : state.children) {
      if (auto child = weak.lock()) children.push_back(std::move(child));
    }
  }
  // Outside the lock: dropping the last reference to a child runs its destructor, which
  // takes state.mutex to unlink itself.
  for (auto& child : children) cancel_state(*child, reason);
}

const std::shared_ptr<ScopeState>& background_state() {
  static const auto state = std::make_shared<ScopeState>(std::stop_source(std::nostopstate));
  return state;
}

}  // namespace

detail::ScopeState::~ScopeState() {
  if (timers) timers->disarm(*this);
  if (linked) {
    std::lock_guard lock(parent->mutex);
    parent->children.erase(link);
  }
}

std::string_view to_string(CancelReason reason) noexcept {
  switch (reason) {
    case CancelReason::none:
      return "none";
    case CancelReason::cancelled:
      return "cancelled";
    case CancelReason::deadline_exceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

// ---- CancelRegistration -------------------------------------------------------------------

namespace {
struct CancelInvoker {
  std::function<void()> callback;
  void operator()() noexcept {
    try {
      callback();
    } catch (const std::exception& e) {
      spdlog::error("sloe: a Scope::on_cancel callback threw: {}; callbacks must not throw",
                    e.what());
    } catch (...) {
      spdlog::error(
          "sloe: a Scope::on_cancel callback threw a non-std exception; callbacks "
          "must not throw");
    }
  }
};
}  // namespace

struct CancelRegistration::Impl {
  Impl(std::stop_token token, std::function<void()> callback)
      : registration(std::move(token), CancelInvoker{std::move(callback)}) {}
  std::stop_callback<CancelInvoker> registration;
};

CancelRegistration::CancelRegistration() noexcept = default;
CancelRegistration::CancelRegistration(std::unique_ptr<Impl> impl) noexcept
    : impl_(std::move(impl)) {}
CancelRegistration::CancelRegistration(CancelRegistration&&) noexcept = default;
CancelRegistration& CancelRegistration::operator=(CancelRegistration&&) noexcept = default;
CancelRegistration::~CancelRegistration() = default;
void CancelRegistration::reset() noexcept {
  impl_.reset();
}

// ---- Scope --------------------------------------------------------------------------------

Scope Scope::background() {
  return Scope(background_state());
}

detail::ScopeState& Scope::state() const noexcept {
  return state_ ? *state_ : *background_state();
}

Scope Scope::make_child(std::optional<clock::time_point> deadline, std::string key,
                        std::shared_ptr<const detail::ScopeValue> value) const {
  ScopeState& parent = state();
  auto child = std::make_shared<ScopeState>(std::stop_source());
  child->parent = state_ ? state_ : background_state();
  child->key = std::move(key);
  child->value = std::move(value);
  bool own_deadline = deadline && (!parent.deadline || *deadline < *parent.deadline);
  child->deadline = own_deadline ? deadline : parent.deadline;

  CancelReason born = CancelReason::none;
  if (parent.source.stop_possible()) {
    std::lock_guard lock(parent.mutex);
    born = parent.reason.load();
    if (born == CancelReason::none) {
      child->link = parent.children.insert(parent.children.end(), child);
      child->linked = true;
    }
  }
  if (born != CancelReason::none) {
    cancel_state(*child, born);
  } else if (own_deadline) {
    if (*deadline <= clock::now()) {
      cancel_state(*child, CancelReason::deadline_exceeded);
    } else {
      child->timers = deadline_thread();
      child->timers->arm(child);
    }
  }
  return Scope(std::move(child));
}

Scope Scope::with_cancel() const {
  return make_child(std::nullopt, {}, nullptr);
}

Scope Scope::with_timeout(clock::duration timeout) const {
  return make_child(clock::now() + timeout, {}, nullptr);
}

Scope Scope::with_deadline(clock::time_point deadline) const {
  return make_child(deadline, {}, nullptr);
}

Scope Scope::with_erased_value(std::string key,
                               std::shared_ptr<const detail::ScopeValue> value) const {
  return make_child(std::nullopt, std::move(key), std::move(value));
}

const void* Scope::find_value(std::string_view key, const std::type_info& type) const noexcept {
  for (const ScopeState* s = &state(); s != nullptr; s = s->parent.get()) {
    if (s->value && s->key == key) return s->value->type() == type ? s->value->get() : nullptr;
  }
  return nullptr;
}

void Scope::cancel() const {
  cancel_state(state(), CancelReason::cancelled);
}

bool Scope::cancelled() const noexcept {
  return state().source.stop_requested();
}

CancelReason Scope::reason() const noexcept {
  const ScopeState& s = state();
  // reason is stored before request_stop(), so a stopped source always has its reason.
  return s.source.stop_requested() ? s.reason.load() : CancelReason::none;
}

std::optional<clock::time_point> Scope::deadline() const noexcept {
  return state().deadline;
}

std::stop_token Scope::token() const noexcept {
  return state().source.get_token();
}

CancelRegistration Scope::on_cancel(std::function<void()> callback) const {
  return CancelRegistration(
      std::make_unique<CancelRegistration::Impl>(token(), std::move(callback)));
}

// ---- detail -------------------------------------------------------------------------------

namespace detail {

std::size_t child_count(const Scope& scope) {
  ScopeState& s = scope.state();
  std::lock_guard lock(s.mutex);
  return s.children.size();
}

std::size_t pending_deadlines() {
  return deadline_thread()->pending();
}

bool deadline_thread_running() {
  return deadline_thread()->running();
}

void stop_deadline_thread() {
  deadline_thread()->stop();
}

}  // namespace detail

}  // namespace sloe
