#pragma once
// Feeds raw request bytes to an engine the way a connection does: the same Session and the
// same EngineCore::handle, with the answers written to the session's output buffer. Used by
// the request-path benchmark and the allocation tests.

#include <sloe/sloe.hpp>

#include <string>
#include <string_view>

#include "context/context_state.hpp"
#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "http/session.hpp"

namespace sloe::bench {

class EnginePipe final : public http::Dispatcher {
 public:
  explicit EnginePipe(Engine& app)
      : core_(sloe::detail::EngineAccess::core(app)), session_(core_.limits(), *this) {
    core_.freeze();
  }
  http::Outcome dispatch(const http::Request& request, http::ResponseFraming framing,
                         std::string& out) override {
    return core_.handle(request, framing, out, pool_, {"127.0.0.1", nullptr});
  }
  // The bytes are copied into a buffer the session does not own, as a connection reads into
  // its worker's buffer. Returns the size of the answer, which is then dropped.
  std::size_t send(std::string_view bytes) {
    session_.process(read_buffer(bytes));
    const std::size_t written = session_.output().size();
    session_.output().clear();
    return written;
  }
  // The answer to `bytes`, kept.
  std::string answer(std::string_view bytes) {
    session_.process(read_buffer(bytes));
    std::string out = session_.output();
    session_.output().clear();
    return out;
  }

 private:
  std::span<char> read_buffer(std::string_view bytes) {
    buffer_.assign(bytes);
    return buffer_;
  }

  detail::EngineCore& core_;
  std::string buffer_;
  detail::ContextPool pool_;
  http::Session session_;
};

}  // namespace sloe::bench
