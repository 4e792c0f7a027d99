#pragma once
// Looking up request values the way Gin does; decoded strings go to a Scratch.

#include <optional>
#include <string_view>

namespace sloe::detail {

class Scratch;  // context_state.hpp

/// A query component decoded as Go's url.QueryUnescape decodes it ('+' is a space): a view of
/// `raw` itself when nothing is escaped, otherwise one of `scratch`'s strings; nullopt for a
/// malformed escape.
std::optional<std::string_view> decode_component(std::string_view raw, Scratch& scratch);

}  // namespace sloe::detail
