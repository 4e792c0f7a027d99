// examples/microservice/grafana-dashboard.json asks Prometheus valid questions about metrics
// sloe exposes: every query parses (promtool check rules), and every sloe_ metric it names is
// one that sloe::metrics() or sloe::register_engine_metrics() writes.

#include <gtest/gtest.h>

#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/promtool.hpp"

namespace {

std::vector<std::string> dashboard_queries() {
  std::ifstream file(SLOE_SOURCE_DIR "/examples/microservice/grafana-dashboard.json");
  EXPECT_TRUE(file) << "examples/microservice/grafana-dashboard.json is missing";
  const sloe::json dashboard = sloe::json::parse(file);
  std::vector<std::string> queries;
  for (const sloe::json& panel : dashboard.at("panels")) {
    for (const sloe::json& target : panel.value("targets", sloe::json::array())) {
      queries.push_back(target.at("expr").get<std::string>());
    }
  }
  return queries;
}

// Grafana's variables, as Grafana would fill them in.
std::string with_variables_filled(std::string query) {
  const std::pair<std::string, std::string> variables[] = {
      {"$__rate_interval", "1m"}, {"$job", ".*"}, {"$instance", ".*"}};
  for (const auto& [name, value] : variables) {
    for (std::size_t at; (at = query.find(name)) != std::string::npos;) {
      query.replace(at, name.size(), value);
    }
  }
  return query;
}

TEST(GrafanaDashboard, EveryQueryParses) {
  const std::vector<std::string> queries = dashboard_queries();
  ASSERT_GE(queries.size(), 10u);
  // promtool parses PromQL in rule files: one recording rule per query.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const std::string query = with_variables_filled(queries[i]);
    ASSERT_EQ(query.find('$'), std::string::npos) << "a variable left unfilled: " << query;
    ASSERT_EQ(query.find('\''), std::string::npos) << "the YAML below quotes with ': " << query;
    rules += "      - record: dashboard:query_" + std::to_string(i) + "\n        expr: '" + query +
             "'\n";
  }
  const sloe::test::PromtoolResult result = sloe::test::run_promtool("check rules", rules, false);
  ASSERT_TRUE(result.ran) << result.output;
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n" << rules;
}

TEST(GrafanaDashboard, NamesOnlyMetricsSloeExposes) {
  sloe::MetricsRegistry registry;
  sloe::MetricsOptions options;
  options.registry = &registry;
  sloe::Engine app;
  app.use(sloe::metrics(options));
  sloe::register_engine_metrics(app, registry);
  app.get("/", [](sloe::Context& c) { c.status(204); });
  sloe::testing::Client client(app);
  client.get("/");  // the labelled families show once they have a series
  std::set<std::string> exposed;
  std::istringstream text(registry.text());
  for (std::string line; std::getline(text, line);) {
    if (line.starts_with("#") || line.empty()) continue;
    exposed.insert(line.substr(0, line.find_first_of("{ ")));
  }
  const std::regex metric_name("sloe_[a-z_]+");
  std::size_t named = 0;
  for (const std::string& query : dashboard_queries()) {
    for (std::sregex_iterator it(query.begin(), query.end(), metric_name), end; it != end; ++it) {
      ++named;
      EXPECT_TRUE(exposed.contains(it->str())) << it->str() << " in " << query;
    }
  }
  EXPECT_GT(named, 0u);
}

}  // namespace
