#pragma once

#include <chrono>
#include <cstdint>

#include "sloe/context/handler.hpp"

namespace sloe {

/// Gives the rest of the chain `limit` to answer, like gin-contrib/timeout, per group or route:
///
///   auto api = app.group("/api", sloe::timeout(std::chrono::seconds(1)));
///
/// A request answered later (a coroutine handler, c.defer()) that has not answered by the
/// deadline gets 503 "request deadline exceeded" then, its scope() is cancelled, and its late
/// answer is dropped. A plain handler cannot be interrupted: one that returns after the
/// deadline has its answer replaced by the same 503. A stream that started in time goes on
/// (its scope is cancelled at the deadline; a step can check it). The innermost timeout of a
/// chain is the one that counts. Throws std::invalid_argument for a limit that is not positive.
Handler timeout(std::chrono::milliseconds limit);

/// Requests answered 503 by the deadline of a sloe::timeout() since the process started, for
/// metrics.
std::uint64_t timed_out_requests();

}  // namespace sloe
