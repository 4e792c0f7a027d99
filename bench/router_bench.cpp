// Router lookup speed: the GitHub API route set from Gin's githubapi_test.go (203 routes, each
// looked up with concrete parameter values), and single lookups with 0, 1 and 5 parameters and a
// catch-all. bench/router_vs_gin.sh runs the same lookups through Gin's tree for comparison.
//
//   cmake --build build-release --target router_bench && build-release/bench/router_bench

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/support/alloc_counter.hpp"
#include "router/tree.hpp"

namespace {

using sloe::router::kNoRoute;
using sloe::router::Match;
using sloe::router::Params;
using sloe::router::Tree;

struct Route {
  std::string_view method;
  std::string_view path;
};

// http://developer.github.com/v3/, as listed in Gin's githubapi_test.go.
const Route kGithubApi[] = {
    {"GET", "/authorizations"},
    {"GET", "/authorizations/:id"},
    {"POST", "/authorizations"},
    {"DELETE", "/authorizations/:id"},
    {"GET", "/applications/:client_id/tokens/:access_token"},
    {"DELETE", "/applications/:client_id/tokens"},
    {"DELETE", "/applications/:client_id/tokens/:access_token"},
    {"GET", "/events"},
    {"GET", "/repos/:owner/:repo/events"},
    {"GET", "/networks/:owner/:repo/events"},
    {"GET", "/orgs/:org/events"},
    {"GET", "/users/:user/received_events"},
    {"GET", "/users/:user/received_events/public"},
    {"GET", "/users/:user/events"},
    {"GET", "/users/:user/events/public"},
    {"GET", "/users/:user/events/orgs/:org"},
    {"GET", "/feeds"},
    {"GET", "/notifications"},
    {"GET", "/repos/:owner/:repo/notifications"},
    {"PUT", "/notifications"},
    {"PUT", "/repos/:owner/:repo/notifications"},
    {"GET", "/notifications/threads/:id"},
    {"GET", "/notifications/threads/:id/subscription"},
    {"PUT", "/notifications/threads/:id/subscription"},
    {"DELETE", "/notifications/threads/:id/subscription"},
    {"GET", "/repos/:owner/:repo/stargazers"},
    {"GET", "/users/:user/starred"},
    {"GET", "/user/starred"},
    {"GET", "/user/starred/:owner/:repo"},
    {"PUT", "/user/starred/:owner/:repo"},
    {"DELETE", "/user/starred/:owner/:repo"},
    {"GET", "/repos/:owner/:repo/subscribers"},
    {"GET", "/users/:user/subscriptions"},
    {"GET", "/user/subscriptions"},
    {"GET", "/repos/:owner/:repo/subscription"},
    {"PUT", "/repos/:owner/:repo/subscription"},
    {"DELETE", "/repos/:owner/:repo/subscription"},
    {"GET", "/user/subscriptions/:owner/:repo"},
    {"PUT", "/user/subscriptions/:owner/:repo"},
    {"DELETE", "/user/subscriptions/:owner/:repo"},
    {"GET", "/users/:user/gists"},
    {"GET", "/gists"},
    {"GET", "/gists/:id"},
    {"POST", "/gists"},
    {"PUT", "/gists/:id/star"},
    {"DELETE", "/gists/:id/star"},
    {"GET", "/gists/:id/star"},
    {"POST", "/gists/:id/forks"},
    {"DELETE", "/gists/:id"},
    {"GET", "/repos/:owner/:repo/git/blobs/:sha"},
    {"POST", "/repos/:owner/:repo/git/blobs"},
    {"GET", "/repos/:owner/:repo/git/commits/:sha"},
    {"POST", "/repos/:owner/:repo/git/commits"},
    {"GET", "/repos/:owner/:repo/git/refs"},
    {"POST", "/repos/:owner/:repo/git/refs"},
    {"GET", "/repos/:owner/:repo/git/tags/:sha"},
    {"POST", "/repos/:owner/:repo/git/tags"},
    {"GET", "/repos/:owner/:repo/git/trees/:sha"},
    {"POST", "/repos/:owner/:repo/git/trees"},
    {"GET", "/issues"},
    {"GET", "/user/issues"},
    {"GET", "/orgs/:org/issues"},
    {"GET", "/repos/:owner/:repo/issues"},
    {"GET", "/repos/:owner/:repo/issues/:number"},
    {"POST", "/repos/:owner/:repo/issues"},
    {"GET", "/repos/:owner/:repo/assignees"},
    {"GET", "/repos/:owner/:repo/assignees/:assignee"},
    {"GET", "/repos/:owner/:repo/issues/:number/comments"},
    {"POST", "/repos/:owner/:repo/issues/:number/comments"},
    {"GET", "/repos/:owner/:repo/issues/:number/events"},
    {"GET", "/repos/:owner/:repo/labels"},
    {"GET", "/repos/:owner/:repo/labels/:name"},
    {"POST", "/repos/:owner/:repo/labels"},
    {"DELETE", "/repos/:owner/:repo/labels/:name"},
    {"GET", "/repos/:owner/:repo/issues/:number/labels"},
    {"POST", "/repos/:owner/:repo/issues/:number/labels"},
    {"DELETE", "/repos/:owner/:repo/issues/:number/labels/:name"},
    {"PUT", "/repos/:owner/:repo/issues/:number/labels"},
    {"DELETE", "/repos/:owner/:repo/issues/:number/labels"},
    {"GET", "/repos/:owner/:repo/milestones/:number/labels"},
    {"GET", "/repos/:owner/:repo/milestones"},
    {"GET", "/repos/:owner/:repo/milestones/:number"},
    {"POST", "/repos/:owner/:repo/milestones"},
    {"DELETE", "/repos/:owner/:repo/milestones/:number"},
    {"GET", "/emojis"},
    {"GET", "/gitignore/templates"},
    {"GET", "/gitignore/templates/:name"},
    {"POST", "/markdown"},
    {"POST", "/markdown/raw"},
    {"GET", "/meta"},
    {"GET", "/rate_limit"},
    {"GET", "/users/:user/orgs"},
    {"GET", "/user/orgs"},
    {"GET", "/orgs/:org"},
    {"GET", "/orgs/:org/members"},
    {"GET", "/orgs/:org/members/:user"},
    {"DELETE", "/orgs/:org/members/:user"},
    {"GET", "/orgs/:org/public_members"},
    {"GET", "/orgs/:org/public_members/:user"},
    {"PUT", "/orgs/:org/public_members/:user"},
    {"DELETE", "/orgs/:org/public_members/:user"},
    {"GET", "/orgs/:org/teams"},
    {"GET", "/teams/:id"},
    {"POST", "/orgs/:org/teams"},
    {"DELETE", "/teams/:id"},
    {"GET", "/teams/:id/members"},
    {"GET", "/teams/:id/members/:user"},
    {"PUT", "/teams/:id/members/:user"},
    {"DELETE", "/teams/:id/members/:user"},
    {"GET", "/teams/:id/repos"},
    {"GET", "/teams/:id/repos/:owner/:repo"},
    {"PUT", "/teams/:id/repos/:owner/:repo"},
    {"DELETE", "/teams/:id/repos/:owner/:repo"},
    {"GET", "/user/teams"},
    {"GET", "/repos/:owner/:repo/pulls"},
    {"GET", "/repos/:owner/:repo/pulls/:number"},
    {"POST", "/repos/:owner/:repo/pulls"},
    {"GET", "/repos/:owner/:repo/pulls/:number/commits"},
    {"GET", "/repos/:owner/:repo/pulls/:number/files"},
    {"GET", "/repos/:owner/:repo/pulls/:number/merge"},
    {"PUT", "/repos/:owner/:repo/pulls/:number/merge"},
    {"GET", "/repos/:owner/:repo/pulls/:number/comments"},
    {"PUT", "/repos/:owner/:repo/pulls/:number/comments"},
    {"GET", "/user/repos"},
    {"GET", "/users/:user/repos"},
    {"GET", "/orgs/:org/repos"},
    {"GET", "/repositories"},
    {"POST", "/user/repos"},
    {"POST", "/orgs/:org/repos"},
    {"GET", "/repos/:owner/:repo"},
    {"GET", "/repos/:owner/:repo/contributors"},
    {"GET", "/repos/:owner/:repo/languages"},
    {"GET", "/repos/:owner/:repo/teams"},
    {"GET", "/repos/:owner/:repo/tags"},
    {"GET", "/repos/:owner/:repo/branches"},
    {"GET", "/repos/:owner/:repo/branches/:branch"},
    {"DELETE", "/repos/:owner/:repo"},
    {"GET", "/repos/:owner/:repo/collaborators"},
    {"GET", "/repos/:owner/:repo/collaborators/:user"},
    {"PUT", "/repos/:owner/:repo/collaborators/:user"},
    {"DELETE", "/repos/:owner/:repo/collaborators/:user"},
    {"GET", "/repos/:owner/:repo/comments"},
    {"GET", "/repos/:owner/:repo/commits/:sha/comments"},
    {"POST", "/repos/:owner/:repo/commits/:sha/comments"},
    {"GET", "/repos/:owner/:repo/comments/:id"},
    {"DELETE", "/repos/:owner/:repo/comments/:id"},
    {"GET", "/repos/:owner/:repo/commits"},
    {"GET", "/repos/:owner/:repo/commits/:sha"},
    {"GET", "/repos/:owner/:repo/readme"},
    {"GET", "/repos/:owner/:repo/keys"},
    {"GET", "/repos/:owner/:repo/keys/:id"},
    {"POST", "/repos/:owner/:repo/keys"},
    {"DELETE", "/repos/:owner/:repo/keys/:id"},
    {"GET", "/repos/:owner/:repo/downloads"},
    {"GET", "/repos/:owner/:repo/downloads/:id"},
    {"DELETE", "/repos/:owner/:repo/downloads/:id"},
    {"GET", "/repos/:owner/:repo/forks"},
    {"POST", "/repos/:owner/:repo/forks"},
    {"GET", "/repos/:owner/:repo/hooks"},
    {"GET", "/repos/:owner/:repo/hooks/:id"},
    {"POST", "/repos/:owner/:repo/hooks"},
    {"POST", "/repos/:owner/:repo/hooks/:id/tests"},
    {"DELETE", "/repos/:owner/:repo/hooks/:id"},
    {"POST", "/repos/:owner/:repo/merges"},
    {"GET", "/repos/:owner/:repo/releases"},
    {"GET", "/repos/:owner/:repo/releases/:id"},
    {"POST", "/repos/:owner/:repo/releases"},
    {"DELETE", "/repos/:owner/:repo/releases/:id"},
    {"GET", "/repos/:owner/:repo/releases/:id/assets"},
    {"GET", "/repos/:owner/:repo/stats/contributors"},
    {"GET", "/repos/:owner/:repo/stats/commit_activity"},
    {"GET", "/repos/:owner/:repo/stats/code_frequency"},
    {"GET", "/repos/:owner/:repo/stats/participation"},
    {"GET", "/repos/:owner/:repo/stats/punch_card"},
    {"GET", "/repos/:owner/:repo/statuses/:ref"},
    {"POST", "/repos/:owner/:repo/statuses/:ref"},
    {"GET", "/search/repositories"},
    {"GET", "/search/code"},
    {"GET", "/search/issues"},
    {"GET", "/search/users"},
    {"GET", "/legacy/issues/search/:owner/:repository/:state/:keyword"},
    {"GET", "/legacy/repos/search/:keyword"},
    {"GET", "/legacy/user/search/:keyword"},
    {"GET", "/legacy/user/email/:email"},
    {"GET", "/users/:user"},
    {"GET", "/user"},
    {"GET", "/users"},
    {"GET", "/user/emails"},
    {"POST", "/user/emails"},
    {"DELETE", "/user/emails"},
    {"GET", "/users/:user/followers"},
    {"GET", "/user/followers"},
    {"GET", "/users/:user/following"},
    {"GET", "/user/following"},
    {"GET", "/user/following/:user"},
    {"GET", "/users/:user/following/:target_user"},
    {"PUT", "/user/following/:user"},
    {"DELETE", "/user/following/:user"},
    {"GET", "/users/:user/keys"},
    {"GET", "/user/keys"},
    {"GET", "/user/keys/:id"},
    {"POST", "/user/keys"},
    {"DELETE", "/user/keys/:id"},
};

// The pattern with every wildcard replaced by a concrete value.
std::string example_path(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == ':' || pattern[i] == '*') {
      out += pattern[i] == '*' ? "/12345" : "12345";
      while (i < pattern.size() && pattern[i] != '/') ++i;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

struct Lookup {
  const Tree* tree;
  std::string path;
  std::uint32_t route;
};

// Runs `lookups` round-robin, one per iteration, and reports allocations per lookup.
void run_lookups(benchmark::State& state, const std::vector<Lookup>& lookups,
                 std::size_t params_cap) {
  Params params;
  params.reserve(params_cap);
  for (const Lookup& l : lookups) {  // correctness first: a wrong answer is not a speed
    params.clear();
    const Match m = l.tree->find(l.path, params);
    if (m.route != l.route) {
      state.SkipWithError(("wrong route for " + l.path).c_str());
      return;
    }
  }
  std::size_t i = 0;
  const std::size_t n = lookups.size();
  const std::uint64_t allocs_before = sloe::bench::allocations();
  for (auto _ : state) {
    const Lookup& l = lookups[i];
    i = i + 1 == n ? 0 : i + 1;
    params.clear();
    Match m = l.tree->find(l.path, params);
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(params.data());
  }
  const std::uint64_t allocs = sloe::bench::allocations() - allocs_before;
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// One tree per method holding all GitHub routes.
struct GithubTrees {
  std::map<std::string_view, Tree> by_method;
  std::size_t max_params = 0;

  GithubTrees() {
    std::uint32_t id = 0;
    for (const Route& r : kGithubApi) by_method[r.method].add(r.path, id++);
    for (const auto& [method, tree] : by_method)
      max_params = std::max(max_params, tree.max_params());
  }
  Lookup lookup(std::string_view method, std::string_view pattern) const {
    std::uint32_t id = 0;
    for (const Route& r : kGithubApi) {
      if (r.method == method && r.path == pattern) break;
      ++id;
    }
    return {&by_method.at(method), example_path(pattern), id};
  }
};

const GithubTrees& github() {
  static const GithubTrees trees;
  return trees;
}

void BM_GithubAll(benchmark::State& state) {
  std::vector<Lookup> lookups;
  for (const Route& r : kGithubApi) lookups.push_back(github().lookup(r.method, r.path));
  run_lookups(state, lookups, github().max_params);
}
BENCHMARK(BM_GithubAll);

void BM_GithubStatic(benchmark::State& state) {
  run_lookups(state, {github().lookup("GET", "/user/repos")}, github().max_params);
}
BENCHMARK(BM_GithubStatic);

void BM_GithubParam(benchmark::State& state) {
  run_lookups(state, {github().lookup("GET", "/users/:user")}, github().max_params);
}
BENCHMARK(BM_GithubParam);

void BM_Github4Params(benchmark::State& state) {
  run_lookups(state,
              {github().lookup("GET", "/legacy/issues/search/:owner/:repository/:state/:keyword")},
              github().max_params);
}
BENCHMARK(BM_Github4Params);

void BM_GithubNotFound(benchmark::State& state) {
  run_lookups(state, {{&github().by_method.at("GET"), "/user/repos/nothing", kNoRoute}},
              github().max_params);
}
BENCHMARK(BM_GithubNotFound);

// Single-route trees, as in Gin's benchmarks_test.go.
void single_route(benchmark::State& state, std::string_view pattern, std::string path) {
  Tree tree;
  tree.add(pattern, 0);
  run_lookups(state, {{&tree, std::move(path), 0}}, tree.max_params());
}

void BM_OneRouteStatic(benchmark::State& state) {
  single_route(state, "/ping", "/ping");
}
BENCHMARK(BM_OneRouteStatic);

void BM_OneParam(benchmark::State& state) {
  single_route(state, "/user/:name", "/user/gordon");
}
BENCHMARK(BM_OneParam);

void BM_5Params(benchmark::State& state) {
  single_route(state, "/param/:param1/:params2/:param3/:param4/:param5",
               "/param/path/to/parameter/john/12345");
}
BENCHMARK(BM_5Params);

void BM_CatchAll(benchmark::State& state) {
  single_route(state, "/static/*filepath", "/static/css/bootstrap/bootstrap.min.css");
}
BENCHMARK(BM_CatchAll);

}  // namespace
