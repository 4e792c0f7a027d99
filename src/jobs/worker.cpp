#include "sloe/jobs/worker.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobs/redis_connection.hpp"
#include "jobs/run_job.hpp"

namespace sloe {

namespace {

using detail::RedisConnection;
using detail::RedisReply;
using detail::reply_text;

// Records the completion and acknowledges in one step, so a job is never acknowledged without
// its completion, nor recorded done twice: returns 1 when this call recorded it, 0 when it was
// recorded before (the handler's success is counted once).
constexpr std::string_view kAckDoneScript = R"lua(
local first = redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if first then return 1 end
return 0
)lua";

// Moves a job to its dead-letter stream and acknowledges it in one step: never both lost and
// kept pending, never dead-lettered twice.
constexpr std::string_view kDeadLetterScript = R"lua(
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'request_id', ARGV[4],
           'payload', ARGV[5], 'reason', ARGV[6], 'attempts', ARGV[7], 'entry', ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// One delivered stream entry.
struct Entry {
  std::string job;
  std::string stream;
  std::string id;
  std::string request_id;
  std::string payload;
};

// An entry of an XREADGROUP or XAUTOCLAIM reply: [id, [field, value, ...]].
std::optional<Entry> parse_entry(const redisReply* entry, std::string stream, std::string job) {
  if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) {
    return std::nullopt;
  }
  Entry out{std::move(job), std::move(stream), std::string(reply_text(entry->element[0])), {}, {}};
  const redisReply* fields = entry->element[1];
  if (fields != nullptr && fields->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
      std::string_view name = reply_text(fields->element[i]);
      if (name == "request_id") out.request_id = reply_text(fields->element[i + 1]);
      if (name == "payload") out.payload = reply_text(fields->element[i + 1]);
    }
  }
  return out;
}

std::string default_consumer() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}-{}", host[0] ? host : "worker", ::getpid());
}

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

struct detail::WorkerCore {
  WorkerCore(std::shared_ptr<const JobHandlers> h, WorkerOptions o)
      : handlers(std::move(h)),
        options(std::move(o)),
        wire(options.redis.wire ? options.redis.wire : std::make_shared<const WireFormat>()),
        lifetime(Scope::background().with_cancel()) {
    if (!handlers || handlers->names().empty()) {
      throw std::invalid_argument("sloe: a Worker needs JobHandlers with at least one job");
    }
    if (options.concurrency == 0) {
      throw std::invalid_argument("sloe: WorkerOptions::concurrency must be at least 1");
    }
    if (options.consumer.empty()) options.consumer = default_consumer();
    for (const std::string& job : handlers->names()) {
      streams.emplace_back(options.redis.key_prefix + job, job);
    }
  }

  const std::shared_ptr<const JobHandlers> handlers;
  WorkerOptions options;
  const std::shared_ptr<const WireFormat> wire;
  const Scope lifetime;
  std::vector<std::pair<std::string, std::string>> streams;  // stream key, job name

  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;     // stopping set: ends backoff waits
  std::condition_variable stopped;  // a consumer thread ended
  std::size_t active = 0;
  bool started = false;
  bool stop_called = false;
  std::vector<std::thread> threads;

  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> given_back{0};
  std::atomic<std::uint64_t> reconnects{0};
};

namespace {

// One consumer thread: its own connection, one job at a time.
class Consumer {
 public:
  Consumer(detail::WorkerCore& core, std::size_t index)
      : core_(core),
        options_(core.options),
        name_(fmt::format("{}-{}", options_.consumer, index)),
        redis_("worker", options_.redis.host, options_.redis.port, options_.redis.timeout,
               options_.redis.timeout + options_.poll, options_.redis.min_backoff,
               options_.redis.max_backoff),
        poll_ms_(std::to_string(options_.poll.count())),
        visibility_ms_(std::to_string(options_.visibility_timeout.count())) {}

  void run() {
    while (!core_.stopping.load()) {
      if (!ready()) continue;
      std::vector<Entry> entries = claim();
      if (entries.empty() && redis_.connected()) entries = read();
      for (const Entry& entry : entries) {
        if (core_.stopping.load()) {
          give_back(entry);  // read but not started
          continue;
        }
        process(entry);
      }
    }
  }

 private:
  // Connected with the groups in place, or false after waiting out the backoff.
  bool ready() {
    if (!redis_.connected()) groups_ready_ = false;
    bool up = redis_.ready();
    if (std::uint64_t made = redis_.reconnects(); made > reconnects_seen_) {
      core_.reconnects.fetch_add(made - reconnects_seen_);
      reconnects_seen_ = made;
    }
    if (up && !groups_ready_) up = create_groups();
    if (!up) {
      std::unique_lock lock(core_.mutex);
      core_.wake.wait_until(lock, redis_.retry_at(), [&] { return core_.stopping.load(); });
    }
    return up;
  }

