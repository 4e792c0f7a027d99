#pragma once

#include "sloe/context/handler.hpp"

namespace sloe {

/// Logs one access line per request through spdlog, after the rest of the chain ran:
/// `[sloe] 200 |    1.2ms | 127.0.0.1 | GET "/ping"`.
Handler logger();

}  // namespace sloe
