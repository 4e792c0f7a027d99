#include "http/static_path.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sloe::http {

namespace {

constexpr std::string_view kIndexFile = "index.html";
// Linux's MAXSYMLINKS: more links than this in one lookup is a loop.
constexpr int kMaxSymlinks = 40;
// O_NONBLOCK: a FIFO swapped in for a regular file after the type check must not block the
// open; it changes nothing for reads of a regular file.
constexpr int kFileOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

StaticLookup failure(int status) {
  StaticLookup result;
  result.status = status;
  switch (status) {
    case 400:
      result.reason = "400 Bad Request";
      break;
    case 403:
      result.reason = "403 Forbidden";
      break;
    case 404:
      result.reason = "404 page not found";  // Go's and Gin's text
      break;
    default:
      result.reason = "500 Internal Server Error";
      break;
  }
  return result;
}

// The answer for a failed system call, as Go's toHTTPError: the client learns the class of
// failure, never the OS message.
StaticLookup failure_from_errno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return failure(404);
    case EACCES:
    case EPERM:
      return failure(403);
    default:
      return failure(500);
  }
}

StaticLookup redirect_to(StaticRedirect redirect) {
  StaticLookup result;
  result.status = 301;
  result.redirect = redirect;
  return result;
}

// The next '/'-separated element of `path` from `pos`, which moves past it.
std::string_view next_element(std::string_view path, std::size_t& pos) {
  const std::size_t end = std::min(path.find('/', pos), path.size());
  const std::string_view element = path.substr(pos, end - pos);
  pos = end + 1;
  return element;
}

bool has_element_after(std::string_view path, std::size_t pos) {
  while (pos < path.size()) {
    const std::string_view element = next_element(path, pos);
    if (!element.empty()) return true;
  }
  return false;
}

// Where a walk ended: at a regular file, opened; at a directory, now the walk's current one;
// or at a failure, with its answer.
struct WalkEnd {
  enum class Kind { regular_file, directory, failed } kind = Kind::failed;
  StaticLookup failure;  // when failed
  FileDescriptor file;   // when regular_file
  struct stat info {};
};

// Walks a relative path down from a root directory one element at a time: each element is
// looked at without following it (fstatat, AT_SYMLINK_NOFOLLOW) and opened relative to the
// directory before it with O_NOFOLLOW, symlinks are resolved here, and ".." goes back to the
// directory this walk came from, never above the root. The kernel is never handed a path with
// more than one element, so no symlink leads outside the root, whatever it points to by the
// time it is read.
class BeneathRootWalk {
 public:
  explicit BeneathRootWalk(FileDescriptor root) { directories_.push_back(std::move(root)); }

