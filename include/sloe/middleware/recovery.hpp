#pragma once

#include "sloe/context/handler.hpp"

namespace sloe {

/// Turns an exception escaping the rest of the chain into a 500 answer and an error log line
/// with the request's method and path; the server keeps serving (Gin's `gin.Recovery()`).
Handler recovery();

}  // namespace sloe
