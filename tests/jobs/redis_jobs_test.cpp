// sloe::RedisJobQueue and sloe::Worker against a real redis-server that each test starts on a
// free port: a job written, consumed and acknowledged with its completion; a crashed consumer's
// job reclaimed and run once; dead letters after max_attempts; a duplicate acknowledged without
// running; Redis down (fail fast, fall back, reconnect); a graceful stop that gives jobs back.
// Tests wait on events (counters polled with a bound), never on durations: the visibility
// timeouts here are short because they are lower bounds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sloe/jobs/job_metrics.hpp>
#include <sloe/jobs/local_job_queue.hpp>
#include <sloe/jobs/redis_job_queue.hpp>
#include <sloe/jobs/worker.hpp>
#include <sloe/sloe.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../support/captured_log.hpp"
#include "../support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::ContextCopy;
using sloe::JobHandlers;
using sloe::RedisJobQueue;
using sloe::Worker;
using sloe::test::RedisReply;
using sloe::test::RedisServer;
using ::testing::HasSubstr;

// Polls `done` until it holds, for at most 10 s: the events these tests wait for come within
// milliseconds (plus a visibility timeout), so the bound only ends a broken test.
bool eventually(const std::function<bool()>& done) {
  auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(5ms);  // polling pace, not a synchronisation
  }
  return true;
}

sloe::RedisJobOptions redis_options(const RedisServer& redis) {
  auto wire = std::make_shared<sloe::WireFormat>();
  wire->key<int>("user_id");
  return {.port = redis.port(),
          .timeout = 500ms,
          .min_backoff = 10ms,
          .max_backoff = 50ms,
          .wire = wire};
}

sloe::WorkerOptions worker_options(const RedisServer& redis) {
  return {.redis = redis_options(redis),
          .consumer = "test",
          .concurrency = 1,
          .visibility_timeout = 200ms,
          .max_attempts = 3,
          .poll = 50ms,
          .shutdown_grace = 5s};
}

ContextCopy request(std::string request_id, std::string id = "7") {
  sloe::WireFormat wire;
  wire.key<int>("user_id");
  return wire.decode(sloe::json{{"v", 1},
                                {"method", "POST"},
                                {"path", "/orders/" + id},
                                {"route", "/orders/:id"},
                                {"params", sloe::json::array({sloe::json::array({"id", id})})},
                                {"request_id", request_id},
                                {"trace", {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}}},
                                {"keys", {{"user_id", 42}}}}
                         .dump());
}

long long integer(const RedisReply& reply) {
  return reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
}

// Entries delivered to the group and not acknowledged.
long long pending(const RedisServer& redis, const std::string& stream) {
  RedisReply reply = redis.command({"XPENDING", stream, "sloe-workers"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return -1;
  return reply->element[0]->integer;
}

// Counts the handler's runs.
struct Runs {
  std::mutex mutex;
  std::vector<std::string> seen;
  void add(const ContextCopy& job) {
    std::lock_guard lock(mutex);
    seen.push_back(std::string(job.request_id()) + " " + std::string(job.param("id")) + " " +
                   std::to_string(job.get<int>("user_id") ? *job.get<int>("user_id") : -1));
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
};

TEST(RedisJobs, EnqueuedJobIsConsumedAndAckedWithItsCompletion) {
  RedisServer redis;
  Runs runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  RedisJobQueue queue({.redis = redis_options(redis)});
  ASSERT_TRUE(queue.available());
  queue.enqueue("receipt", request("r-1"));
  ASSERT_TRUE(eventually([&] { return queue.stats().enqueued == 1; }));
  EXPECT_EQ(integer(redis.command({"XLEN", "sloe:jobs:receipt"})), 1);

  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().done == 1; }));
  EXPECT_EQ(runs.seen, (std::vector<std::string>{"r-1 7 42"}));
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 0);
  EXPECT_EQ(integer(redis.command({"EXISTS", "sloe:jobs:receipt:done:r-1"})), 1);
  worker.stop();
  EXPECT_EQ(worker.stats().failed, 0u);
  EXPECT_EQ(worker.stats().retried, 0u);

  sloe::MetricsRegistry registry;
  sloe::register_job_metrics(queue, registry);
  sloe::register_worker_metrics(worker, registry);
  std::string text = registry.text();
  EXPECT_THAT(text, HasSubstr("\nsloe_jobs_enqueued_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\nsloe_jobs_rejected_total 0\n"));
  EXPECT_THAT(text, HasSubstr("\nsloe_worker_jobs_done_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\nsloe_worker_jobs_dead_lettered_total 0\n"));
}

