#pragma once
// sloe::testing::Client: drives an Engine in memory, without sockets, through the same parser,
// router, Context and serializer a TCP connection uses (Go's httptest for sloe).
//
//   sloe::Engine app;
//   app.get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
//   sloe::testing::Client client(app);
//   auto r = client.get("/ping");
//   EXPECT_EQ(r.status, 200);
//   EXPECT_EQ(r.body, "pong");

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloe/context/json.hpp"
#include "sloe/engine.hpp"

namespace sloe::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  /// The first header with this name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  /// The body parsed as JSON; throws when it is not JSON.
  sloe::json json() const;
};

/// The answers to a stream of raw bytes, and whether the server closed the connection.
struct Exchange {
  std::vector<Response> responses;
  bool closed = false;
};

class Client {
 public:
  /// Ends the engine's registration phase, like start() does.
  explicit Client(Engine& app, std::string remote_ip = "192.0.2.10");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response get(std::string_view target, Headers headers = {});
  Response head(std::string_view target, Headers headers = {});
  Response del(std::string_view target, Headers headers = {});
  Response post(std::string_view target, std::string_view body,
                std::string_view content_type = "application/json", Headers headers = {});
  Response put(std::string_view target, std::string_view body,
               std::string_view content_type = "application/json", Headers headers = {});
  Response patch(std::string_view target, std::string_view body,
                 std::string_view content_type = "application/json", Headers headers = {});
  /// Any method; adds Host and Content-Length.
  Response request(std::string_view method, std::string_view target, std::string_view body = {},
                   Headers headers = {});

  /// Sends `bytes` as they are on a fresh connection (pipelining, malformed input) and
  /// returns every answer.
  Exchange raw(std::string_view bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sloe::testing
