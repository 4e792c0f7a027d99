#include "http/mime_type.hpp"

#include "http/request.hpp"

namespace sloe::http {

namespace {

struct ExtensionType {
  std::string_view extension;  // without the dot, lower case
  std::string_view type;
};

// Go 1.19's builtinTypesLower first (mime/type.go), then the common additions; IANA names
// where a registered one exists (image/vnd.microsoft.icon, font/woff2).
constexpr ExtensionType kExtensionTypes[] = {
    {"avif", "image/avif"},
    {"css", "text/css; charset=utf-8"},
    {"gif", "image/gif"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"wasm", "application/wasm"},
    {"webp", "image/webp"},
    {"xml", "text/xml; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"map", "application/json"},  // source maps are JSON
    {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
};

// The extension of the last path element, without its dot; empty when there is none. As Go's
// filepath.Ext, a name that is only an extension (".htaccess") has one: "htaccess".
std::string_view extension_of(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return {};
  if (path.find('/', dot) != std::string_view::npos) return {};  // the dot is in a directory
  return path.substr(dot + 1);
}

}  // namespace

std::string_view mime_type_for(std::string_view path) {
  const std::string_view extension = extension_of(path);
  for (const ExtensionType& entry : kExtensionTypes) {
    if (iequals(entry.extension, extension)) return entry.type;
  }
  return kDefaultMimeType;
}

}  // namespace sloe::http