TEST(RedisJobs, OneWorkerConsumesEveryJobNameItHandles) {
  RedisServer redis;
  Runs receipts;
  Runs invoices;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { receipts.add(job); });
  handlers->handle("invoice", [&](ContextCopy& job) { invoices.add(job); });
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-1"));
  queue.enqueue("invoice", request("r-1"));
  ASSERT_TRUE(eventually([&] { return queue.stats().enqueued == 2; }));
  EXPECT_EQ(integer(redis.command({"XLEN", "sloe:jobs:invoice"})), 1);
  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().done == 2; }));
  EXPECT_EQ(receipts.count(), 1u);
  EXPECT_EQ(invoices.count(), 1u) << "the idempotency key is the job name and the request id";
  // One read may deliver a job of each name: both run at once, neither waits to be reclaimed.
  EXPECT_EQ(worker.stats().retried, 0u);
}

TEST(RedisJobs, ACrashedConsumersJobIsReclaimedAndRunOnce) {
  RedisServer redis;
  Runs runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-crash"));
  ASSERT_TRUE(eventually([&] { return queue.stats().enqueued == 1; }));
  // A consumer reads the job and dies without acknowledging it.
  redis.command({"XGROUP", "CREATE", "sloe:jobs:receipt", "sloe-workers", "0"});
  RedisReply read = redis.command({"XREADGROUP", "GROUP", "sloe-workers", "crashed", "COUNT", "1",
                                   "STREAMS", "sloe:jobs:receipt", ">"});
  ASSERT_TRUE(read && read->type == REDIS_REPLY_ARRAY);
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 1);

  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().done == 1; }));
  EXPECT_EQ(runs.count(), 1u);
  EXPECT_EQ(worker.stats().retried, 1u) << "the reclaim is the job's second delivery";
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 0);
}

TEST(RedisJobs, AJobFailingMaxAttemptsTimesIsDeadLettered) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  std::atomic<int> attempts{0};
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy&) {
    ++attempts;
    throw std::runtime_error("mail server down");
  });
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-dead"));
  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().dead_lettered == 1; }));
  EXPECT_EQ(attempts.load(), 3);
  EXPECT_EQ(worker.stats().failed, 3u);
  EXPECT_EQ(worker.stats().retried, 2u);
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 0);
  RedisReply dead = redis.command({"XRANGE", "sloe:jobs:receipt:dead", "-", "+"});
  ASSERT_TRUE(dead && dead->type == REDIS_REPLY_ARRAY && dead->elements == 1);
  std::vector<std::string> fields;
  const redisReply* pairs = dead->element[0]->element[1];
  for (std::size_t i = 0; i < pairs->elements; ++i) fields.emplace_back(pairs->element[i]->str);
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"request_id", "r-dead", "reason",
                                               "failed 3 attempts", "attempts", "4"}));
  EXPECT_THAT(log.text(), HasSubstr("request_id=r-dead trace_id=4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_THAT(log.text(), HasSubstr("job receipt (attempt 3) failed: mail server down"));
}

TEST(RedisJobs, ADuplicateDeliveryIsAckedWithoutRunningAgain) {
  RedisServer redis;
  Runs runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  RedisJobQueue queue({.redis = redis_options(redis)});
  // The same request handed over twice (a client retry, a producer that resent): one request id.
  queue.enqueue("receipt", request("r-twice"));
  queue.enqueue("receipt", request("r-twice"));
  ASSERT_TRUE(eventually([&] { return queue.stats().enqueued == 2; }));
  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().done + worker.stats().duplicates == 2; }));
  EXPECT_EQ(runs.count(), 1u);
  EXPECT_EQ(worker.stats().done, 1u);
  EXPECT_EQ(worker.stats().duplicates, 1u);
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 0);
}

