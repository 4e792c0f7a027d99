// router::Tree against a slow reference matcher written here. Input (text): route patterns, one
// a line, up to an empty line; then paths to look up, one a line. Patterns the tree refuses
// (RouteConflict) are left out, and the tree must then be as if they were never added.
//
// The reference reads a pattern as the tree's rules define it: a wildcard runs from ':' or '*'
// to the next '/'; `:name` matches the bytes up to the next '/' (an empty value only where a '/'
// follows, as in Gin), `/*name` at the end matches a '/' and everything after it (the value
// keeps the '/'). Checked for every path:
//  - soundness: a route the tree finds matches the path by the reference, with the same
//    parameters in pattern order, and `full_path` is its pattern; a miss leaves params alone;
//  - priority: the route found is the first of all matching routes when static bytes go before
//    wildcards at the first place two patterns differ (Gin's static-first lookup);
//  - completeness, for tables where no pattern has a static byte where another has a wildcard
//    (no backtracking, where Gin's lookup gives up early on purpose): the tree finds the route
//    the reference finds, and a case-insensitive fix it suggests is a path that routes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "router/tree.hpp"
#include "sloe/errors.hpp"

namespace {

using sloe::fuzz::fail;
using sloe::fuzz::printable;
using sloe::router::Params;

constexpr std::size_t kMaxRoutes = 16;
constexpr std::size_t kMaxPaths = 16;
constexpr std::size_t kMaxLine = 120;

// One element of a pattern: a literal byte, or a wildcard with its name.
struct Token {
  enum Kind : std::uint8_t { byte, param, catch_all } kind = byte;
  char c = 0;
  std::string_view name;
};

struct Pattern {
  std::string_view text;
  std::vector<Token> tokens;
};

Pattern tokenize(std::string_view text) {
  Pattern p{text, {}};
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != ':' && text[i] != '*') {
      p.tokens.push_back({Token::byte, text[i], {}});
      ++i;
      continue;
    }
    std::size_t end = text.find('/', i);
    if (end == std::string_view::npos) end = text.size();
    if (text[i] == '*') {
      // "/*name": the '/' before it belongs to the catch-all's value.
      p.tokens.pop_back();
      p.tokens.push_back({Token::catch_all, 0, text.substr(i + 1, end - i - 1)});
    } else {
      p.tokens.push_back({Token::param, 0, text.substr(i + 1, end - i - 1)});
    }
    i = end;
  }
  return p;
}

// Whether `p` matches all of `path`; its parameters appended to `params` if so.
bool matches(const Pattern& p, std::string_view path, Params& params) {
  std::size_t at = 0;
  for (const Token& t : p.tokens) {
    switch (t.kind) {
      case Token::byte:
        if (at >= path.size() || path[at] != t.c) return false;
        ++at;
        break;
      case Token::param: {
        std::size_t end = path.find('/', at);
        if (end == std::string_view::npos) {
          end = path.size();
          if (end == at) return false;  // an empty value only where a '/' follows
        }
        params.push_back({t.name, path.substr(at, end - at)});
        at = end;
        break;
      }
      case Token::catch_all:
        if (at >= path.size() || path[at] != '/') return false;
        params.push_back({t.name, path.substr(at)});
        at = path.size();
        break;
    }
  }
  return at == path.size();
}

// Where two patterns first differ, a literal byte against a wildcard: -1 when `a` has the
// byte, 1 when `b` has it, 0 when they never differ that way.
int static_first(const Pattern& a, const Pattern& b) {
  const std::size_t n = std::min(a.tokens.size(), b.tokens.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Token& x = a.tokens[i];
    const Token& y = b.tokens[i];
    if (x.kind == Token::byte && y.kind == Token::byte) {
      if (x.c != y.c) return 0;
      continue;
    }
    if (x.kind == Token::byte) return -1;
    if (y.kind == Token::byte) return 1;
    if (x.kind != y.kind || x.name != y.name) return 0;
  }
  return 0;
}

