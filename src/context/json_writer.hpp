#pragma once
// Writes JsonFields straight into a response body, as sloe::json's dump would write them.

#include <string>
#include <string_view>

#include "sloe/context/json.hpp"

namespace sloe::detail {

/// Appends `fields` to `out` as one JSON object; no allocation beyond `out`'s growth for up to
/// 16 fields a level holding nulls, bools, numbers, valid UTF-8 strings and nested JsonFields.
void append_json(std::string& out, JsonFields fields);

/// Well-formed UTF-8 (RFC 3629, Unicode table 3-7: no overlong forms, no surrogates), what
/// nlohmann's decoder accepts.
bool is_valid_utf8(std::string_view text);

/// sloe::json's dump as every response writes it: compact, invalid UTF-8 replaced.
std::string dump_json(const sloe::json& value);

}  // namespace sloe::detail
