#pragma once

#include <string_view>

namespace sloe {

/// The SameSite attribute of a cookie; `unset` sends none (the browser's default).
enum class SameSite { unset, lax, strict, none };

/// Everything of a Set-Cookie header besides name and value (Gin's SetCookie arguments):
///
///   c.set_cookie("session", id, {.max_age = 3600, .http_only = true,
///                                .same_site = sloe::SameSite::lax});
struct CookieOptions {
  int max_age = 0;  // seconds; 0: a session cookie; negative: delete it now ("Max-Age=0")
  std::string_view path = "/";
  std::string_view domain = {};  // empty: the host that answered
  bool secure = false;
  bool http_only = false;
  SameSite same_site = SameSite::unset;
};

}  // namespace sloe