  // From "0": jobs written before any worker of the group ran are not skipped.
  bool create_groups() {
    for (const auto& [stream, job] : core_.streams) {
      RedisReply reply = redis_.call({"XGROUP", "CREATE", stream, options_.group, "0", "MKSTREAM"});
      if (!reply) return false;
      if (reply->type == REDIS_REPLY_ERROR && !reply_text(reply.get()).starts_with("BUSYGROUP")) {
        redis_.went_down(fmt::format("XGROUP CREATE {}: {}", stream, reply_text(reply.get())));
        return false;
      }
    }
    groups_ready_ = true;
    return true;
  }

  // A job left unacknowledged past the visibility timeout, by anyone (a crashed worker, a failed
  // attempt): each stream in turn, resuming its scan where the last one ended.
  std::vector<Entry> claim() {
    for (const auto& [stream, job] : core_.streams) {
      std::string& cursor = cursors_.try_emplace(stream, "0-0").first->second;
      RedisReply reply = redis_.call(
          {"XAUTOCLAIM", stream, options_.group, name_, visibility_ms_, cursor, "COUNT", "1"});
      if (!reply) return {};
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) continue;
      cursor = reply_text(reply->element[0]);
      const redisReply* entries = reply->element[1];
      if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) continue;
      if (auto entry = parse_entry(entries->element[0], stream, job)) return {std::move(*entry)};
    }
    return {};
  }

  // COUNT is per stream: up to one entry of each job name, all delivered to this consumer now,
  // so all are processed (or given back) before the next read.
  std::vector<Entry> read() {
    std::vector<std::string_view> command{"XREADGROUP", "GROUP", options_.group, name_,    "COUNT",
                                          "1",          "BLOCK", poll_ms_,       "STREAMS"};
    for (const auto& stream : core_.streams) command.push_back(stream.first);
    for (std::size_t i = 0; i < core_.streams.size(); ++i) command.push_back(">");
    RedisReply reply = redis_.call(command);
    if (!reply) return {};
    if (reply->type == REDIS_REPLY_ERROR) {
      // NOGROUP: the stream was deleted under us; recreate the groups on the next round.
      redis_.went_down(fmt::format("XREADGROUP: {}", reply_text(reply.get())));
      return {};
    }
    std::vector<Entry> read;
    if (reply->type != REDIS_REPLY_ARRAY) return read;  // nil: nothing within poll
    for (std::size_t s = 0; s < reply->elements; ++s) {
      const redisReply* stream = reply->element[s];
      if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
      std::string key(reply_text(stream->element[0]));
      const redisReply* entries = stream->element[1];
      if (entries->type != REDIS_REPLY_ARRAY) continue;
      for (const auto& [known, job] : core_.streams) {
        if (known != key) continue;
        for (std::size_t e = 0; e < entries->elements; ++e) {
          if (auto entry = parse_entry(entries->element[e], key, job)) {
            read.push_back(std::move(*entry));
          }
        }
      }
    }
    return read;
  }

  // How many times Redis has delivered the entry, this delivery included.
  std::optional<std::uint64_t> deliveries(const Entry& entry) {
    RedisReply reply =
        redis_.call({"XPENDING", entry.stream, options_.group, entry.id, entry.id, "1"});
    if (!reply) return std::nullopt;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return 1;
    const redisReply* pending = reply->element[0];
    if (pending->type != REDIS_REPLY_ARRAY || pending->elements < 4) return 1;
    return static_cast<std::uint64_t>(pending->element[3]->integer);
  }

  void process(const Entry& entry) {
    const std::string done_key = fmt::format(
        "{}:done:{}", entry.stream, entry.request_id.empty() ? entry.id : entry.request_id);
    RedisReply recorded = redis_.call({"EXISTS", done_key});
    if (!recorded) return;  // still pending: claimed again once Redis is back
    if (recorded->type == REDIS_REPLY_INTEGER && recorded->integer == 1) {
      if (ack_done(entry, done_key) == 0) {
        core_.duplicates.fetch_add(1);
        spdlog::info("sloe: worker: job {} {} of request {} was done before: acknowledged, not run",
                     entry.job, entry.id, entry.request_id);
      }
      return;
    }
    std::optional<std::uint64_t> attempt = deliveries(entry);
    if (!attempt) return;
    if (*attempt > options_.max_attempts) {
      dead_letter(entry, *attempt, fmt::format("failed {} attempts", options_.max_attempts));
      return;
    }
    if (*attempt > 1) core_.retried.fetch_add(1);

    std::optional<ContextCopy> job;
    try {
      job = core_.wire->decode(entry.payload, core_.lifetime);
    } catch (const WireFormatError& e) {
      dead_letter(entry, *attempt, e.what());
      return;
    }
    if (job->scope().reason() == CancelReason::deadline_exceeded) {
      dead_letter(entry, *attempt, "its deadline passed before it ran");
      return;
    }
    const JobHandler* handler = core_.handlers->find(entry.job);
    switch (detail::run_job(entry.job, *handler, *job, *attempt)) {
      case detail::JobOutcome::done: {
        int recorded_now = ack_done(entry, done_key);
        if (recorded_now == 1) core_.done.fetch_add(1);
        if (recorded_now == 0) core_.duplicates.fetch_add(1);
        if (recorded_now < 0) {
          job->warn(
              "sloe: worker: job {} {} done, but its completion was not recorded ({}): it "
              "will run again",
              entry.job, entry.id, "Redis did not answer");
        }
        break;
      }
      case detail::JobOutcome::failed:
        core_.failed.fetch_add(1);
        break;
      case detail::JobOutcome::cut:
        if (core_.lifetime.cancelled()) {
          give_back(entry);
        } else {
          core_.failed.fetch_add(1);
        }
        break;
    }
  }

  // At shutdown: the entry stays pending, marked idle for a whole visibility timeout, so that
  // the next XAUTOCLAIM of another worker takes it at once instead of after the timeout. JUSTID
  // keeps the delivery count: giving a job back is not an attempt. Should Redis not answer, the
  // entry is still pending and is claimed after the timeout.
  void give_back(const Entry& entry) {
    redis_.call({"XCLAIM", entry.stream, options_.group, name_, "0", entry.id, "IDLE",
                 visibility_ms_, "JUSTID"});
    core_.given_back.fetch_add(1);
    spdlog::info("sloe: worker: job {} {} of request {} given back at shutdown", entry.job,
                 entry.id, entry.request_id);
  }

  // 1: completion recorded now; 0: recorded before; -1: Redis did not answer.
  int ack_done(const Entry& entry, const std::string& done_key) {
    const std::string ttl = std::to_string(options_.done_ttl.count());
    RedisReply reply = redis_.call(
        {"EVAL", kAckDoneScript, "2", entry.stream, done_key, options_.group, entry.id, ttl});
    if (!reply) return -1;
    if (reply->type != REDIS_REPLY_INTEGER) {
      spdlog::error("sloe: worker: recording job {} {} done failed: {}", entry.job, entry.id,
                    reply_text(reply.get()));
      return -1;
    }
    return static_cast<int>(reply->integer);
  }

  void dead_letter(const Entry& entry, std::uint64_t attempts, std::string_view reason) {
    const std::string dead = entry.stream + ":dead";
    const std::string max_len = std::to_string(options_.dead_letter_max_len);
    const std::string attempts_text = std::to_string(attempts);
    RedisReply reply =
        redis_.call({"EVAL", kDeadLetterScript, "2", entry.stream, dead, options_.group, entry.id,
                     max_len, entry.request_id, entry.payload, reason, attempts_text});
    if (!reply || reply->type == REDIS_REPLY_ERROR) return;  // still pending: tried again later
    core_.dead_lettered.fetch_add(1);
    spdlog::warn("sloe: worker: job {} {} of request {} moved to {}: {}", entry.job, entry.id,
                 entry.request_id, dead, reason);
  }

  detail::WorkerCore& core_;
  const WorkerOptions& options_;
  const std::string name_;
  RedisConnection redis_;
  const std::string poll_ms_;
  const std::string visibility_ms_;
  bool groups_ready_ = false;
  std::uint64_t reconnects_seen_ = 0;
  std::map<std::string, std::string> cursors_;
};

}  // namespace

