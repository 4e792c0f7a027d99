#pragma once
// Request ids and W3C trace ids: what follows a request into its logs and background work.

#include <string>
#include <string_view>

namespace sloe::detail {

/// 1-128 characters of `A-Za-z0-9._~:/+=-`: safe to log and to echo in a header.
bool is_sane_request_id(std::string_view id);

/// Replaces `out` with 32 random hex digits (no allocation once `out` has the capacity).
void generate_request_id(std::string& out);

/// The trace id of a valid `traceparent` header (sloe::parse_traceparent); empty otherwise.
std::string_view trace_id_of(std::string_view traceparent);

}  // namespace sloe::detail
