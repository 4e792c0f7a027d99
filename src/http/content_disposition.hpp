#pragma once
// The Content-Disposition field of a download (c.file_attachment), with a file name that
// every client reads and none can misread.

#include <string>
#include <string_view>

namespace sloe::http {

/// `attachment; filename="<name>"`, and `; filename*=UTF-8''<percent-encoded name>` (RFC 8187)
/// when the name is not plain ASCII. The quoted name is the fallback for clients that know no
/// RFC 8187: `"` and `\` are escaped, each non-ASCII character becomes '_'. Control characters
/// become '_' in both forms, so a name cannot end the field or carry a line break.
///
/// Gin sends filename* alone for a non-ASCII name, which leaves old clients without a name,
/// and escapes only `"` in the plain one, so a name ending in '\' escapes the closing quote.
std::string attachment_disposition(std::string_view filename);

}  // namespace sloe::http
