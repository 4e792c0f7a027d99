#pragma once
// Comma-separated header lists (RFC 9110 §5.6.1) as the built-in middleware reads and extends
// them: Vary, Accept-Encoding, Access-Control-Request-Headers.

#include <string>
#include <string_view>
#include <vector>

namespace sloe {
class Context;
}

namespace sloe::middleware {

/// Whether two header tokens are equal, ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);

/// Calls `fn(element)` for each non-empty element of a comma-separated list, with the
/// whitespace around it removed; stops early when `fn` returns false.
template <class Fn>
void for_each_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty() && !fn(element)) return;
  }
}

/// Adds `field` to the answer's Vary header, unless it is listed already or Vary is "*": a
/// cache must then keep apart answers to requests that differ in that field.
void add_vary(Context& c, std::string_view field);

/// "a, b, c".
std::string join(const std::vector<std::string>& items);

}  // namespace sloe::middleware
