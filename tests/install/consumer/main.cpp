// Built against an installed sloe: answers one request in memory and checks it.
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

int main() {
  sloe::Engine app;
  app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
  sloe::testing::Client client(app);
  return client.get("/ping").body == "pong" ? 0 : 1;
}
