#include "sloe/middleware/recovery.hpp"

#include <exception>

#include "sloe/context/context.hpp"

namespace sloe {

Handler recovery() {
  return [](Context& c) {
    try {
      c.next();
    } catch (...) {
      c.abort_with_exception(std::current_exception());
    }
  };
}

}  // namespace sloe