std::string describe(const Params& params) {
  std::string out = "[";
  for (const auto& p : params) out += printable(p.key) + "=" + printable(p.value) + " ";
  return out + "]";
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  while (!input.empty()) {
    const std::size_t newline = input.find('\n');
    lines.push_back(input.substr(0, std::min(newline, kMaxLine)));
    input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  }

  sloe::router::Tree tree;
  std::vector<Pattern> routes;  // the accepted ones; route id = index
  std::size_t line = 0;
  std::string table = "routes:";
  for (; line < lines.size() && !lines[line].empty(); ++line) {
    if (routes.size() == kMaxRoutes) continue;
    try {
      tree.add(lines[line], static_cast<std::uint32_t>(routes.size()));
    } catch (const sloe::RouteConflict&) {
      continue;
    }
    routes.push_back(tokenize(lines[line]));
    table += " " + printable(lines[line]);
  }
  bool unambiguous = true;
  for (std::size_t a = 0; a < routes.size(); ++a) {
    for (std::size_t b = a + 1; b < routes.size(); ++b) {
      if (static_first(routes[a], routes[b]) != 0) unambiguous = false;
    }
  }

  Params params;
  std::size_t looked_up = 0;
  for (++line; line < lines.size() && looked_up < kMaxPaths; ++line, ++looked_up) {
    const std::string_view path = lines[line];
    const std::string where = table + "\npath " + printable(path);

    // The reference: every route that matches, with its parameters.
    std::vector<std::size_t> matching;
    std::vector<Params> expected(routes.size());
    for (std::size_t r = 0; r < routes.size(); ++r) {
      if (matches(routes[r], path, expected[r])) matching.push_back(r);
    }

    params.clear();
    params.push_back({"sentinel", "kept"});
    const sloe::router::Match m = tree.find(path, params);
    if (m.route == sloe::router::kNoRoute) {
      if (params.size() != 1) fail("a miss changed the params: " + where);
      if (unambiguous && !matching.empty()) {
        fail("the tree misses route " + printable(routes[matching.front()].text) + " (params " +
             describe(expected[matching.front()]) + "): " + where);
      }
    } else {
      if (m.route >= routes.size()) fail("the tree found an unknown route id: " + where);
      const Pattern& found = routes[m.route];
      if (m.full_path != found.text) {
        fail("full_path " + printable(m.full_path) + " for route " + printable(found.text) + ": " +
             where);
      }
      if (std::find(matching.begin(), matching.end(), m.route) == matching.end()) {
        fail("the tree found " + printable(found.text) + ", which does not match: " + where);
      }
      const Params got(params.begin() + 1, params.end());
      if (got != expected[m.route]) {
        fail("params " + describe(got) + " for " + printable(found.text) + ", expected " +
             describe(expected[m.route]) + ": " + where);
      }
      for (std::size_t other : matching) {
        if (static_first(routes[other], found) < 0) {
          fail("the tree found " + printable(found.text) + " but " + printable(routes[other].text) +
               " has a static byte where it has a wildcard: " + where);
        }
      }
    }

    for (bool fix_trailing_slash : {false, true}) {
      const std::optional<std::string> fixed = tree.find_case_insensitive(path, fix_trailing_slash);
      if (!fixed || !unambiguous) continue;
      Params fixed_params;
      if (tree.find(*fixed, fixed_params).route == sloe::router::kNoRoute) {
        fail("find_case_insensitive suggests " + printable(*fixed) +
             ", which does not route: " + where);
      }
      if (ascii(path) && ascii(*fixed)) {
        std::string a = ascii_lower(path);
        std::string b = ascii_lower(*fixed);
        if (fix_trailing_slash && a != b) {
          if (!a.empty() && a.back() == '/') {
            a.pop_back();
          } else {
            a.push_back('/');
          }
        }
        if (a != b) {
          fail("find_case_insensitive suggests " + printable(*fixed) + ", which is not the path " +
               "in other case: " + where);
        }
      }
    }
  }
  return 0;
}
