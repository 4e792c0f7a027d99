#pragma once

#include "sloe/context/handler.hpp"

namespace sloe {

/// Logs one access line per request through spdlog, after the rest of the chain ran:
/// `[sloe] 200 |    1.2ms | 127.0.0.1 | GET "/ping"`. Client data on the line (address,
/// method, path, query, error messages) is escaped as `sloe::log_escape` describes, so a
/// `%0a` in the path is logged as `\x0A` and cannot start a forged line.
Handler logger();

}  // namespace sloe
