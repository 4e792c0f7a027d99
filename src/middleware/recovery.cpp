#include "sloe/middleware/recovery.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "context/context_state.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {
void answer_500(Context& c, std::string_view what) {
  spdlog::error("[sloe] recovered from an exception in {} {}: {}", c.method(), c.path(), what);
  detail::ContextState& s = detail::ContextAccess::state(c);
  s.response_headers.clear();
  s.body.clear();
  c.abort_with_status(500);
}
}  // namespace

Handler recovery() {
  return [](Context& c) {
    try {
      c.next();
    } catch (const std::exception& e) {
      answer_500(c, e.what());
    } catch (...) {
      answer_500(c, "an exception not derived from std::exception");
    }
  };
}

}  // namespace sloe
