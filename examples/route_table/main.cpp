// sloe-route_table: serves a route table without writing handlers. Every route answers 200 with
// {"route": <matched pattern>, "params": {<name>: <value>, ...}}, so you can try how requests
// route (redirects, 404/405, params) before porting a Gin service.
//
//   sloe-route_table --routes routes.json --listen 127.0.0.1:8080 --handle-method-not-allowed
//   routes.json: [{"method": "GET", "path": "/users/:id"}, {"method": "POST", "path": "/users"}]

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sloe/sloe.hpp>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kUsage =
    R"(usage: sloe-route_table --routes FILE [--listen HOST:PORT] [options]

  --routes FILE                    JSON array of {"method": "GET", "path": "/users/:id"}
  --listen HOST:PORT               where to serve (default 127.0.0.1:8080)
  --redirect-trailing-slash[=B]    /foo/ <-> /foo redirects (default true)
  --redirect-fixed-path[=B]        case-insensitive, cleaned-path redirects (default false)
  --handle-method-not-allowed[=B]  405 with Allow instead of 404 (default false)
  --use-raw-path[=B]               route on the percent-encoded path (default false)
  --unescape-path-values[=B]       decode params with --use-raw-path (default true)
  --remove-extra-slash[=B]         route on the cleaned path (default false)
  --help                           this text
B is true or false; a flag without a value means true.
)";

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "sloe-route_table: " << message << "\n\n" << kUsage;
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  sloe::EngineOptions options;
  std::string routes_file, listen = "127.0.0.1:8080";
  struct Flag {
    std::string_view name;
    bool* value;
  } flags[] = {
      {"--redirect-trailing-slash", &options.redirect_trailing_slash},
      {"--redirect-fixed-path", &options.redirect_fixed_path},
      {"--handle-method-not-allowed", &options.handle_method_not_allowed},
      {"--use-raw-path", &options.use_raw_path},
      {"--unescape-path-values", &options.unescape_path_values},
      {"--remove-extra-slash", &options.remove_extra_slash},
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg.substr(0, arg.find('='));
    std::string_view value =
        arg.find('=') == std::string_view::npos ? std::string_view{} : arg.substr(name.size() + 1);
    auto next_value = [&]() -> std::string {
      if (arg.find('=') != std::string_view::npos) return std::string(value);
      if (i + 1 >= argc) fail(std::string(name) + " needs a value");
      return argv[++i];
    };
    if (name == "--help" || name == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (name == "--routes") {
      routes_file = next_value();
    } else if (name == "--listen") {
      listen = next_value();
    } else {
      bool known = false;
      for (Flag& f : flags) {
        if (name != f.name) continue;
        known = true;
        if (value.empty() || value == "true" || value == "1") {
          *f.value = true;
        } else if (value == "false" || value == "0") {
          *f.value = false;
        } else {
          fail("invalid value for " + std::string(name) + ": " + std::string(value));
        }
      }
      if (!known) fail("unknown flag " + std::string(arg));
    }
  }
  if (routes_file.empty()) fail("--routes FILE is required");

  sloe::json routes;
  try {
    std::ifstream in(routes_file);
    if (!in) fail("cannot open " + routes_file);
    routes = sloe::json::parse(in);
    if (!routes.is_array()) fail(routes_file + ": expected a JSON array of {method, path}");
  } catch (const sloe::json::exception& e) {
    fail(routes_file + ": " + e.what());
  }

  sloe::Engine app = sloe::Engine::with_defaults(options);
  try {
    for (const sloe::json& route : routes) {
      app.handle(route.at("method").get<std::string>(), route.at("path").get<std::string>(),
                 [](sloe::Context& c) {
                   sloe::json params = sloe::json::object();
                   for (const sloe::Param& p : c.params()) params[std::string(p.key)] = p.value;
                   c.json(200, {{"route", c.full_path()}, {"params", params}});
                 });
    }
  } catch (const std::exception& e) {
    std::cerr << "sloe-route_table: " << e.what() << "\n";
    return 1;
  }
  for (const sloe::RouteInfo& r : app.routes())
    std::printf("%-7s %s\n", r.method.c_str(), r.path.c_str());
  std::fflush(stdout);
  app.run(listen);
  return 0;
}
