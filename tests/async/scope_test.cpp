#include "sloe/async/scope.hpp"

#include "async/deadline_thread.hpp"

#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace sloe {
namespace {

using namespace std::chrono_literals;
using clock = Scope::clock;

// Waits (without polling) until `scope` is cancelled or `limit` passes; true if cancelled.
bool wait_cancelled(const Scope& scope, clock::duration limit = 5s) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, scope.token(), limit, [] { return false; });
  return scope.cancelled();
}

TEST(Scope, TreeCancellationReachesDescendantsOnly) {
  // root ─┬─ a ── a1
  //       └─ b (value scope)
  enum Node { root, a, a1, b, n_nodes };
  struct Case {
    const char* name;
    int cancel;  // node to cancel, -1 for none
    std::array<bool, n_nodes> expected;
  };
  const Case cases[] = {
      {"nothing", -1, {false, false, false, false}},
      {"root cancels everything", root, {true, true, true, true}},
      {"inner node cancels its subtree", a, {false, true, true, false}},
      {"leaf cancels only itself", a1, {false, false, true, false}},
      {"value scope is cancellable on its own", b, {false, false, false, true}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::array<Scope, n_nodes> nodes;
    nodes[root] = Scope::background().with_cancel();
    nodes[a] = nodes[root].with_cancel();
    nodes[a1] = nodes[a].with_cancel();
    nodes[b] = nodes[root].with_value("k", 1);
    if (c.cancel >= 0) nodes[c.cancel].cancel();
    for (int i = 0; i < n_nodes; ++i) {
      EXPECT_EQ(nodes[i].cancelled(), c.expected[i]) << "node " << i;
      EXPECT_EQ(nodes[i].token().stop_requested(), c.expected[i]) << "node " << i;
      EXPECT_EQ(nodes[i].reason(), c.expected[i] ? CancelReason::cancelled : CancelReason::none)
          << "node " << i;
    }
  }
}

TEST(Scope, ReasonIsInheritedAndFirstReasonSticks) {
  struct Case {
    const char* name;
    Scope (*make_parent)();
    CancelReason expected;
  };
  const Case cases[] = {
      {"cancelled parent",
       [] {
         auto s = Scope::background().with_cancel();
         s.cancel();
         return s;
       },
       CancelReason::cancelled},
      {"deadline passed", [] { return Scope::background().with_deadline(clock::now() - 1s); },
       CancelReason::deadline_exceeded},
      {"zero timeout", [] { return Scope::background().with_timeout(0s); },
       CancelReason::deadline_exceeded},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Scope parent = c.make_parent();
    EXPECT_TRUE(parent.cancelled());
    EXPECT_EQ(parent.reason(), c.expected);
    parent.cancel();  // a second reason does not replace the first
    EXPECT_EQ(parent.reason(), c.expected);
    // Children born from a cancelled parent are born cancelled, with the parent's reason.
    for (Scope child : {parent.with_cancel(), parent.with_timeout(1h), parent.with_value("k", 1)}) {
      EXPECT_TRUE(child.cancelled());
      EXPECT_EQ(child.reason(), c.expected);
    }
  }
}

TEST(Scope, ChildCancelledThroughParentHasParentsReason) {
  auto parent = Scope::background().with_timeout(20ms);
  auto child = parent.with_cancel();
  auto grandchild = child.with_value("k", std::string("v"));
  ASSERT_TRUE(wait_cancelled(grandchild));
  EXPECT_EQ(parent.reason(), CancelReason::deadline_exceeded);
  EXPECT_EQ(child.reason(), CancelReason::deadline_exceeded);
  EXPECT_EQ(grandchild.reason(), CancelReason::deadline_exceeded);
}

TEST(Scope, BackgroundIsNeverCancelled) {
  Scope bg = Scope::background();
  bg.cancel();
  EXPECT_FALSE(bg.cancelled());
  EXPECT_EQ(bg.reason(), CancelReason::none);
  EXPECT_FALSE(bg.deadline().has_value());
  EXPECT_FALSE(bg.token().stop_possible());
  bool ran = false;
  auto reg = bg.on_cancel([&] { ran = true; });
  EXPECT_FALSE(ran);

  Scope defaulted;  // behaves as background
  defaulted.cancel();
  EXPECT_FALSE(defaulted.cancelled());
  auto child = defaulted.with_cancel();
  child.cancel();
  EXPECT_TRUE(child.cancelled());
  EXPECT_FALSE(Scope::background().cancelled());
}

TEST(Scope, DeadlineFiresOnItsOwn) {
  auto start = clock::now();
  auto s = Scope::background().with_timeout(30ms);
  ASSERT_TRUE(s.deadline().has_value());
  EXPECT_GE(*s.deadline(), start + 30ms);
  // Read in this order: a scope seen cancelled was cancelled at or after its deadline.
  EXPECT_FALSE(s.cancelled() && clock::now() < *s.deadline()) << "fired before its deadline";
  ASSERT_TRUE(wait_cancelled(s)) << "deadline did not fire within 5s";
  EXPECT_GE(clock::now(), *s.deadline());
  EXPECT_EQ(s.reason(), CancelReason::deadline_exceeded);
  EXPECT_TRUE(detail::deadline_thread_running());
}

TEST(Scope, ChildDeadlineIsCappedByParent) {
  // A child asking for a deadline no earlier than its parent's gets the parent's and arms no
  // timer of its own, so it can only end through its parent, with the parent's reason.
  auto parent = Scope::background().with_timeout(1h);
  const std::size_t armed = detail::pending_deadlines();
  auto later = parent.with_timeout(2h);
  auto same = parent.with_deadline(*parent.deadline());
  auto plain = parent.with_cancel();
  for (const Scope* child : {&later, &same, &plain})
    EXPECT_EQ(child->deadline(), parent.deadline());
  EXPECT_EQ(detail::pending_deadlines(), armed);
  auto sooner = parent.with_timeout(1min);
  EXPECT_LT(*sooner.deadline(), *parent.deadline());
  EXPECT_EQ(detail::pending_deadlines(), armed + 1);
}

TEST(Scope, ParentDeadlineEndsEveryChildWithItsReason) {
  auto parent = Scope::background().with_timeout(20ms);
  const Scope children[] = {parent.with_timeout(1h), parent.with_deadline(*parent.deadline()),
                            parent.with_cancel(), parent.with_value("k", 1),
                            parent.with_cancel().with_cancel()};
  // The timer thread cancels the parent, then its children one after another: wait on each
  // one before looking at it, not on a sibling.
  for (const Scope& child : children) {
    ASSERT_TRUE(wait_cancelled(child));
    EXPECT_EQ(child.reason(), CancelReason::deadline_exceeded);
    EXPECT_GE(clock::now(), *parent.deadline());
  }
  EXPECT_EQ(parent.reason(), CancelReason::deadline_exceeded);
}

TEST(Scope, ChildDeadlineDoesNotEndItsParent) {
  auto parent = Scope::background().with_timeout(1h);
  auto sooner = parent.with_timeout(10ms);
  ASSERT_TRUE(wait_cancelled(sooner));
  EXPECT_EQ(sooner.reason(), CancelReason::deadline_exceeded);
  EXPECT_FALSE(parent.cancelled()) << "a child's deadline must not cancel its parent";
}

TEST(Scope, EarlierDeadlineArmedLaterFiresFirst) {
  // The timer thread is asleep until the 1h deadline; a new, earlier one must wake it.
  auto far = Scope::background().with_timeout(1h);
  auto near = Scope::background().with_timeout(10ms);
  ASSERT_TRUE(wait_cancelled(near));
  EXPECT_FALSE(far.cancelled());
}

TEST(Scope, DeadlineThreadStopsAndRestartsLazily) {
  detail::stop_deadline_thread();
  EXPECT_FALSE(detail::deadline_thread_running());
  auto s = Scope::background().with_timeout(10ms);
  EXPECT_TRUE(detail::deadline_thread_running());
  EXPECT_TRUE(wait_cancelled(s));
}

TEST(Scope, DeadlinesDoNotOutliveTheirScopes) {
  const std::size_t before = detail::pending_deadlines();
  {
    std::vector<Scope> scopes;
    for (int i = 0; i < 1000; ++i) scopes.push_back(Scope::background().with_timeout(1h));
    EXPECT_EQ(detail::pending_deadlines(), before + 1000);
    for (int i = 0; i < 500; ++i) scopes[i].cancel();  // cancelled: disarmed
    EXPECT_EQ(detail::pending_deadlines(), before + 500);
  }  // destroyed: disarmed
  EXPECT_EQ(detail::pending_deadlines(), before);
}

TEST(Scope, ValuesAreFoundThroughTheChainNearestFirst) {
  auto root = Scope::background().with_value("a", 1);
  auto mid = root.with_value("b", std::string("bee")).with_cancel();
  auto leaf = mid.with_value("a", 2);
  struct Case {
    const char* name;
    Scope scope;
    const char* key;
    std::optional<int> int_value;
    std::optional<std::string> string_value;
  };
  const Case cases[] = {
      {"nearest wins", leaf, "a", 2, std::nullopt},
      {"ancestor's value", mid, "a", 1, std::nullopt},
      {"through a cancel scope", leaf, "b", std::nullopt, "bee"},
      {"absent key", leaf, "zzz", std::nullopt, std::nullopt},
      {"not visible to ancestors", root, "b", std::nullopt, std::nullopt},
      {"background has none", Scope::background(), "a", std::nullopt, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const int* i = c.scope.value<int>(c.key);
    const std::string* s = c.scope.value<std::string>(c.key);
    EXPECT_EQ(i != nullptr, c.int_value.has_value());
    if (i && c.int_value) {
      EXPECT_EQ(*i, *c.int_value);
    }
    EXPECT_EQ(s != nullptr, c.string_value.has_value());
    if (s && c.string_value) {
      EXPECT_EQ(*s, *c.string_value);
    }
  }
  // The wrong type at the nearest key shadows a farther key of the right type.
  EXPECT_EQ(leaf.with_value("a", std::string("x")).value<int>("a"), nullptr);
}

TEST(Scope, ValuesKeepTheirChainAliveAndMayBeMoveOnly) {
  Scope leaf = Scope::background()
                   .with_value("p", std::make_unique<int>(7))
                   .with_cancel()
                   .with_value("q", 1.5);
  const auto* p = leaf.value<std::unique_ptr<int>>("p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(**p, 7);
  EXPECT_EQ(*leaf.value<double>("q"), 1.5);
}

TEST(Scope, OnCancelRunsExactlyOnce) {
  auto s = Scope::background().with_cancel();
  int first = 0, second = 0, removed = 0, moved = 0;
  auto r1 = s.on_cancel([&] { ++first; });
  auto r2 = s.on_cancel([&] { ++second; });
  {
    auto gone = s.on_cancel([&] { ++removed; });
  }
  auto r3 = s.on_cancel([&] { ++removed; });
  r3.reset();
  EXPECT_FALSE(r3);
  CancelRegistration r4;
  r4 = s.on_cancel([&] { ++moved; });
  CancelRegistration r5(std::move(r4));
  EXPECT_TRUE(r5);
  s.cancel();
  s.cancel();
  s.with_cancel().cancel();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(moved, 1);
}

TEST(Scope, OnCancelAfterCancellationRunsImmediatelyInCaller) {
  auto s = Scope::background().with_cancel();
  s.cancel();
  std::thread::id ran_on;
  int runs = 0;
  auto reg = s.on_cancel([&] {
    ++runs;
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(Scope, CancelOfParentRunsDescendantCallbacksBeforeReturning) {
  auto root = Scope::background().with_cancel();
  std::vector<Scope> scopes{root};
  for (int i = 0; i < 50; ++i) scopes.push_back(scopes[i / 2].with_cancel());
  std::atomic<int> runs{0};
  std::vector<CancelRegistration> regs;
  for (auto& s : scopes) regs.push_back(s.on_cancel([&] { runs.fetch_add(1); }));
  root.cancel();
  EXPECT_EQ(runs.load(), 51);
}

TEST(Scope, ThrowingCallbackIsLoggedAndDoesNotStopOthers) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  auto s = Scope::background().with_cancel();
  int after = 0;
  auto bad = s.on_cancel([] { throw std::runtime_error("callback failed"); });
  auto good = s.on_cancel([&] { ++after; });
  s.cancel();
  spdlog::set_default_logger(previous);
  EXPECT_EQ(after, 1);
  auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("on_cancel callback threw: callback failed"), std::string::npos)
      << lines[0];
}

// Many threads register, drop and cancel on the same scopes at once: every callback still
// registered at cancel time runs exactly once, and every child is cancelled.
TEST(Scope, ConcurrentCancelRegistrationAndChildCreation) {
  constexpr int kThreads = 4;
  constexpr int kIterations = 1000;
  Scope root = Scope::background().with_cancel();
  Scope current;
  std::atomic<int> runs{0};
  std::array<std::vector<Scope>, kThreads> children;
  std::array<int, kThreads> kept{};
  std::barrier sync(kThreads + 1);

  auto worker = [&](int t) {
    for (int it = 0; it < kIterations; ++it) {
      sync.arrive_and_wait();  // `current` is ready
      std::vector<CancelRegistration> regs;
      kept[t] = 0;
      if (t == 0) {
        current.cancel();
      } else {
        for (int k = 0; k < 8; ++k) {
          auto reg = current.on_cancel([&] { runs.fetch_add(1); });
          if (k % 2 == 0) {
            regs.push_back(std::move(reg));
            ++kept[t];
          }  // odd ones are unregistered at once; they may or may not have run
          children[t].push_back(current.with_cancel());
        }
      }
      sync.arrive_and_wait();  // all done; main checks
      sync.arrive_and_wait();  // main checked; registrations may go
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (int it = 0; it < kIterations; ++it) {
    current = root.with_cancel();
    runs.store(0);
    for (auto& c : children) c.clear();
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    int expected_min = 0;
    for (int k : kept) expected_min += k;
    // Kept registrations ran once each; dropped ones ran at most once.
    ASSERT_GE(runs.load(), expected_min) << "iteration " << it;
    ASSERT_LE(runs.load(), 8 * (kThreads - 1)) << "iteration " << it;
    for (auto& per_thread : children) {
      for (auto& child : per_thread) ASSERT_TRUE(child.cancelled()) << "iteration " << it;
    }
    ASSERT_TRUE(current.cancelled());
    sync.arrive_and_wait();
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(root.cancelled());
}

// The precise count: each registration kept alive through the cancel runs exactly once.
TEST(Scope, ConcurrentRegistrationsKeptAliveRunExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kIterations = 500;
  for (int it = 0; it < kIterations; ++it) {
    auto s = Scope::background().with_cancel();
    std::atomic<int> runs{0};
    std::vector<std::vector<CancelRegistration>> regs(kThreads);
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        if (t == 0) {
          s.cancel();
          return;
        }
        for (int k = 0; k < 4; ++k) regs[t].push_back(s.on_cancel([&] { runs.fetch_add(1); }));
      });
    }
    go.store(true);
    for (auto& t : threads) t.join();
    ASSERT_EQ(runs.load(), 4 * (kThreads - 1)) << "iteration " << it;
  }
}

TEST(Scope, ShortLivedChildrenDoNotGrowTheParent) {
  constexpr int kChildren = 100'000;
  Scope root = Scope::background().with_cancel();
  const std::size_t deadlines_before = detail::pending_deadlines();
  std::size_t most = 0;
  for (int i = 0; i < kChildren; ++i) {
    auto child = (i % 3 == 0)   ? root.with_cancel()
                 : (i % 3 == 1) ? root.with_value("i", i)
                                : root.with_timeout(1h);
    auto grandchild = child.with_cancel();
    if (i % 1000 == 0) most = std::max(most, detail::child_count(root));
  }
  EXPECT_LE(most, 1u);
  EXPECT_EQ(detail::child_count(root), 0u);
  EXPECT_EQ(detail::pending_deadlines(), deadlines_before);

  // Children outliving a cancelled parent unlink themselves too.
  auto kept = root.with_cancel();
  EXPECT_EQ(detail::child_count(root), 1u);
  root.cancel();
  EXPECT_TRUE(kept.cancelled());
  kept = Scope::background();
  EXPECT_EQ(detail::child_count(root), 0u);
}

TEST(Scope, TokenWorksWithStandardWaits) {
  auto s = Scope::background().with_cancel();
  std::promise<bool> woke;
  std::jthread waiter([&, token = s.token()] {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    woke.set_value(!cv.wait_for(lock, token, 10s, [] { return false; }) && token.stop_requested());
  });
  s.cancel();
  EXPECT_TRUE(woke.get_future().get());
}

TEST(Scope, ReasonNames) {
  EXPECT_EQ(to_string(CancelReason::none), "none");
  EXPECT_EQ(to_string(CancelReason::cancelled), "cancelled");
  EXPECT_EQ(to_string(CancelReason::deadline_exceeded), "deadline_exceeded");
}

}  // namespace
}  // namespace sloe
