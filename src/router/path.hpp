#pragma once
// URL path helpers with Gin's semantics: canonical request paths and route-group joining.

#include <string>
#include <string_view>

namespace sloe::router {

/// The canonical form of a URL path, as Gin's cleanPath: repeated slashes collapse, "."
/// elements go, ".." removes the element before it (never climbing above the root), a leading
/// '/' is added when missing, a trailing slash is kept. "" becomes "/".
std::string clean_path(std::string_view path);

/// Whether clean_path would return `path` unchanged, found without building the cleaned copy:
/// it starts with '/' and has no "//", "." or ".." elements.
bool is_clean_path(std::string_view path);

/// `relative` appended to the group prefix `absolute`, cleaned as Go's path.Join does, with a
/// trailing slash kept when `relative` ends with one (Gin's joinPaths). "" joins to `absolute`.
std::string join_paths(std::string_view absolute, std::string_view relative);

}  // namespace sloe::router
