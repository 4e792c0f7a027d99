// TaskPool: workers share a TaskPoolCore (queue, per-worker slots, counters) through a
// shared_ptr, so a worker stuck in an abandoned task can be detached and still return safely
// after the TaskPool object is gone.

#include "sloe/async/task_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sloe/log_escape.hpp"

namespace sloe {

using clock = TaskPool::clock;

namespace detail {

struct TaskPoolCore {
  struct Task {
    TaskInfo info;
    Scope scope;  // the task's own child scope; drain() cancels it
    TaskFunction fn;
    clock::time_point spawned_at;
  };
  // A worker's current task; `task` lives on the worker's stack while the slot is set.
  struct Slot {
    Task* task = nullptr;
    bool cancelled_by_drain = false;
  };

  explicit TaskPoolCore(const TaskPoolOptions& options)
      : queue_limit(options.queue_limit), slots(options.threads) {}

  void work(std::size_t index);

  const std::size_t queue_limit;

  std::mutex mutex;                 // guards everything below but the counters
  std::condition_variable work_cv;  // workers: a task is queued, or the pool closed
  std::condition_variable idle_cv;  // drain(): a task returned
  std::deque<Task> queue;
  std::vector<Slot> slots;  // one per worker
  std::size_t active = 0;   // slots with a task
  bool closed = false;      // drain() started
  // From begin_shutdown() until drain() ends, every task that returns is counted in
  // report_finished or report_cut; what is left when drain() ends is dropped or abandoned.
  // Tasks that returned before it are not the shutdown's business; tasks returning after it
  // were already counted as abandoned.
  bool counting = false;
  bool drain_done = false;                 // drain() returned
  std::size_t report_finished = 0;         // returned with their scope intact
  std::vector<UnfinishedTask> report_cut;  // returned with their scope cancelled

  std::mutex drain_mutex;  // serializes drain() calls
  bool drained = false;    // guarded by drain_mutex

