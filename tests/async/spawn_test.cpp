// Background work started from handlers: app.spawn(c.copy(), ...), request ids that follow the
// work into its logs, scopes that outlive the response, and the drain at shutdown.

#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include "../support/captured_log.hpp"

#include <atomic>
#include <latch>
#include <mutex>
#include <sstream>

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

TEST(Spawn, TaskExceptionsAreCountedAndLoggedWithTheRequestAndThePoolGoesOn) {
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
  client.get("/fail/1", {{"X-Request-ID", "rid-failing"}});
  client.get("/ok");
  later_task_ran.wait();
  app.shutdown(2s);
  EXPECT_EQ(app.tasks().stats().failed, 1u);
  std::string text = log.text();
  EXPECT_NE(text.find("rid-failing"), std::string::npos) << text;
  EXPECT_NE(text.find("GET /fail/1"), std::string::npos) << text;
  EXPECT_NE(text.find("task failed for 1"), std::string::npos) << text;
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

TEST(Spawn, ShutdownLetsTasksFinishThenCancelsTheRestAndReports) {
  sloe::EngineOptions options;
  options.task_threads = 2;
  sloe::Engine app(options);
  std::atomic<int> quick_done{0};
  std::latch endless_started(1);
  app.get("/quick", [&](Context& c) {
    app.spawn(c.copy(), [&](ContextCopy&) {
      std::this_thread::sleep_for(50ms);
      quick_done.fetch_add(1);
    });
    c.status(202);
  });
  app.get("/endless", [&](Context& c) {
    app.spawn(c.copy(), [&](ContextCopy& job) {
      endless_started.count_down();
      while (!job.scope().cancelled()) std::this_thread::sleep_for(5ms);
    });
    c.status(202);
  });
  Client client(app);
  client.get("/endless");
  endless_started.wait();
  for (int i = 0; i < 4; ++i) client.get("/quick");  // one runs, three queue behind it
  auto started = std::chrono::steady_clock::now();
  sloe::ShutdownReport report = app.shutdown(1s);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(quick_done.load(), 4);
  EXPECT_EQ(report.tasks_finished, 4u);
  EXPECT_EQ(report.tasks_cancelled, 1u);
  EXPECT_EQ(report.tasks_abandoned, 0u);
  EXPECT_LT(took, 5s);
  EXPECT_THROW(app.spawn(ContextCopy{}, [](ContextCopy&) {}), sloe::TaskPoolClosed);
}

}  // namespace
