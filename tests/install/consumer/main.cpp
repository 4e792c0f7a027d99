// Built against an installed sloe: answers requests in memory and checks them. basic_auth needs
// OpenSSL's libcrypto and gzip() zlib, which a static sloe leaves to the consumer's link through
// sloeConfig.cmake.
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <string>

int main() {
  sloe::Engine app;
  app.use(sloe::gzip());
  app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
  app.get("/long", [](sloe::Context& c) { c.string(200, std::string(4096, 'a')); });
  app.get("/private", sloe::basic_auth({{"alice", "wonderland"}}),
          [](sloe::Context& c) { c.string(200, *c.get<std::string>(sloe::auth_user_key)); });
  sloe::testing::Client client(app);
  bool pong = client.get("/ping").body == "pong";
  bool compressed =
      client.get("/long", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding") == "gzip";
  bool refused = client.get("/private").status == 401;
  // "alice:wonderland" in base64
  bool admitted =
      client.get("/private", {{"Authorization", "Basic YWxpY2U6d29uZGVybGFuZA=="}}).body == "alice";
  return pong && compressed && refused && admitted ? 0 : 1;
}
