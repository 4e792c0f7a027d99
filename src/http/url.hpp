#pragma once
// Percent-decoding and query-string splitting with Go's net/url semantics, which Gin inherits.

#include <string>
#include <string_view>

namespace sloe::http {

/// True when `text` holds a '%' escape (or a '+' that means space, in a query component).
bool needs_decoding(std::string_view text, bool plus_as_space);

/// Appends the decoded `text` to `out`. Returns false on a malformed escape ("%zz", "%4").
bool percent_decode(std::string_view text, std::string& out, bool plus_as_space);

/// Appends `text` escaped for a query component, as Go's url.QueryEscape does: letters,
/// digits and `-_.~` stay, a space becomes '+', every other byte %XX.
void query_escape(std::string_view text, std::string& out);

/// Appends `path` escaped as Go's URL.EscapedPath escapes a path (escape(path, encodePath)):
/// letters, digits, '/' and `-_.~$&+,:;=@` stay, every other byte %XX. Unlike Go's
/// url.PathEscape, '/' is kept.
void escape_path(std::string_view path, std::string& out);

/// True when Go's net/url would keep a URL.RawPath for the request path `path`: escaping its
/// decoded form with escape_path does not give it back ("%2F", "%41", lower-case hex, a
/// malformed escape). Gin's UseRawPath routes on such a path as it was sent.
bool has_raw_path(std::string_view path);

/// Go's validEncoded(path, encodePath): whether URL.EscapedPath may return `path` as it is
/// (every byte a sub-delim, '%', or one escape_path keeps).
bool valid_encoded_path(std::string_view path);

/// Calls `visit(raw_key, raw_value)` for every `key=value` pair of a query string, in order;
/// pairs are separated by '&', a pair without '=' has an empty value, empty pairs are skipped.
template <class Visit>
void for_each_query_pair(std::string_view query, Visit&& visit) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      if (!visit(pair, std::string_view{})) return;
    } else if (!visit(pair.substr(0, eq), pair.substr(eq + 1))) {
      return;
    }
  }
}

}  // namespace sloe::http
