#pragma once
// The shared thread that fires scope deadlines, seen from sloe's own tests and diagnostics.

#include <cstddef>

namespace sloe::detail {

/// Number of deadlines waiting in the shared timer thread (leak tests, diagnostics).
std::size_t pending_deadlines();
/// Whether the shared deadline thread is running.
bool deadline_thread_running();
/// Stops and joins the shared deadline thread; the next scope with a deadline of its own starts
/// it again, and pending deadlines fire then. Also done at exit. Must not be called from an
/// on_cancel callback run by a deadline.
void stop_deadline_thread();

}  // namespace sloe::detail
