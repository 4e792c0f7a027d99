// Cookies: reading the request's (Context::cookie) and adding Set-Cookie to the response
// (Context::set_cookie), with Go's net/http rules.

#include "sloe/context/context.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "context/context_state.hpp"
#include "context/request_lookup.hpp"
#include "http/url.hpp"

namespace sloe {

using detail::decode_component;

std::optional<std::string_view> Context::cookie(std::string_view name) const {
  check();
  for (const http::Header& h : state_->request->headers) {
    if (!http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      std::size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return decode_component(value, state_->scratch).value_or(value);
    }
  }
  return std::nullopt;
}

namespace {

// Go's sanitizeCookiePath drops these bytes; sloe refuses them instead of sending another path.
bool is_cookie_path(std::string_view path) {
  return std::ranges::none_of(path, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == ';';
  });
}

bool is_cookie_domain(std::string_view domain) {
  return std::ranges::all_of(domain, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == ':';
  });
}

}  // namespace

void Context::set_cookie(std::string_view name, std::string_view value,
                         const CookieOptions& options) {
  check();
  detail::require_token("sloe::Context::set_cookie", name);
  if (!is_cookie_path(options.path) || !is_cookie_domain(options.domain)) {
    throw std::invalid_argument(fmt::format(
        "sloe::Context::set_cookie: cookie \"{}\" has a path or domain with characters a "
        "Set-Cookie header cannot carry (path \"{}\", domain \"{}\")",
        name, options.path, options.domain));
  }
  // Go's http.Cookie.String, attribute for attribute.
  std::string& header = state_->scratch.next();
  header.append(name).push_back('=');
  http::query_escape(value, header);
  header.append("; Path=").append(options.path.empty() ? "/" : options.path);
  std::string_view domain = options.domain;
  if (domain.starts_with('.')) domain.remove_prefix(1);
  if (!domain.empty()) header.append("; Domain=").append(domain);
  if (options.max_age > 0)
    fmt::format_to(std::back_inserter(header), "; Max-Age={}", options.max_age);
  if (options.max_age < 0) header.append("; Max-Age=0");
  if (options.http_only) header.append("; HttpOnly");
  if (options.secure) header.append("; Secure");
  switch (options.same_site) {
    case SameSite::unset:
      break;
    case SameSite::lax:
      header.append("; SameSite=Lax");
      break;
    case SameSite::strict:
      header.append("; SameSite=Strict");
      break;
    case SameSite::none:
      header.append("; SameSite=None");
      break;
  }
  state_->response_headers.add("Set-Cookie", header);
}

}  // namespace sloe
