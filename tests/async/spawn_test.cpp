// Background work started from handlers: app.spawn(c.copy(), ...), request ids that follow the
// work into its logs, scopes that outlive the response, and the drain at shutdown.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include "../support/captured_log.hpp"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "../support/raw_socket.hpp"

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::ContextCopy;
using sloe::testing::Client;

using sloe::test::CapturedLog;

TEST(RequestId, SaneClientIdsAreKeptOthersAreGenerated) {
  sloe::Engine app;
  app.get("/", [](Context& c) { c.string(200, c.request_id()); });
  Client client(app);

  auto kept = client.get("/", {{"X-Request-ID", "abc-123_x.y"}});
  EXPECT_EQ(kept.body, "abc-123_x.y");
  EXPECT_EQ(kept.header("X-Request-ID"), "abc-123_x.y");

  for (const char* insane : {"has space", "semi;colon", "\"quoted\""}) {
    SCOPED_TRACE(insane);
    auto r = client.get("/", {{"X-Request-ID", insane}});
    EXPECT_EQ(r.body.size(), 32u);
    EXPECT_EQ(r.header("X-Request-ID"), r.body);
  }
  auto too_long = client.get("/", {{"X-Request-ID", std::string(129, 'a')}});
  EXPECT_EQ(too_long.body.size(), 32u);

  auto first = client.get("/");
  auto second = client.get("/");
  EXPECT_EQ(first.body.size(), 32u);
  EXPECT_NE(first.body, second.body);
}

TEST(RequestId, HeaderNameGeneratorAndTrustAreOptions) {
  sloe::EngineOptions options;
  options.request_id.header = "X-Correlation-ID";
  options.request_id.trust_incoming = false;
  std::atomic<int> made{0};
  options.request_id.generate = [&made] { return "id-" + std::to_string(++made); };
  sloe::Engine app(options);
  app.get("/", [](Context& c) { c.string(200, c.request_id()); });
  app.get("/boom", [](Context&) -> void { throw std::runtime_error("boom"); });
  Client client(app);

  auto r = client.get("/", {{"X-Correlation-ID", "from-the-client"}});
  EXPECT_EQ(r.body, "id-1");  // an edge service does not reuse ids clients pick
  EXPECT_EQ(r.header("X-Correlation-ID"), "id-1");
  EXPECT_EQ(r.header("X-Request-ID"), "");
  // The 500 that replaces what a handler wrote still names the request.
  auto failed = client.get("/boom");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.header("X-Correlation-ID"), "id-2");
}

TEST(RequestId, TrustedIncomingIdsUseTheConfiguredHeaderAndInsaneGeneratedIdsAreReplaced) {
  sloe::EngineOptions options;
  options.request_id.header = "X-Correlation-ID";
  options.request_id.generate = [] { return std::string("line\nbreak"); };
  sloe::Engine app(options);
  app.get("/", [](Context& c) { c.string(200, c.request_id()); });
  Client client(app);
  EXPECT_EQ(client.get("/", {{"X-Correlation-ID", "upstream-7"}}).body, "upstream-7");
  // X-Request-ID is an ordinary header now.
  auto r = client.get("/", {{"X-Request-ID", "ignored"}});
  EXPECT_EQ(r.body.size(), 32u) << r.body;
  EXPECT_EQ(r.header("X-Correlation-ID"), r.body);
}

TEST(RequestId, AHeaderNameThatIsNotATokenIsRefusedAtConstruction) {
  sloe::EngineOptions options;
  options.request_id.header = "X Request Id";
  try {
    sloe::Engine app(options);
    FAIL() << "constructed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("request_id.header"), std::string::npos) << e.what();
  }
}

TEST(RequestId, TraceIdComesFromAValidTraceparent) {
  sloe::Engine app;
  app.get("/", [](Context& c) { c.string(200, c.trace_id()); });
  Client client(app);
  struct Case {
    const char* traceparent;
    const char* trace_id;
  } cases[] = {
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
       "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
      {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", ""},
      {"garbage", ""},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.traceparent);
    EXPECT_EQ(client.get("/", {{"traceparent", test.traceparent}}).body, test.trace_id);
  }
  EXPECT_EQ(client.get("/").body, "");
}

