// RouterGroup's static routes, Gin's StaticFile and Static: GET and HEAD routes whose handlers
// answer with the Context's file answers, as a user's handler would.

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "router/path.hpp"
#include "sloe/context/context.hpp"
#include "sloe/router/router_group.hpp"

namespace sloe {

namespace {

void require_no_parameters(std::string_view caller, std::string_view relative_path) {
  if (relative_path.find_first_of(":*") != std::string_view::npos) {
    throw std::invalid_argument(fmt::format(
        "sloe::RouterGroup::{}: \"{}\" has a ':' or '*'; URL parameters cannot be used when "
        "serving static files",
        caller, relative_path));
  }
}

}  // namespace

RouterGroup& RouterGroup::static_file(std::string_view relative_path, std::string path) {
  require_no_parameters("static_file", relative_path);
  auto serve = [path = std::move(path)](Context& c) { c.file(path); };
  get(relative_path, serve);
  return head(relative_path, serve);
}

RouterGroup& RouterGroup::static_dir(std::string_view relative_path, std::string root) {
  require_no_parameters("static_dir", relative_path);
  const std::string pattern = router::join_paths(relative_path, "/*filepath");
  auto serve = [root = std::move(root)](Context& c) { c.file_from_dir(root, c.param("filepath")); };
  get(pattern, serve);
  return head(pattern, serve);
}

}  // namespace sloe
