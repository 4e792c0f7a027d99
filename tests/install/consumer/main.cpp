// Built against an installed sloe: answers requests in memory and checks them. gzip() pulls in
// zlib, which a static sloe leaves to the consumer's link through sloeConfig.cmake.
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <string>

int main() {
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
  app.get("/long", [](sloe::Context& c) { c.string(200, std::string(4096, 'a')); });
  sloe::testing::Client client(app);
  bool pong = client.get("/ping").body == "pong";
  bool compressed =
      client.get("/long", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding") == "gzip";
  return pong && compressed ? 0 : 1;
}
