#include "router/path.hpp"

namespace sloe::router {

namespace {

// Appends the elements of `path` to `out`, whose first `floor` bytes ("/" or nothing) stay:
// empty and "." elements vanish and ".." drops the element before it. A ".." with nothing to
// drop vanishes too, unless `keep_leading_dotdot` (a relative path, as Go's path.Clean keeps).
void append_elements(std::string& out, std::size_t floor, std::string_view path,
                     bool keep_leading_dotdot) {
  std::size_t fixed = floor;  // out[0, fixed) can no longer be dropped by ".."
  std::size_t r = 0;
  while (r < path.size()) {
    std::size_t end = path.find('/', r);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view elem = path.substr(r, end - r);
    r = end + 1;
    if (elem.empty() || elem == ".") continue;
    if (elem == "..") {
      if (out.size() > fixed) {
        const std::size_t slash = out.rfind('/');
        out.resize(slash == std::string::npos || slash < fixed ? fixed : slash);
      } else if (keep_leading_dotdot) {
        if (out.size() > floor) out.push_back('/');
        out.append("..");
        fixed = out.size();
      }
      continue;
    }
    if (out.size() > floor) out.push_back('/');
    out.append(elem);
  }
}

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return "/";
  std::string out;
  out.reserve(path.size() + 1);
  out.push_back('/');
  append_elements(out, 1, path, false);
  // A trailing slash survives, and so does the one a final "." implies; a final ".." does not.
  const bool trailing =
      (path.size() > 1 && path.back() == '/') || path == "." || path.ends_with("/.");
  if (trailing && out.size() > 1) out.push_back('/');
  return out;
}

bool is_clean_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '/') continue;
    std::string_view rest = path.substr(i + 1);
    if (rest.starts_with('/')) return false;
    std::string_view element = rest.substr(0, rest.find('/'));
    if (element == "." || element == "..") return false;
  }
  return true;
}

std::string join_paths(std::string_view absolute, std::string_view relative) {
  if (relative.empty()) return std::string(absolute);
  // Go's path.Join: the non-empty parts joined by '/', then cleaned; "" cleans to ".".
  std::string joined(absolute);
  if (!joined.empty()) joined.push_back('/');
  joined.append(relative);
  const bool rooted = joined.front() == '/';
  std::string out;
  out.reserve(joined.size() + 1);
  if (rooted) out.push_back('/');
  append_elements(out, out.size(), joined, !rooted);
  if (out.empty()) out.push_back('.');  // (not `out = "."`: GCC 12 -Wrestrict false positive)
  if (relative.back() == '/' && out.back() != '/') out.push_back('/');
  return out;
}

}  // namespace sloe::router
