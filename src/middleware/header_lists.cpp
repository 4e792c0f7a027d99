#include "middleware/header_lists.hpp"

#include <algorithm>

#include "sloe/context/context.hpp"

namespace sloe::middleware {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? char(ch - 'A' + 'a') : ch; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

void add_vary(Context& c, std::string_view field) {
  std::string_view vary = c.response_header("Vary");
  bool listed = false;
  for_each_element(vary, [&](std::string_view element) {
    listed = element == "*" || equals_ignoring_case(element, field);
    return !listed;
  });
  if (listed) return;
  if (vary.empty()) {
    c.header("Vary", field);
  } else {
    std::string value(vary);
    value.append(", ").append(field);
    c.header("Vary", value);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace sloe::middleware
