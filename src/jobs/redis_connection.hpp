#pragma once
// One blocking hiredis connection with reconnect-with-backoff, for a thread of the job queue's
// own (never a request worker): the writer of RedisJobQueue, each consumer thread of Worker.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sloe::detail {

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

/// The text of a string, status or error reply; empty for anything else.
std::string_view reply_text(const redisReply* reply);

class RedisConnection {
 public:
  using clock = std::chrono::steady_clock;

  /// `who` names the user in log lines ("job queue", "worker"). Calls may take up to
  /// `call_timeout` (longer than `connect_timeout` for a blocking read).
  RedisConnection(std::string who, std::string host, std::uint16_t port,
                  std::chrono::milliseconds connect_timeout, std::chrono::milliseconds call_timeout,
                  std::chrono::milliseconds min_backoff, std::chrono::milliseconds max_backoff);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// True when connected, or connected now; false while waiting out the backoff after a failure
  /// or when this try failed.
  bool ready();
  /// Sends one command; null (the connection dropped, backoff started) on an I/O error or a
  /// timeout. An error reply is returned as it is.
  RedisReply call(const std::vector<std::string_view>& arguments);
  RedisReply call(std::initializer_list<std::string_view> arguments) {
    return call(std::vector<std::string_view>(arguments));
  }
  /// Drops the connection and starts waiting out the backoff; warns once on the way down.
  /// `reason` is taken by value: it often comes from the connection this frees.
  void went_down(std::string reason);

  bool connected() const { return redis_ != nullptr; }
  /// When ready() will try to connect again.
  clock::time_point retry_at() const { return retry_at_; }
  /// Connections made after the first one.
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  std::string who_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds call_timeout_;
  std::chrono::milliseconds min_backoff_;
  std::chrono::milliseconds max_backoff_;
  std::chrono::milliseconds backoff_;
  redisContext* redis_ = nullptr;
  clock::time_point retry_at_{};
  bool down_ = false;
  bool ever_connected_ = false;
  std::uint64_t reconnects_ = 0;
};

}  // namespace sloe::detail
