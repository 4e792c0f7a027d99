#pragma once
// Finding the file a request names under a static root (app.static_dir), without letting the
// request or a symlink lead outside it, and the canonical redirects of Go's http.FileServer.
//
// The rules, where Go 1.19's http.Dir and sloe differ:
// - The request path is cleaned as path.Clean("/" + path): "..", "." and repeated slashes go,
//   and ".." never climbs above the root. A backslash is an ordinary byte on POSIX, as in Go.
// - A NUL byte is refused with 400 (Go answers 500).
// - Symlinks are followed when they stay under the root: a ".." in a link target that would
//   step above the root, or an absolute target, is refused with 404 (the same answer as a
//   missing file, so a probe learns nothing about the tree outside). Go's http.Dir follows
//   every symlink, out of the root too. A regular file is opened in one openat2 call with
//   RESOLVE_BENEATH, which has these rules in the kernel; everything else (and every file on a
//   kernel without openat2) is walked one element at a time with openat and O_NOFOLLOW, each
//   symlink read and resolved by sloe, which also tells a directory, a redirect or a refusal.
// - A directory is served by its index.html; without one it is a 404 (no listing; Gin's
//   Static() disables listings too).
// - Dot files are served, as in Go.

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <utility>

#include "http/file_descriptor.hpp"

namespace sloe::http {

/// The 301s of Go's FileServer, which keep one URL per file and make relative links in an
/// index.html resolve against its directory.
enum class StaticRedirect {
  none,
  add_trailing_slash,     // a directory named without its slash: ".../dir" → ".../dir/"
  remove_trailing_slash,  // a file named with one: ".../a.txt/" → ".../a.txt"
  index_to_directory,     // ".../index.html" → ".../", the index's canonical URL
};

/// What a lookup produced: an open regular file (status 200), a redirect (301) or an error
/// (400, 403, 404 or 500, with a reason fit for the response body: it never holds OS text).
struct StaticLookup {
  int status = 200;
  StaticRedirect redirect = StaticRedirect::none;
  std::string_view reason;
  FileDescriptor file;  // open for reading when status is 200
  struct stat info {};  // the open file's
  /// The path of the file served, as the request named it, cleaned; "index.html" added for a
  /// directory. Its extension gives the MIME type (that of the name, not of a symlink's target).
  std::string relative_path;

  bool found() const { return status == 200; }
};

/// Opens the regular file that `subpath` (a URL path already percent-decoded, such as Gin's
/// `*filepath` parameter) names under the directory `root`. `root` itself is opened for every
/// lookup, so a deploy that switches a symlinked root takes effect at once, as in Go.
///
/// Redirects, decided from `subpath` as Go decides them from the URL: a directory without a
/// trailing slash (and the root named by an empty subpath), a file with one, and a file
/// reached by a name ending in "/index.html" (Go redirects that one before looking for the
/// file; sloe only when the file exists, so a missing index answers 404 at once). A last "."
/// or ".." element counts as a trailing slash for a directory ("docs/guide/.." is "docs/"),
/// where Go would send a Location that climbs out of it.
StaticLookup resolve_static_path(const std::string& root, std::string_view subpath);

/// Opens a file at a path the application chose (c.file, app.static_file): symlinks are
/// followed anywhere, a directory is served by its index.html, and no redirect is ever made,
/// since the path is not the URL's. Never pass request data here unchecked; see
/// has_dot_dot_element().
StaticLookup open_static_file(const std::string& path);

/// `subpath` as path.Clean("/" + subpath) has it, without the leading slash: "a/b" for
/// "/x/../a//b/", "" for the root.
std::string clean_static_subpath(std::string_view subpath);

/// The Location of a redirect, relative as Go's localRedirect makes it, so that it stays
/// right behind a proxy that strips a prefix. `request_path` is the path as the client sent it
/// (still percent-encoded), `query` the raw query, kept on the new URL when not empty.
std::string static_redirect_location(std::string_view request_path, std::string_view query,
                                     StaticRedirect redirect);

/// True when `url_path` has a ".." element, with '/' or '\' as separators. Go's ServeFile
/// refuses such a request with 400 in case the application built the file name from the URL;
/// c.file() can do the same.
bool has_dot_dot_element(std::string_view url_path);

}  // namespace sloe::http