TEST(RedisJobs, AJobPastItsDeadlineIsDeadLetteredWithoutRunning) {
  RedisServer redis;
  Runs runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-late").with_timeout(-1s));
  Worker worker(handlers, worker_options(redis));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().dead_lettered == 1; }));
  EXPECT_EQ(runs.count(), 0u);
  RedisReply dead = redis.command({"XRANGE", "sloe:jobs:receipt:dead", "-", "+"});
  ASSERT_TRUE(dead && dead->type == REDIS_REPLY_ARRAY && dead->elements == 1);
}

TEST(RedisJobs, RedisDownFailsFastOrFallsBackThenReconnects) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  Runs local_runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { local_runs.add(job); });
  sloe::TaskPool pool({.threads = 1});
  sloe::LocalJobQueue local(pool, handlers);
  RedisJobQueue queue({.redis = redis_options(redis), .fallback = &local});
  ASSERT_TRUE(queue.available());

  redis.stop();
  // Accepted while Redis still counted as up; the failed write shows it is down, and the job
  // waits for it (max_wait) instead of being lost.
  queue.enqueue("receipt", request("r-wait"));
  ASSERT_TRUE(eventually([&] { return !queue.available(); }));
  try {
    queue.enqueue("receipt", request("r-fast"));
    FAIL() << "a job was taken while Redis is down";
  } catch (const sloe::JobQueueUnavailable& e) {
    EXPECT_THAT(e.what(), HasSubstr("the job \"receipt\" of request r-fast was not queued"));
    EXPECT_THAT(e.what(), HasSubstr("Redis is unavailable"));
  }
  queue.enqueue("receipt", request("r-local"), {.when_unavailable = sloe::WhenUnavailable::local});
  ASSERT_TRUE(eventually([&] { return local_runs.count() == 1; }));
  EXPECT_EQ(local_runs.seen[0], "r-local 7 42");
  EXPECT_EQ(queue.stats().rejected, 1u);
  EXPECT_EQ(queue.stats().fell_back, 1u);
  EXPECT_THAT(log.text(), HasSubstr("is unavailable"));

  redis.start();  // the same port, empty
  ASSERT_TRUE(eventually([&] { return queue.available(); }));
  ASSERT_TRUE(eventually([&] { return queue.stats().enqueued == 1; }));
  RedisReply written = redis.command({"XRANGE", "sloe:jobs:receipt", "-", "+"});
  ASSERT_TRUE(written && written->type == REDIS_REPLY_ARRAY && written->elements == 1);
  EXPECT_EQ(queue.stats().reconnects, 1u);
  EXPECT_EQ(queue.stats().lost, 0u);
  EXPECT_THAT(log.text(), HasSubstr("is reachable again"));
}

// Redis stalls (CLIENT PAUSE) with a long call timeout: the writer waits on its first job, and
// enqueue() neither waits with it nor piles jobs up past max_queued.
TEST(RedisJobs, AStalledRedisNeverHoldsTheCaller) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  Runs local_runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { local_runs.add(job); });
  sloe::TaskPool pool({.threads = 1});
  sloe::LocalJobQueue local(pool, handlers);
  sloe::RedisJobOptions slow = redis_options(redis);
  slow.timeout = 30s;  // the writer never gives up first
  RedisJobQueue queue({.redis = slow, .max_queued = 1, .fallback = &local});
  ASSERT_TRUE(queue.available());
  ASSERT_TRUE(redis.command({"CLIENT", "PAUSE", "60000", "ALL"}));

  queue.enqueue("receipt", request("r-stuck"));  // returns: the writer waits, not the caller
  try {
    queue.enqueue("receipt", request("r-full"));
    FAIL() << "a second job was queued behind a stalled Redis";
  } catch (const sloe::JobQueueUnavailable& e) {
    EXPECT_THAT(e.what(), HasSubstr("1 jobs already wait for Redis"));
  }
  queue.enqueue("receipt", request("r-local"), {.when_unavailable = sloe::WhenUnavailable::local});
  ASSERT_TRUE(eventually([&] { return local_runs.count() == 1; }));
  EXPECT_EQ(local_runs.seen[0], "r-local 7 42");
  redis.stop();  // the writer's call, blocked on the paused Redis, lets go at once
}