  // Goes down `path` from the current directory; a final directory becomes the current one.
  WalkEnd walk(std::string_view path) {
    std::string pending(path);
    std::size_t pos = 0;
    while (pos < pending.size()) {
      const std::string element(next_element(pending, pos));
      if (element.empty() || element == ".") continue;
      if (element == "..") {
        if (directories_.size() == 1) return failed(failure(404));  // above the root
        directories_.pop_back();
        continue;
      }
      struct stat info {};
      if (::fstatat(current(), element.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return failed(failure_from_errno(errno));
      }
      if (S_ISLNK(info.st_mode)) {
        std::string target;
        if (auto error = read_link(element, target)) return failed(std::move(*error));
        if (target.starts_with('/')) return failed(failure(404));  // absolute: not beneath
        // The link's target takes its place; what followed it follows the target.
        pending = target + "/" + pending.substr(std::min(pos, pending.size()));
        pos = 0;
      } else if (S_ISDIR(info.st_mode)) {
        const int fd =
            ::openat(current(), element.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return failed(failure_from_errno(errno));
        directories_.emplace_back(fd);
      } else if (S_ISREG(info.st_mode)) {
        // A file with more elements after it ("a.txt/x") is not a directory, as the kernel
        // says it.
        if (has_element_after(pending, pos)) return failed(failure(404));
        return open_regular_file(element);
      } else {
        return failed(failure(404));  // FIFOs, sockets, devices are not served
      }
    }
    WalkEnd end;
    end.kind = WalkEnd::Kind::directory;
    return end;
  }

 private:
  int current() const { return directories_.back().get(); }

  static WalkEnd failed(StaticLookup failure) {
    WalkEnd end;
    end.failure = std::move(failure);
    return end;
  }

  std::optional<StaticLookup> read_link(const std::string& element, std::string& target) {
    if (++symlinks_followed_ > kMaxSymlinks) return failure(500);  // a loop: misconfigured
    char buffer[PATH_MAX];
    const ssize_t length = ::readlinkat(current(), element.c_str(), buffer, sizeof buffer);
    if (length < 0) return failure_from_errno(errno);
    if (length == 0 || static_cast<std::size_t>(length) == sizeof buffer) return failure(404);
    target.assign(buffer, static_cast<std::size_t>(length));
    return std::nullopt;
  }

  WalkEnd open_regular_file(const std::string& element) {
    WalkEnd end;
    end.file = FileDescriptor(::openat(current(), element.c_str(), kFileOpenFlags | O_NOFOLLOW));
    if (!end.file) return failed(failure_from_errno(errno));
    // The type again, of what was opened: the element may have been replaced since fstatat.
    if (::fstat(end.file.get(), &end.info) != 0) return failed(failure_from_errno(errno));
    if (!S_ISREG(end.info.st_mode)) return failed(failure(404));
    end.kind = WalkEnd::Kind::regular_file;
    return end;
  }

  std::vector<FileDescriptor> directories_;  // [0] is the root; ".." pops, never past it
  int symlinks_followed_ = 0;
};

// The common case, a regular file, in one system call: openat2 resolves the whole path with the
// walk's rules (RESOLVE_BENEATH: no absolute symlink and no ".." that leaves the root, checked
// by the kernel as it resolves). Anything else (a directory, a refusal, a kernel older than
// 5.6) takes the walk, which also finds the right answer for it.
std::optional<WalkEnd> open_regular_file_beneath(int root, const std::string& relative_path) {
  open_how how{};
  how.flags = kFileOpenFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, root, relative_path.c_str(), &how, sizeof how);
  if (fd < 0) return std::nullopt;
  WalkEnd end;
  end.file = FileDescriptor(static_cast<int>(fd));
  if (::fstat(end.file.get(), &end.info) != 0 || !S_ISREG(end.info.st_mode)) return std::nullopt;
  end.kind = WalkEnd::Kind::regular_file;
  return end;
}

// The root directory, opened at most once a second per worker thread and root: the fast path
// then costs openat2 and fstat, as nginx's open(path) and fstat. A root that is replaced (a
// deploy that swaps a symlink) is seen within a second, like nginx's open_file_cache with
// valid=1s. -1 when the root cannot be opened; the walk then finds the right answer.
int recently_opened_root(const std::string& root) {
  struct OpenedRoot {
    std::string path;
    FileDescriptor directory;
    std::chrono::steady_clock::time_point until;
  };
  constexpr std::size_t kRootsKept = 8;  // static routes per engine are few
  thread_local std::vector<OpenedRoot> roots;
  const auto now = std::chrono::steady_clock::now();
  auto found = std::find_if(roots.begin(), roots.end(),
                            [&](const OpenedRoot& opened) { return opened.path == root; });
  if (found != roots.end() && now < found->until) return found->directory.get();
  FileDescriptor directory(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!directory) return -1;
  if (found == roots.end()) {
    if (roots.size() == kRootsKept) roots.erase(roots.begin());
    found = roots.insert(roots.end(), OpenedRoot{root, {}, {}});
  }
  found->directory = std::move(directory);
  found->until = now + std::chrono::seconds(1);
  return found->directory.get();
}

StaticLookup opened(WalkEnd&& end, std::string relative_path) {
  StaticLookup result;
  result.file = std::move(end.file);
  result.info = end.info;
  result.relative_path = std::move(relative_path);
  return result;
}

std::string index_path_of(const std::string& directory) {
  return directory.empty() ? std::string(kIndexFile) : directory + "/" + std::string(kIndexFile);
}

// Go's FileServer test: the URL path ends with "/index.html" (it always starts with '/').
bool names_index_file(std::string_view subpath) {
  return subpath == kIndexFile ||
         (subpath.ends_with(kIndexFile) && subpath[subpath.size() - kIndexFile.size() - 1] == '/');
}

// A path that ends with a slash, or with a "." or ".." element, names a directory as a
// directory: "docs/", "docs/.", "docs/guide/.." (where Go would redirect "docs/guide/.." to
// "../", a Location that leaves the directory).
bool in_directory_form(std::string_view subpath) {
  if (subpath.empty()) return false;
  const std::string_view last = subpath.substr(subpath.rfind('/') + 1);
  return last.empty() || last == "." || last == "..";
}

}  // namespace