  std::atomic<std::uint64_t> spawned{0}, running{0}, queued{0}, finished{0}, failed{0}, rejected{0},
      cancelled{0};
};

namespace {

// Runs one task; returns false when it threw (logged here, with who spawned it).
bool run_task(TaskPoolCore::Task& task) {
  const TaskInfo& info = task.info;
  // The ids tie the line to the request's access line and spans.
  auto log_failure = [&](std::string_view what) {
    spdlog::error("sloe: background task failed: request_id={} {} {}{}{}{}{}: {}",
                  log_escaped(info.request_id), log_escaped(info.method), log_escaped(info.path),
                  info.trace_id.empty() ? "" : " trace_id=", log_escaped(info.trace_id),
                  info.span_id.empty() ? "" : " span_id=", log_escaped(info.span_id),
                  log_escaped(what));
  };
  try {
    task.fn(task.scope);
    return true;
  } catch (const std::exception& e) {
    log_failure(e.what());
  } catch (...) {
    log_failure("unknown exception (not derived from std::exception)");
  }
  return false;
}

long long millis(clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

void TaskPoolCore::work(std::size_t index) {
  for (;;) {
    std::optional<Task> task;
    {
      std::unique_lock lock(mutex);
      work_cv.wait(lock, [&] { return !queue.empty() || closed; });
      if (queue.empty()) return;  // closed and nothing left
      task.emplace(std::move(queue.front()));
      queue.pop_front();
      slots[index] = Slot{&*task, false};
      ++active;
      queued.fetch_sub(1);
      running.fetch_add(1);
    }
    bool ok = run_task(*task);
    {
      std::lock_guard lock(mutex);
      running.fetch_sub(1);
      finished.fetch_add(1);
      if (!ok) failed.fetch_add(1);
      // An abandoned task returning after drain() is neither counted again nor logged: by then
      // the process may be tearing down its loggers.
      if (counting && !drain_done) {
        // Whoever cancelled the scope (drain(), the engine's lifetime reaching it through the
        // pool's scope, a deadline), the task was cut short rather than done.
        if (slots[index].cancelled_by_drain || task->scope.cancelled()) {
          report_cut.push_back(
              {task->info, UnfinishedTask::Fate::cancelled, clock::now() - task->spawned_at});
          cancelled.fetch_add(1);
        } else {
          ++report_finished;
        }
      }
      slots[index] = Slot{};
      --active;
    }
    idle_cv.notify_all();
    // `task` (its callable and scope) is destroyed here, outside the lock.
  }
}

}  // namespace detail

std::string_view to_string(UnfinishedTask::Fate fate) noexcept {
  switch (fate) {
    case UnfinishedTask::Fate::dropped:
      return "dropped";
    case UnfinishedTask::Fate::cancelled:
      return "cancelled";
    case UnfinishedTask::Fate::abandoned:
      return "abandoned";
  }
  return "unknown";
}

TaskPool::TaskPool(TaskPoolOptions options, Scope parent)
    : options_(options), parent_(std::move(parent)) {
  if (options_.threads == 0) {
    throw std::invalid_argument("sloe: TaskPoolOptions::threads must be at least 1");
  }
  if (options_.queue_limit == 0) {
    throw std::invalid_argument(
        "sloe: TaskPoolOptions::queue_limit must be at least 1 (it counts waiting tasks)");
  }
  core_ = std::make_shared<detail::TaskPoolCore>(options_);
  workers_.reserve(options_.threads);
  try {
    for (std::size_t i = 0; i < options_.threads; ++i) {
      workers_.emplace_back([core = core_, i] { core->work(i); });
    }
  } catch (...) {
    drain(clock::duration::zero(), clock::duration::zero());
    throw;
  }
}

TaskPool::~TaskPool() {
  drain(options_.shutdown_grace, options_.shutdown_cancel_wait);
}

TaskPoolStats TaskPool::stats() const {
  const auto& c = *core_;
  return TaskPoolStats{c.spawned.load(), c.running.load(),  c.queued.load(),   c.finished.load(),
                       c.failed.load(),  c.rejected.load(), c.cancelled.load()};
}

void TaskPool::enqueue(TaskInfo info, Scope scope, detail::TaskFunction fn) {
  detail::TaskPoolCore& core = *core_;
  Scope task_scope = scope.with_cancel();
  {
    std::lock_guard lock(core.mutex);
    if (core.closed) {
      core.rejected.fetch_add(1);
      throw TaskPoolClosed(fmt::format(
          "sloe: TaskPool is draining (shutdown) and accepts no new tasks; the task for "
          "request_id={} {} {} was not run. Do the work inline or hand it to a durable queue.",
          info.request_id, info.method, info.path));
    }
    if (core.queue.size() >= core.queue_limit) {
      core.rejected.fetch_add(1);
      throw TaskQueueFull(fmt::format(
          "sloe: TaskPool queue is full ({} tasks waiting = TaskPoolOptions::queue_limit); the "
          "task for request_id={} {} {} was not run. Raise TaskPoolOptions::queue_limit (or "
          "threads) or shed load, e.g. answer 503 before spawning.",
          core.queue_limit, info.request_id, info.method, info.path));
    }
    core.queue.push_back({std::move(info), std::move(task_scope), std::move(fn), clock::now()});
    core.spawned.fetch_add(1);
    core.queued.fetch_add(1);
  }
  core.work_cv.notify_one();
}

void TaskPool::begin_shutdown() {
  std::lock_guard lock(core_->mutex);
  core_->counting = true;
}

DrainReport TaskPool::drain(clock::duration grace, clock::duration cancel_wait) {
  detail::TaskPoolCore& core = *core_;
  std::lock_guard drain_lock(core.drain_mutex);
  DrainReport report;
  if (core.drained) return report;
  core.drained = true;

  std::unique_lock lock(core.mutex);
  core.counting = true;
  core.closed = true;
  core.work_cv.notify_all();
  auto idle = [&] { return core.queue.empty() && core.active == 0; };
  core.idle_cv.wait_until(lock, clock::now() + grace, idle);

  // Past the grace period: cancel what is left, running and queued.
  std::deque<detail::TaskPoolCore::Task> dropped;
  std::vector<Scope> to_cancel;
  if (!idle()) {
    dropped.swap(core.queue);
    core.queued.fetch_sub(dropped.size());
    for (auto& slot : core.slots) {
      if (slot.task == nullptr) continue;
      slot.cancelled_by_drain = true;
      to_cancel.push_back(slot.task->scope);
    }
    core.cancelled.fetch_add(dropped.size());
    lock.unlock();
    // Outside the lock: cancellation runs the tasks' on_cancel callbacks.
    for (auto& scope : to_cancel) scope.cancel();
    auto now = clock::now();
    for (auto& task : dropped) {
      task.scope.cancel();
      report.unfinished.push_back(
          {std::move(task.info), UnfinishedTask::Fate::dropped, now - task.spawned_at});
    }
    dropped.clear();  // destroys the callables outside the lock
    lock.lock();
    core.idle_cv.wait_until(lock, clock::now() + cancel_wait, [&] { return core.active == 0; });
  }

  // Whatever still runs now is abandoned; its worker is detached below.
  std::vector<bool> stuck(core.slots.size(), false);
  auto now = clock::now();
  for (std::size_t i = 0; i < core.slots.size(); ++i) {
    if (auto* task = core.slots[i].task) {
      stuck[i] = true;
      report.unfinished.push_back(
          {task->info, UnfinishedTask::Fate::abandoned, now - task->spawned_at});
      ++report.abandoned;
    }
  }
  core.cancelled.fetch_add(report.abandoned);
  report.finished = core.report_finished;
  for (auto& cut : core.report_cut) report.unfinished.push_back(std::move(cut));
  core.report_cut.clear();
  core.drain_done = true;
  lock.unlock();

  report.cancelled = report.unfinished.size() - report.abandoned;
  for (const auto& task : report.unfinished) {
    spdlog::warn("sloe: background task {} at shutdown: request_id={} {} {} (age {} ms)",
                 to_string(task.fate), log_escaped(task.info.request_id),
                 log_escaped(task.info.method), log_escaped(task.info.path),
                 detail::millis(task.age));
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (!workers_[i].joinable()) continue;
    if (i < stuck.size() && stuck[i]) {
      workers_[i].detach();  // it owns a reference to core_ and exits when its task returns
    } else {
      workers_[i].join();
    }
  }
  return report;
}

}  // namespace sloe
