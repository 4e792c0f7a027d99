#pragma once
// Looking up request values as Gin does, for Context and ContextCopy alike: path parameters,
// query parameters (Go's url.ParseQuery) and headers. Decoded strings go to a Scratch: a view
// returned stays valid as long as the scratch and the looked-up text.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "sloe/context/handler.hpp"

namespace sloe::detail {

class Scratch;  // context_state.hpp

/// A query component decoded as Go's url.QueryUnescape decodes it ('+' is a space): a view of
/// `raw` itself when nothing is escaped, otherwise one of `scratch`'s strings; nullopt for a
/// malformed escape.
std::optional<std::string_view> decode_component(std::string_view raw, Scratch& scratch);

/// The value of the first path parameter named `key`; empty when there is none.
std::string_view find_param(std::span<const Param> params, std::string_view key);

/// The first value of query parameter `key` in `raw_query` (Gin's c.GetQuery): names and values
/// decoded, a pair with a malformed escape skipped, as Go's url.ParseQuery does; nullopt when
/// there is none.
std::optional<std::string_view> get_query(std::string_view raw_query, std::string_view key,
                                          Scratch& scratch);

/// Every value of query parameter `key` in `raw_query`, in order (Gin's c.QueryArray), decoded
/// as get_query() decodes them.
std::vector<std::string_view> query_array(std::string_view raw_query, std::string_view key,
                                          Scratch& scratch);

/// The value of the first field named `name` (case-insensitive); empty when there is none.
/// `Field` is a name and a value: the request's http::Header, or a ContextCopy's pair of views.
template <class Field>
std::string_view find_header(std::span<const Field> fields, std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (http::iequals(field, name)) return value;
  }
  return {};
}

}  // namespace sloe::detail