std::string clean_static_subpath(std::string_view subpath) {
  std::vector<std::string_view> elements;
  std::size_t pos = 0;
  while (pos < subpath.size()) {
    const std::string_view element = next_element(subpath, pos);
    if (element.empty() || element == ".") continue;
    if (element == "..") {
      if (!elements.empty()) elements.pop_back();  // at the root, ".." stays there
      continue;
    }
    elements.push_back(element);
  }
  std::string cleaned;
  for (std::string_view element : elements) {
    if (!cleaned.empty()) cleaned.push_back('/');
    cleaned.append(element);
  }
  return cleaned;
}

StaticLookup resolve_static_path(const std::string& root, std::string_view subpath) {
  if (subpath.find('\0') != std::string_view::npos) return failure(400);
  std::string relative_path = clean_static_subpath(subpath);
  // A name that would be redirected, found as a file, never takes the fast path.
  if (!relative_path.empty() && !subpath.ends_with('/') && !names_index_file(subpath)) {
    if (const int cached = recently_opened_root(root); cached >= 0) {
      if (std::optional<WalkEnd> file = open_regular_file_beneath(cached, relative_path)) {
        return opened(std::move(*file), std::move(relative_path));
      }
    }
  }
  FileDescriptor root_directory(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_directory) return failure_from_errno(errno);
  BeneathRootWalk walk(std::move(root_directory));
  WalkEnd end = walk.walk(relative_path);
  switch (end.kind) {
    case WalkEnd::Kind::failed:
      return std::move(end.failure);
    case WalkEnd::Kind::regular_file:
      if (subpath.ends_with('/')) return redirect_to(StaticRedirect::remove_trailing_slash);
      if (names_index_file(subpath)) return redirect_to(StaticRedirect::index_to_directory);
      return opened(std::move(end), std::move(relative_path));
    case WalkEnd::Kind::directory:
      break;
  }
  // A directory named without its slash ("" names the root that way).
  if (!in_directory_form(subpath)) {
    return redirect_to(StaticRedirect::add_trailing_slash);
  }
  end = walk.walk(kIndexFile);
  if (end.kind != WalkEnd::Kind::regular_file) {
    return end.kind == WalkEnd::Kind::failed ? std::move(end.failure) : failure(404);
  }
  return opened(std::move(end), index_path_of(relative_path));
}

StaticLookup open_static_file(const std::string& path) {
  if (path.find('\0') != std::string::npos) return failure(400);
  WalkEnd end;
  end.file = FileDescriptor(::open(path.c_str(), kFileOpenFlags));
  if (!end.file || ::fstat(end.file.get(), &end.info) != 0) return failure_from_errno(errno);
  if (S_ISREG(end.info.st_mode)) return opened(std::move(end), path);
  if (!S_ISDIR(end.info.st_mode)) return failure(404);

  const int directory = end.file.get();
  FileDescriptor index(::openat(directory, std::string(kIndexFile).c_str(), kFileOpenFlags));
  if (!index || ::fstat(index.get(), &end.info) != 0) return failure_from_errno(errno);
  if (!S_ISREG(end.info.st_mode)) return failure(404);
  end.file = std::move(index);
  return opened(std::move(end), path.ends_with('/') ? path + std::string(kIndexFile)
                                                    : path + "/" + std::string(kIndexFile));
}

std::string static_redirect_location(std::string_view request_path, std::string_view query,
                                     StaticRedirect redirect) {
  std::size_t trailing_slashes = 0;
  while (trailing_slashes < request_path.size() &&
         request_path[request_path.size() - 1 - trailing_slashes] == '/') {
    ++trailing_slashes;
  }
  const std::string_view trimmed = request_path.substr(0, request_path.size() - trailing_slashes);
  const std::string_view last_element = trimmed.substr(trimmed.rfind('/') + 1);

  std::string location;
  switch (redirect) {
    case StaticRedirect::add_trailing_slash:
      // "./" first: a last element with a ':' ("a:b/") would read as a URI scheme.
      location.append("./").append(last_element);
      if (!last_element.empty()) location.push_back('/');
      break;
    case StaticRedirect::remove_trailing_slash:
      // One "../" per trailing slash: ".../a.txt//" has two empty elements to climb out of.
      for (std::size_t i = 0; i < trailing_slashes; ++i) location.append("../");
      location.append(last_element);
      break;
    case StaticRedirect::index_to_directory:
    case StaticRedirect::none:
      location.append("./");
      break;
  }
  if (!query.empty()) location.append("?").append(query);
  return location;
}

bool has_dot_dot_element(std::string_view url_path) {
  std::size_t start = 0;
  while (start <= url_path.size()) {
    const std::size_t end = std::min(url_path.find_first_of("/\\", start), url_path.size());
    if (url_path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace sloe::http
