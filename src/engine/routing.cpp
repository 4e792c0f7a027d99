// Request → handler chain, with Gin 1.8.1's engine semantics (gin.go handleHTTPRequest): the
// per-method trees, the raw-path and extra-slash options, trailing-slash and fixed-path
// redirects, 405 with the no-method chain, and the no-route fallback. sloe's deliberate
// differences from Gin: HEAD is served by GET routes (RFC 9110 §9.3.2), 405 carries an Allow
// header, X-Forwarded-Prefix is honoured only from trusted proxies and only when it is a clean
// absolute path, and a redirect Location never starts with "//".
//
// The hit path allocates nothing: the trees write params as views into the routed path, and the
// only copies (cleaned paths, unescaped raw-path values) go to the Context's reused scratch
// strings. Misses may allocate (redirect Locations, Allow lists).

#include <algorithm>
#include <string>

#include "engine/engine_core.hpp"
#include "http/url.hpp"
#include "router/path.hpp"

namespace sloe::detail {

namespace {

constexpr std::string_view kNotFoundBody = "404 page not found";
constexpr std::string_view kMethodNotAllowedBody = "405 method not allowed";

// An X-Forwarded-Prefix sloe puts in front of a redirect: absolute, already clean (a trailing
// slash allowed), no "//" that would make the Location scheme-relative, no control characters
// or backslashes.
bool is_safe_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.front() != '/') return false;
  for (char ch : prefix) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  return router::is_clean_path(prefix);
}

// Go's html.EscapeString as net/http's htmlEscape uses it.
void append_html_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace

RouteOutcome EngineCore::route(const http::Request& request, ContextState& s) {
  // "OPTIONS *" asks about the server, not a resource (RFC 9110 §9.3.7): Go's net/http answers
  // 200 before any handler runs, and so does sloe.
  if (request.target == "*") {
    s.status = 200;
    return {};
  }
  // Gin routes on URL.Path (decoded), or on URL.RawPath with UseRawPath when Go keeps one.
  std::string_view path = s.path;
  bool unescape = false;
  if (options_.use_raw_path && http::has_raw_path(request.path)) {
    path = request.path;
    unescape = options_.unescape_path_values;
  }
  if (options_.remove_extra_slash && !router::is_clean_path(path)) {
    std::string& cleaned = s.scratch.next();
    cleaned = router::clean_path(path);
    path = cleaned;
  }

  const http::MethodId method = request.method_id;
  const router::Tree* tree = tree_of(request);
  router::Match match;
  if (tree) match = tree->find(path, s.params);
  // RFC 9110 §9.3.2: HEAD is answered like GET when no HEAD route matches.
  const router::Tree* get_tree = nullptr;
  if (match.route == router::kNoRoute && method == http::kMethodHead) {
    get_tree = trees_[http::kMethodGet].get();
    if (get_tree) {
      router::Match via_get = get_tree->find(path, s.params);
      via_get.trailing_slash_redirect |= match.trailing_slash_redirect;
      match = via_get;
    }
  }

  if (match.route != router::kNoRoute) {
    if (unescape) {
      // Gin unescapes raw-path values with Go's url.QueryUnescape: '+' is a space, and a value
      // with a malformed escape stays as it was sent.
      for (Param& p : s.params) {
        if (!http::needs_decoding(p.value, true)) continue;
        std::string& decoded = s.scratch.next();
        if (http::percent_decode(p.value, decoded, true)) p.value = decoded;
      }
    }
    s.chain = &routes_[match.route].handlers;
    s.full_path = match.full_path;
    return {};
  }
  s.params.clear();

  // The miss path, in Gin's order: redirects (only where the method has routes), 405, 404.
  if ((tree || get_tree) && method != http::kMethodConnect && path != "/") {
    if (match.trailing_slash_redirect && options_.redirect_trailing_slash) {
      redirect_trailing_slash(request, s);
      return {};
    }
    if (options_.redirect_fixed_path) {
      if (tree && redirect_fixed_path(request, s, *tree)) return {};
      if (get_tree && redirect_fixed_path(request, s, *get_tree)) return {};
    }
  }

  if (options_.handle_method_not_allowed) {
    std::string allow = allowed_methods(path, s);
    if (!allow.empty()) {
      s.chain = &no_method_chain_;
      s.status = 405;
      s.response_headers.set("Allow", allow);
      return {.default_status = 405, .default_body = kMethodNotAllowedBody};
    }
  }

  s.chain = &no_route_chain_;
  s.status = 404;
  return {.default_status = 404, .default_body = kNotFoundBody};
}