TEST(Spawn, EveryTaskSeesItsOwnRequest) {
  constexpr int kRequests = 2000;
  sloe::Engine app;
  std::atomic<int> right{0};
  std::atomic<int> wrong{0};
  std::latch all_done(kRequests);
  app.get("/user/:id", [&](Context& c) {
    c.set("id-key", std::string(c.param("id")));
    app.spawn(c.copy(), [&](ContextCopy& job) {
      std::this_thread::yield();  // let the connection run ahead to later requests
      std::string id(job.param("id"));
      const std::string* key = job.get<std::string>("id-key");
      bool ok = job.query("q") == "v" + id && job.header("X-Request-ID") == "req-" + id &&
                job.request_id() == "req-" + id && key && *key == id;
      (ok ? right : wrong).fetch_add(1);
      all_done.count_down();
    });
    c.json(202, {{"status", "processing"}});
  });
  Client client(app);
  for (int i = 0; i < kRequests; ++i) {
    std::string id = std::to_string(i);
    ASSERT_EQ(client.get("/user/" + id + "?q=v" + id, {{"X-Request-ID", "req-" + id}}).status, 202);
  }
  all_done.wait();
  EXPECT_EQ(right.load(), kRequests);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Spawn, TaskExceptionsAreCountedAndLoggedWithTheRequestAndItsTraceAndThePoolGoesOn) {
  CapturedLog log;
  sloe::Engine app;
  std::latch later_task_ran(1);
  app.get("/fail/:n", [&](Context& c) {
    app.spawn(c.copy(), [](ContextCopy& job) {
      throw std::runtime_error("task failed for " + std::string(job.param("n")));
    });
    c.status(202);
  });
  app.get("/ok", [&](Context& c) {
    app.spawn(c.copy(), [&](ContextCopy&) { later_task_ran.count_down(); });
    c.status(202);
  });
  Client client(app);
  client.get("/fail/1",
             {{"X-Request-ID", "rid-failing"},
              {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  client.get("/ok");
  later_task_ran.wait();
  app.shutdown(2s);
  EXPECT_EQ(app.tasks().stats().failed, 1u);
  std::string text = log.text();
  // One line, so a 500 in the access log can be matched to its failed task.
  std::string line = text.substr(text.rfind('\n', text.find("task failed for 1")) + 1);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find("request_id=rid-failing GET /fail/1"), std::string::npos) << text;
  EXPECT_NE(line.find("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << line;
  EXPECT_NE(line.find("task failed for 1"), std::string::npos) << line;
}

TEST(Spawn, TaskLogLinesCarryRequestAndTraceIds) {
  CapturedLog log;
  sloe::Engine app;
  std::latch logged(1);
  app.get("/async/:id", [&](Context& c) {
    app.spawn(c.copy(), [&](ContextCopy& job) {
      job.info("Async processing user: {}", job.param("id"));
      logged.count_down();
    });
    c.json(202, {{"status", "processing"}});
  });
  Client client(app);
  client.get("/async/42",
             {{"X-Request-ID", "r-42"},
              {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  logged.wait();
  std::string text = log.text();
  std::string line =
      text.substr(text.find("Async processing user: 42") == std::string::npos
                      ? 0
                      : text.rfind('\n', text.find("Async processing user: 42")) + 1);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find("Async processing user: 42"), std::string::npos) << text;
  EXPECT_NE(line.find("request_id=r-42"), std::string::npos) << line;
  EXPECT_NE(line.find("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << line;
}

TEST(Spawn, CopyScopeOutlivesTheResponseRequestScopeDoesNot) {
  sloe::Engine app;
  sloe::Scope request_scope;
  ContextCopy copy;
  app.get("/", [&](Context& c) {
    request_scope = c.scope();
    copy = c.copy();
    EXPECT_FALSE(request_scope.cancelled());
    c.status(204);
  });
  Client client(app);
  client.get("/");
  EXPECT_TRUE(request_scope.cancelled());  // done with its request, like Go's r.Context()
  EXPECT_FALSE(copy.scope().cancelled());  // the copy lives on
  auto bounded = copy.with_timeout(1h);
  ASSERT_TRUE(bounded.scope().deadline().has_value());
  EXPECT_FALSE(copy.scope().deadline().has_value());
  app.shutdown(0ms);
  EXPECT_TRUE(copy.scope().cancelled());  // the engine's lifetime ended
  EXPECT_TRUE(bounded.scope().cancelled());
}

// Tasks that end while shutdown() still waits for in-flight requests belong to its report:
// every task running or queued when shutdown began ends up finished, cancelled or abandoned.
TEST(Spawn, TasksEndingWhileRequestsFinishAreReportedFinished) {
  constexpr int kJobs = 8;
  sloe::EngineOptions options;
  options.threads = 1;
  options.task_threads = 2;  // six of the jobs wait in the queue
  sloe::Engine app(options);
  auto gate = std::make_shared<std::latch>(1);
  std::latch jobs_done(kJobs);
  app.get("/job", [&](Context& c) {
    app.spawn(c.copy(), [gate, &jobs_done](ContextCopy&) {
      gate->wait();
      jobs_done.count_down();
    });
    c.status(202);
  });
  std::mutex mutex;
  std::optional<sloe::Responder> held;
  std::latch hold_started(1);
  app.get("/hold", [&](Context& c) {
    std::lock_guard lock(mutex);
    held = c.defer();
    hold_started.count_down();
  });
  app.start("127.0.0.1:0");

  // An idle keep-alive connection: the server closes it as soon as shutdown begins.
  sloe::test::RawSocket idle(app.port());
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(idle.send("GET /job HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto answer = idle.read_responses(1);
    ASSERT_EQ(answer.size(), 1u);
    ASSERT_EQ(answer[0].status, 202);
  }
  // A request in flight keeps shutdown() waiting in its request phase.
  sloe::test::RawSocket busy(app.port());
  ASSERT_TRUE(busy.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  hold_started.wait();

  sloe::ShutdownReport report;
  std::thread stopper([&] { report = app.shutdown(60s); });
  ASSERT_TRUE(idle.wait_closed(60s)) << "shutdown did not begin";
  gate->count_down();
  jobs_done.wait();  // every job has run its course before the pool is drained
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(held->string(200, "done"));
  }
  stopper.join();
  auto answer = busy.read_responses(1);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].body, "done");

  EXPECT_EQ(report.tasks_finished, std::size_t(kJobs));
  EXPECT_EQ(report.tasks_cancelled, 0u);
  EXPECT_EQ(report.tasks_abandoned, 0u);
  EXPECT_EQ(report.connections_forced, 0u);
  EXPECT_THROW(app.spawn(ContextCopy{}, [](ContextCopy&) {}), sloe::TaskPoolClosed);
}

// A request outlasting the grace period makes the engine cancel its lifetime before the pool
// is drained: the task it waits for and every job queued behind it count as cancelled, whether
// they ran with a cancelled scope or were dropped from the queue.
TEST(Spawn, TasksCutWhenTheGracePeriodEndsAreReportedCancelled) {
  constexpr int kJobs = 100;
  sloe::EngineOptions options;
  options.threads = 1;
  options.task_threads = 1;
  sloe::Engine app(options);
  std::latch holder_started(1);
  app.get("/hold", [&](Context& c) {
    // The only task thread answers this request when the engine cancels its scope.
    app.spawn(c.copy(), [r = c.defer(), &holder_started](ContextCopy& job) mutable {
      holder_started.count_down();
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      cv.wait(lock, job.scope().token(), [] { return false; });
      r.string(503, "shutting down");
    });
  });
  auto ran = std::make_shared<std::atomic<int>>(0);
  app.get("/job", [&](Context& c) {
    app.spawn(c.copy(), [ran](ContextCopy&) { ran->fetch_add(1); });
    c.status(202);
  });
  app.start("127.0.0.1:0");
  sloe::test::RawSocket busy(app.port());
  ASSERT_TRUE(busy.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  holder_started.wait();
  sloe::test::RawSocket jobs(app.port());
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(jobs.send("GET /job HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto answer = jobs.read_responses(1);
    ASSERT_EQ(answer.size(), 1u);
    ASSERT_EQ(answer[0].status, 202);
  }
  EXPECT_EQ(ran->load(), 0);

  CapturedLog log;  // keeps the warnings for the cut tasks out of the test output
  sloe::ShutdownReport report = app.shutdown(100ms);
  EXPECT_EQ(report.tasks_finished, 0u);
  EXPECT_EQ(report.tasks_cancelled, std::size_t(kJobs + 1));
  EXPECT_EQ(report.tasks_abandoned, 0u);
}

}  // namespace
