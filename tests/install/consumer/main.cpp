// Built against an installed sloe: answers requests in memory and checks them. basic_auth
// needs OpenSSL's libcrypto, which the installed package must bring along.
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

int main() {
  sloe::Engine app;
  app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
  app.get("/private", sloe::basic_auth({{"alice", "wonderland"}}),
          [](sloe::Context& c) { c.string(200, *c.get<std::string>(sloe::auth_user_key)); });
  sloe::testing::Client client(app);
  bool pong = client.get("/ping").body == "pong";
  bool refused = client.get("/private").status == 401;
  // "alice:wonderland" in base64
  bool admitted =
      client.get("/private", {{"Authorization", "Basic YWxpY2U6d29uZGVybGFuZA=="}}).body == "alice";
  return pong && refused && admitted ? 0 : 1;
}