std::string EngineCore::allowed_methods(std::string_view path, ContextState& s) const {
  bool get_matches = false, head_listed = false;
  std::string allow;
  auto list_if_matches = [&](std::string_view method, const router::Tree* tree) {
    if (!tree || method == s.request->method) return;
    std::size_t had = s.params.size();
    bool matches = tree->find(path, s.params).route != router::kNoRoute;
    s.params.resize(had);
    if (!matches) return;
    if (method == "GET") get_matches = true;
    if (method == "HEAD") head_listed = true;
    if (!allow.empty()) allow += ", ";
    allow += method;
  };
  for (http::MethodId id = 0; id < http::kMethodCount; ++id) {
    list_if_matches(http::method_name(id), trees_[id].get());
  }
  for (const auto& [name, tree] : extension_trees_) list_if_matches(name, tree.get());
  // sloe serves HEAD with the GET route, so a GET route allows HEAD too.
  if (get_matches && !head_listed && s.request->method_id != http::kMethodHead) allow += ", HEAD";
  return allow;
}

void EngineCore::redirect_trailing_slash(const http::Request& request, ContextState& s) {
  // Gin: p = X-Forwarded-Prefix + "/" + URL.Path, then the trailing slash toggled.
  std::string p;
  std::string_view prefix = request.header("x-forwarded-prefix");
  const auto& proxies = options_.trusted_proxies;
  if (!prefix.empty() && is_safe_prefix(prefix) &&
      std::find(proxies.begin(), proxies.end(), s.exchange->remote_ip()) != proxies.end()) {
    p.assign(prefix);
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    p += '/';
  }
  p += s.path;
  if (p.size() > 1 && p.back() == '/') {
    p.pop_back();
  } else {
    p += '/';
  }
  redirect(request, s, p);
}

bool EngineCore::redirect_fixed_path(const http::Request& request, ContextState& s,
                                     const router::Tree& tree) {
  std::optional<std::string> fixed = tree.find_case_insensitive(router::clean_path(s.path), true);
  if (!fixed) return false;
  redirect(request, s, *fixed);
  return true;
}

void EngineCore::redirect(const http::Request& request, ContextState& s,
                          std::string_view new_path) {
  // Gin: URL.Path = new_path; http.Redirect(w, r, URL.String(), code). URL.String() re-escapes
  // the path (keeping RawPath only when it still spells the path) and keeps the query;
  // http.Redirect cleans the path, keeping a trailing slash.
  std::string escaped;
  if (new_path == s.path && http::valid_encoded_path(request.path) &&
      http::has_raw_path(request.path)) {
    escaped.assign(request.path);
  } else {
    http::escape_path(new_path, escaped);
  }
  std::string location = router::clean_path(escaped);
  if (request.target.size() > request.path.size()) {  // a '?', even with an empty query
    location += '?';
    location += request.query;
  }

  const bool get = request.method_id == http::kMethodGet;
  s.chain = nullptr;
  s.status = get ? 301 : 307;
  s.response_headers.set("Location", location);
  if (get || request.method_id == http::kMethodHead) {
    s.response_headers.set("Content-Type", "text/html; charset=utf-8");
  }
  if (get) {
    s.body.assign("<a href=\"");
    append_html_escaped(s.body, location);
    s.body += "\">Moved Permanently</a>.\n\n";
  }
}

}  // namespace sloe::detail
