#pragma once
// Content-Type of a served file, from its extension: Go's mime builtin table plus the types a
// static site commonly holds.

#include <string_view>

namespace sloe::http {

inline constexpr std::string_view kDefaultMimeType = "application/octet-stream";

/// The Content-Type for a file named `path`, from the extension of its last path element,
/// compared case-insensitively (".PNG" is a PNG); text types carry "; charset=utf-8".
///
/// An unknown extension gives kDefaultMimeType. Go sniffs the first 512 bytes instead
/// (http.DetectContentType); sloe does not: sniffing reads the file before it is sent, which
/// costs a read and defeats sendfile, and a guessed "text/html" for an uploaded file is how
/// content-type confusion (stored XSS) starts. Nor does sloe read /etc/mime.types as Go does on
/// Unix, so a file gets the same type on every machine.
std::string_view mime_type_for(std::string_view path);

}  // namespace sloe::http
