#pragma once
// The shared state behind sloe::Responder: filled by whichever thread answers first, delivered
// to the Context on its worker thread.

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sloe/async/executor.hpp"
#include "sloe/context/context.hpp"

namespace sloe::detail {

struct ResponderCore : std::enable_shared_from_this<ResponderCore> {
  ResponderCore(std::shared_ptr<Executor> executor, Context& context, std::uint64_t generation)
      : executor(std::move(executor)), context(&context), generation(generation) {}

  /// Records the answer and sends it to the worker; false when one was given already.
  bool complete(int status, std::string_view content_type, std::string_view body);
  /// On the worker thread: copies the answer into the Context and finishes the request.
  void deliver();

  std::mutex mutex;
  bool answered = false;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::shared_ptr<Executor> executor;
  Context* context;  // pooled: outlives the request; `generation` says whether it is still ours
  std::uint64_t generation;
};

/// What Responder copies share: the last one to go answers 500 if nobody answered.
struct ResponderOwner {
  explicit ResponderOwner(std::shared_ptr<ResponderCore> core) : core(std::move(core)) {}
  ~ResponderOwner();
  std::shared_ptr<ResponderCore> core;
};

}  // namespace sloe::detail
