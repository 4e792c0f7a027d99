#pragma once
// Feeds raw request bytes to an engine the way a connection does: the same Session and the
// same request handler, reading from a lent buffer as a connection reads from its worker's.
// Used by the request-path benchmark and the allocation tests.

#include <sloe/sloe.hpp>

#include <cstring>
#include <string>
#include <string_view>

#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "http/session.hpp"

namespace sloe::bench {

class EnginePipe final : public http::Transport {
 public:
  explicit EnginePipe(Engine& app)
      : core_(sloe::detail::EngineAccess::core(app)),
        handler_(core_),
        session_(core_.limits(), handler_, *this, "127.0.0.1") {
    core_.freeze();
  }
  void output_ready() override {}
  const std::shared_ptr<Executor>& executor() override { return executor_; }

  // Returns the size of the answer, which is then dropped.
  std::size_t send(std::string_view bytes) {
    session_.process(read_buffer(bytes), bytes.size());
    const std::size_t written = session_.output().size();
    session_.output().clear();
    return written;
  }
  // The answer to `bytes`, kept.
  std::string answer(std::string_view bytes) {
    session_.process(read_buffer(bytes), bytes.size());
    std::string out;
    session_.output().drain_into(out);
    return out;
  }

 private:
  http::ReadBuffer& read_buffer(std::string_view bytes) {
    if (!buffer_.data || buffer_.capacity < bytes.size()) {
      buffer_.capacity = std::max<std::size_t>(bytes.size(), 64 * 1024);
      buffer_.data = std::make_unique_for_overwrite<char[]>(buffer_.capacity);
    }
    std::memcpy(buffer_.data.get(), bytes.data(), bytes.size());
    return buffer_;
  }

  detail::EngineCore& core_;
  detail::EngineRequestHandler handler_;
  std::shared_ptr<Executor> executor_;
  http::ReadBuffer buffer_;
  http::Session session_;
};

}  // namespace sloe::bench