Worker::Worker(std::shared_ptr<const JobHandlers> handlers, WorkerOptions options)
    : core_(std::make_shared<detail::WorkerCore>(std::move(handlers), std::move(options))) {}

Worker::~Worker() {
  stop();
}

void Worker::start() {
  std::lock_guard lock(core_->mutex);
  if (core_->started || core_->stop_called) return;
  core_->started = true;
  for (std::size_t i = 0; i < core_->options.concurrency; ++i) {
    ++core_->active;
    core_->threads.emplace_back([core = core_, i] {
      // SIGINT and SIGTERM are for run()'s thread.
      sigset_t signals = stop_signals();
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
      try {
        Consumer(*core, i).run();
      } catch (const std::exception& e) {
        spdlog::error("sloe: worker: consumer {} stopped: {}", i, e.what());
      }
      std::lock_guard done(core->mutex);
      --core->active;
      core->stopped.notify_all();
    });
  }
}

void Worker::run() {
  sigset_t signals = stop_signals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  start();
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("sloe: worker: signal {} received, stopping", signal);
  stop();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void Worker::stop() {
  std::vector<std::thread> threads;
  {
    std::unique_lock lock(core_->mutex);
    if (core_->stop_called) return;
    core_->stop_called = true;
    core_->stopping.store(true);
    core_->wake.notify_all();
    if (!core_->stopped.wait_for(lock, core_->options.shutdown_grace,
                                 [&] { return core_->active == 0; })) {
      lock.unlock();
      spdlog::warn("sloe: worker: jobs still running after the shutdown grace: cancelling them");
      core_->lifetime.cancel();
      lock.lock();
    }
    threads = std::move(core_->threads);
  }
  for (std::thread& thread : threads) thread.join();
}

WorkerStats Worker::stats() const {
  WorkerStats stats;
  stats.done = core_->done.load();
  stats.failed = core_->failed.load();
  stats.retried = core_->retried.load();
  stats.dead_lettered = core_->dead_lettered.load();
  stats.duplicates = core_->duplicates.load();
  stats.given_back = core_->given_back.load();
  stats.reconnects = core_->reconnects.load();
  return stats;
}

const Scope& Worker::lifetime() const {
  return core_->lifetime;
}

}  // namespace sloe
