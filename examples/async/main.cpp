// The async example: the seed article's scenario and the two ways to answer later.
//
//   sloe-async [--listen HOST:PORT]
//   curl -i http://127.0.0.1:8080/async/42     # 202 at once; the log line follows ~2 s later
//   curl http://127.0.0.1:8080/coro/42
//   curl http://127.0.0.1:8080/deferred/42

#include <cstdio>
#include <string_view>

#include "async_routes.hpp"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8080";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else {
      std::fprintf(stderr, "usage: sloe-async [--listen HOST:PORT]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  auto app = sloe::Engine::with_defaults();
  demo::add_async_routes(app);
  try {
    app.run(listen);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sloe-async: %s\n", e.what());
    return 1;
  }
}
