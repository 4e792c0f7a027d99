#include "auth/authorization_header.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sloe::auth {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::optional<std::string_view> credentials_for(std::string_view authorization,
                                                std::string_view scheme) {
  std::size_t space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), scheme)) {
    return std::nullopt;
  }
  std::string_view credentials = authorization.substr(space);
  credentials.remove_prefix(std::min(credentials.find_first_not_of(' '), credentials.size()));
  if (credentials.empty()) return std::nullopt;
  return credentials;
}

bool is_token68(std::string_view credentials) {
  std::size_t end = credentials.find_last_not_of('=');
  if (end == std::string_view::npos) return false;  // empty, or nothing but '='
  return std::all_of(credentials.begin(), credentials.begin() + end + 1, [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_' ||
           ch == '~' || ch == '+' || ch == '/';
  });
}

std::string quoted_string(std::string_view text) {
  std::string quoted = "\"";
  for (char ch : text) {
    auto byte = static_cast<unsigned char>(ch);
    if ((byte < 0x20 && ch != '\t') || byte == 0x7F) {
      throw std::invalid_argument("sloe auth: a realm cannot hold control characters");
    }
    if (ch == '"' || ch == '\\') quoted.push_back('\\');
    quoted.push_back(ch);
  }
  quoted.push_back('"');
  return quoted;
}

}  // namespace sloe::auth
