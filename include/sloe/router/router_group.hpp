#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "sloe/context/handler.hpp"

namespace sloe {

namespace detail {
class RouteRegistry;
}  // namespace detail

/// A set of routes under one path prefix that share middleware (Gin's `RouterGroup`).
///
///   auto v1 = app.group("/v1", auth);
///   v1.get("/items/:id", show_item);    // GET /v1/items/:id runs auth, then show_item
class RouterGroup {
 public:
  /// A nested group: its prefix is joined to this one's, its middleware runs after this one's.
  template <class... Handlers>
  RouterGroup group(std::string_view relative_path, Handlers&&... middleware) {
    return make_group(relative_path, chain(std::forward<Handlers>(middleware)...));
  }
  /// Adds middleware to this group, for the routes registered after the call.
  template <class... Handlers>
  RouterGroup& use(Handlers&&... middleware) {
    add_middleware(chain(std::forward<Handlers>(middleware)...));
    return *this;
  }

  /// Registers `handlers` for `method` at `relative_path` below this group's prefix. Any HTTP
  /// token is a method ("PROPFIND", "BREW"); names are case-sensitive, as in Gin.
  template <class... Handlers>
  RouterGroup& handle(std::string_view method, std::string_view relative_path,
                      Handlers&&... handlers) {
    add_route(method, relative_path, chain(std::forward<Handlers>(handlers)...));
    return *this;
  }
  template <class... Handlers>
  RouterGroup& get(std::string_view path, Handlers&&... handlers) {
    return handle("GET", path, std::forward<Handlers>(handlers)...);
  }
  template <class... Handlers>
  RouterGroup& post(std::string_view path, Handlers&&... handlers) {
    return handle("POST", path, std::forward<Handlers>(handlers)...);
  }
  template <class... Handlers>
  RouterGroup& put(std::string_view path, Handlers&&... handlers) {
    return handle("PUT", path, std::forward<Handlers>(handlers)...);
  }
  template <class... Handlers>
  RouterGroup& patch(std::string_view path, Handlers&&... handlers) {
    return handle("PATCH", path, std::forward<Handlers>(handlers)...);
  }
  /// DELETE (`delete` is a C++ keyword).
  template <class... Handlers>
  RouterGroup& del(std::string_view path, Handlers&&... handlers) {
    return handle("DELETE", path, std::forward<Handlers>(handlers)...);
  }
  template <class... Handlers>
  RouterGroup& head(std::string_view path, Handlers&&... handlers) {
    return handle("HEAD", path, std::forward<Handlers>(handlers)...);
  }
  template <class... Handlers>
  RouterGroup& options(std::string_view path, Handlers&&... handlers) {
    return handle("OPTIONS", path, std::forward<Handlers>(handlers)...);
  }
  /// Registers the handlers for GET, POST, PUT, PATCH, HEAD, OPTIONS, DELETE, CONNECT and TRACE.
  template <class... Handlers>
  RouterGroup& any(std::string_view path, Handlers&&... handlers) {
    add_any(path, chain(std::forward<Handlers>(handlers)...));
    return *this;
  }

  /// Serves the file at `path` for GET and HEAD at `relative_path` (Gin's `StaticFile`):
  /// `app.static_file("/favicon.ico", "./resources/favicon.ico")`. The route runs c.file().
  /// Throws std::invalid_argument for a path with ':' or '*' (parameters make no sense here).
  RouterGroup& static_file(std::string_view relative_path, std::string path);
  /// Serves the directory `root` below `relative_path` for GET and HEAD (Gin's `Static`):
  /// `app.static_dir("/assets", "./public")` answers `/assets/css/site.css` with
  /// `./public/css/site.css`. The route is `relative_path/*filepath` and runs
  /// c.file_from_dir(root, filepath): nothing outside `root` is served, whatever the request
  /// path or a symlink says; directories are served by their index.html, never listed; a
  /// missing file is a 404. Throws std::invalid_argument for a path with ':' or '*'.
  RouterGroup& static_dir(std::string_view relative_path, std::string root);

  /// The group's absolute path prefix.
  const std::string& base_path() const { return base_path_; }

 protected:
  RouterGroup(detail::RouteRegistry* registry, std::string base_path, HandlersChain handlers,
              bool root)
      : registry_(registry),
        base_path_(std::move(base_path)),
        handlers_(std::move(handlers)),
        root_(root) {}

  template <class... Handlers>
  static HandlersChain chain(Handlers&&... handlers) {
    HandlersChain result;
    result.reserve(sizeof...(Handlers));
    (result.push_back(detail::to_handler(std::forward<Handlers>(handlers))), ...);
    return result;
  }

 private:
  RouterGroup make_group(std::string_view relative_path, HandlersChain middleware) const;
  void add_middleware(HandlersChain middleware);
  void add_route(std::string_view method, std::string_view relative_path, HandlersChain handlers);
  void add_any(std::string_view relative_path, HandlersChain handlers);

  detail::RouteRegistry* registry_;  // where the routes go: the engine
  std::string base_path_;
  HandlersChain handlers_;
  bool root_;
};

}  // namespace sloe