TEST(RedisJobs, TheWorkerReconnectsAfterRedisRestarts) {
  sloe::test::CapturedLog log;
  RedisServer redis;
  Runs runs;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  Worker worker(handlers, worker_options(redis));
  worker.start();
  {
    RedisJobQueue queue({.redis = redis_options(redis)});
    queue.enqueue("receipt", request("r-before"));
    ASSERT_TRUE(eventually([&] { return worker.stats().done == 1; }));
  }
  redis.stop();
  redis.start();  // empty: the stream and its group are gone too
  ASSERT_TRUE(eventually([&] { return worker.stats().reconnects >= 1; }));
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-after"));
  ASSERT_TRUE(eventually([&] { return worker.stats().done == 2; }));
  EXPECT_EQ(runs.seen, (std::vector<std::string>{"r-before 7 42", "r-after 7 42"}));
  EXPECT_THAT(log.text(), HasSubstr("sloe: worker: Redis at 127.0.0.1:"));
  EXPECT_THAT(log.text(), HasSubstr("is reachable again"));
}

TEST(RedisJobs, StopGivesBackARunningJobThatAnotherWorkerThenRuns) {
  RedisServer redis;
  std::atomic<bool> started{false};
  auto slow = std::make_shared<JobHandlers>();
  // Runs until its scope ends: stop() must cancel it after the grace period.
  slow->handle("receipt", [&](ContextCopy& job) {
    started = true;
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait(lock, job.scope().token(), [] { return false; });
  });
  RedisJobQueue queue({.redis = redis_options(redis)});
  queue.enqueue("receipt", request("r-back"));
  // A visibility timeout longer than the test's bound: the second worker gets the job only
  // because the first one gave it back, not because the timeout passed.
  {
    sloe::WorkerOptions options = worker_options(redis);
    options.visibility_timeout = 1h;
    options.shutdown_grace = 50ms;
    Worker worker(slow, options);
    worker.start();
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    worker.stop();
    EXPECT_EQ(worker.stats().given_back, 1u);
    EXPECT_EQ(worker.stats().done, 0u);
  }
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 1) << "given back: still pending, not lost";

  Runs runs;
  auto fast = std::make_shared<JobHandlers>();
  fast->handle("receipt", [&](ContextCopy& job) { runs.add(job); });
  sloe::WorkerOptions options = worker_options(redis);
  options.visibility_timeout = 1h;
  options.consumer = "second";
  Worker second(fast, options);
  second.start();
  ASSERT_TRUE(eventually([&] { return second.stats().done == 1; }));
  EXPECT_EQ(runs.seen, (std::vector<std::string>{"r-back 7 42"}));
  EXPECT_EQ(second.stats().retried, 1u) << "its second delivery: giving back is no attempt";
  EXPECT_EQ(pending(redis, "sloe:jobs:receipt"), 0);
}

TEST(RedisJobs, RunStopsOnSigterm) {
  RedisServer redis;
  auto handlers = std::make_shared<JobHandlers>();
  handlers->handle("receipt", [](ContextCopy&) {});
  Worker worker(handlers, worker_options(redis));
  std::atomic<pthread_t> runner{};
  std::atomic<bool> returned{false};
  std::thread thread([&] {
    runner = pthread_self();
    worker.run();
    returned = true;
  });
  // run() blocks SIGTERM before it waits for it, and a blocked signal stays pending: sending it
  // once the consumer is connected (the group exists) reaches the wait.
  ASSERT_TRUE(eventually([&] {
    RedisReply groups = redis.command({"XINFO", "GROUPS", "sloe:jobs:receipt"});
    return groups && groups->type == REDIS_REPLY_ARRAY && groups->elements == 1;
  }));
  pthread_kill(runner.load(), SIGTERM);
  thread.join();
  EXPECT_TRUE(returned.load());
}

}  // namespace
