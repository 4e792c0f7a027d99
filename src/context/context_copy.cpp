#include "sloe/context/context_copy.hpp"

#include "http/request.hpp"
#include "http/url.hpp"

namespace sloe {

std::string_view ContextCopy::param(std::string_view key) const {
  for (const auto& [name, value] : params_) {
    if (name == key) return value;
  }
  return {};
}

std::optional<std::string> ContextCopy::get_query(std::string_view key) const {
  std::optional<std::string> found;
  http::for_each_query_pair(raw_query_, [&](std::string_view k, std::string_view v) {
    std::string name;
    if (!http::percent_decode(k, name, true) || name != key) return true;
    std::string value;
    if (http::percent_decode(v, value, true)) found = std::move(value);
    return !found.has_value();
  });
  return found;
}

std::string ContextCopy::query(std::string_view key) const {
  return get_query(key).value_or("");
}

std::string_view ContextCopy::header(std::string_view name) const {
  for (const auto& [field, value] : headers_) {
    if (http::iequals(field, name)) return value;
  }
  return {};
}

}  // namespace sloe
