#pragma once
// Where the Redis Streams job queue lives, shared by the process that enqueues (RedisJobQueue)
// and the one that consumes (Worker).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sloe/context/wire_format.hpp"

namespace sloe {

/// The Redis of a job queue and how its jobs are laid out in it. Producers and workers of one
/// queue must agree on `key_prefix` and on what `wire` carries.
struct RedisJobOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// The jobs named J go to the stream `<key_prefix>J`; those that failed `max_attempts` times
  /// to `<key_prefix>J:dead`; completions are recorded as `<key_prefix>J:done:<request id>`.
  std::string key_prefix = "sloe:jobs:";
  /// The longest a connect or one call may take; past it Redis counts as down.
  std::chrono::milliseconds timeout{200};
  /// After a failure, the wait before connecting again: doubling from `min_backoff` up to
  /// `max_backoff`, reset by a success.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
  /// What of each ContextCopy travels (keys, headers, body); null: a default WireFormat, which
  /// carries the request line, params, ids, trace and deadline only.
  std::shared_ptr<const WireFormat> wire{};
};

}  // namespace sloe
