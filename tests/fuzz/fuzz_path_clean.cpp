// router::clean_path and router::join_paths against Go's path.Clean, written out here from Go's
// source (src/path/path.go), with Gin's additions on top:
//   clean_path(p)      = path.Clean("/" + p), plus a trailing '/' when p ends with '/' (and is
//                        longer than one byte) or its last element is "." (httprouter's
//                        CleanPath), unless the result is "/";
//   join_paths(a, r)   = r == "" ? a : path.Join(a, r), plus a '/' when r ends with one and the
//                        join does not (Gin's joinPaths).
// Input: the path; when it holds a '\n', also the two sides of the first one as (a, r).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "router/path.hpp"

namespace {

using sloe::fuzz::printable;

// Go's path.Clean, line for line: `buf` and `w` are its lazybuf (bytes past `w` stay readable,
// as Go's out.index(w) reads them).
std::string go_clean(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const std::size_t n = path.size();
  std::string buf(n + 1, '\0');
  std::size_t w = 0;
  auto append = [&](char c) { buf[w++] = c; };
  std::size_t r = 0;
  std::size_t dotdot = 0;
  if (rooted) {
    append('/');
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        --w;
        while (w > dotdot && buf[w] != '/') --w;
      } else if (!rooted) {
        if (w > 0) append('/');
        append('.');
        append('.');
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0)) append('/');
      for (; r < n && path[r] != '/'; ++r) append(path[r]);
    }
  }
  if (w == 0) return ".";
  return buf.substr(0, w);
}

// Go's path.Join for two elements.
std::string go_join(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return go_clean(b);
  if (b.empty()) return go_clean(a);
  std::string joined(a);
  joined.push_back('/');
  joined.append(b);
  return go_clean(joined);
}

std::string expected_clean(std::string_view path) {
  std::string rooted = "/";
  rooted.append(path);
  std::string out = go_clean(rooted);
  const bool last_is_dot = path == "." || path.ends_with("/.");
  const bool trailing = (path.size() > 1 && path.back() == '/') || last_is_dot;
  if (trailing && out != "/") out.push_back('/');
  return out;
}

std::string expected_join(std::string_view absolute, std::string_view relative) {
  if (relative.empty()) return std::string(absolute);
  std::string out = go_join(absolute, relative);
  if (relative.back() == '/' && (out.empty() || out.back() != '/')) out.push_back('/');
  return out;
}

void check_clean(std::string_view path) {
  const std::string got = sloe::router::clean_path(path);
  const std::string want = expected_clean(path);
  if (got != want) {
    sloe::fuzz::fail("clean_path(" + printable(path) + ") = " + printable(got) +
                     ", Go's rules give " + printable(want));
  }
  // Clean output is a fixed point.
  const std::string again = sloe::router::clean_path(got);
  if (again != got) {
    sloe::fuzz::fail("clean_path is not idempotent: clean_path(" + printable(got) +
                     ") = " + printable(again));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_clean(input);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view absolute = input.substr(0, newline);
  const std::string_view relative = input.substr(newline + 1);
  check_clean(absolute);
  check_clean(relative);
  const std::string got = sloe::router::join_paths(absolute, relative);
  const std::string want = expected_join(absolute, relative);
  if (got != want) {
    sloe::fuzz::fail("join_paths(" + printable(absolute) + ", " + printable(relative) +
                     ") = " + printable(got) + ", Go's path.Join and Gin's joinPaths give " +
                     printable(want));
  }
  return 0;
}
