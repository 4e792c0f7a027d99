// Context::before_send: hooks that see the answer last, just before its head is serialised,
// whichever way it is produced (plain, coroutine, deferred, streamed). The two places that
// serialise a head call ContextAccess::before_send: finish() and a stream's first flush().

#include <spdlog/spdlog.h>

#include "context/context_state.hpp"
#include "sloe/context/context.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

void Context::before_send(std::function<void(Context&, OutgoingAnswer&)> fn) {
  check();
  state_->before_send.push_back(std::move(fn));
}

namespace detail {

void ContextAccess::before_send(Context& c, OutgoingAnswer::Kind kind) {
  ContextState& s = *c.state_;
  OutgoingAnswer answer{.kind = kind, .body = s.body};
  // Last added first: the hook of the outermost middleware sees what the inner ones made of
  // the answer, as its code after c.next() would. A hook may add another; that one runs too.
  while (!s.before_send.empty()) {
    std::function<void(Context&, OutgoingAnswer&)> hook = std::move(s.before_send.back());
    s.before_send.pop_back();
    try {
      hook(c, answer);
    } catch (const std::exception& e) {
      spdlog::error("sloe: a before_send hook for {} {} threw: {}", log_escaped(c.method()),
                    log_escaped(c.path()), log_escaped(e.what()));
    } catch (...) {
      spdlog::error("sloe: a before_send hook for {} {} threw", log_escaped(c.method()),
                    log_escaped(c.path()));
    }
  }
}

}  // namespace detail
}  // namespace sloe
