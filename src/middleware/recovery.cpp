#include "sloe/middleware/recovery.hpp"

#include <exception>

#include "context/context_state.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

Handler recovery() {
  return [](Context& c) {
    try {
      c.next();
    } catch (...) {
      // Gin's recovery answers an empty 500.
      detail::ContextAccess::answer_exception(c, std::current_exception(), "");
    }
  };
}

}  // namespace sloe
