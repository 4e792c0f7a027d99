#include "context/request_lookup.hpp"

#include "context/context_state.hpp"
#include "http/url.hpp"

namespace sloe::detail {

std::optional<std::string_view> decode_component(std::string_view raw, Scratch& scratch) {
  if (!http::needs_decoding(raw, true)) return raw;
  std::string& out = scratch.next();
  if (!http::percent_decode(raw, out, true)) return std::nullopt;
  return std::string_view(out);
}

}  // namespace sloe::detail
