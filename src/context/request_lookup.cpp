#include "context/request_lookup.hpp"

#include <string>

#include "context/context_state.hpp"
#include "http/url.hpp"

namespace sloe::detail {

namespace {

bool key_matches(std::string_view raw_key, std::string_view key) {
  if (!http::needs_decoding(raw_key, true)) return raw_key == key;
  std::string decoded;
  return http::percent_decode(raw_key, decoded, true) && decoded == key;
}

}  // namespace

std::optional<std::string_view> decode_component(std::string_view raw, Scratch& scratch) {
  if (!http::needs_decoding(raw, true)) return raw;
  std::string& out = scratch.next();
  if (!http::percent_decode(raw, out, true)) return std::nullopt;
  return std::string_view(out);
}

std::string_view find_param(std::span<const Param> params, std::string_view key) {
  for (const Param& p : params) {
    if (p.key == key) return p.value;
  }
  return {};
}

std::optional<std::string_view> get_query(std::string_view raw_query, std::string_view key,
                                          Scratch& scratch) {
  std::optional<std::string_view> found;
  http::for_each_query_pair(raw_query, [&](std::string_view k, std::string_view v) {
    if (!key_matches(k, key)) return true;
    found = decode_component(v, scratch);
    return !found.has_value();  // a malformed value is skipped, like Go's ParseQuery
  });
  return found;
}

std::vector<std::string_view> query_array(std::string_view raw_query, std::string_view key,
                                          Scratch& scratch) {
  std::vector<std::string_view> values;
  http::for_each_query_pair(raw_query, [&](std::string_view k, std::string_view v) {
    if (key_matches(k, key)) {
      if (auto value = decode_component(v, scratch)) values.push_back(*value);
    }
    return true;
  });
  return values;
}

}  // namespace sloe::detail
