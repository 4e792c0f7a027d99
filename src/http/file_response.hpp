#pragma once
// What to answer to a request for a file: validators, conditional requests (RFC 9110 §13) and
// a byte range (§14), as Go's http.ServeContent answers them, without touching the file or the
// socket. The caller sends `length` bytes from `offset` (sendfile) after the headers.
//
// Where Go 1.19 and sloe differ:
// - sloe makes an ETag; Go sends one only when the handler set it. It is strong, so that
//   If-Range can use it: `"<hex mtime seconds>.<hex mtime nanoseconds>-<hex size>"`, nginx's
//   shape with the nanoseconds added, so a rewrite within the same second that keeps the size
//   still changes it (on a file system that keeps nanoseconds). No inode: two servers behind
//   one load balancer give a copied file the same tag.
// - A malformed Range, a range unit other than bytes and a last-pos before its first-pos are
//   ignored: 200 with the whole file (RFC 9110 §14.2 allows it; Go answers 416).
// - Several satisfiable ranges get the whole file with 200 (RFC 9110 §14.2: a server may
//   ignore Range); Go sends multipart/byteranges, which would take sendfile apart into many
//   small writes. A list with one satisfiable range gets that range, as in Go.
// - "bytes=-0" is unsatisfiable (RFC 9110 §14.1.1), 416; Go answers 206 with an inverted
//   Content-Range. A suffix range of an empty file selects nothing a 206 could describe: 200.
// - Range is honoured for GET and HEAD only (RFC 9110 §14.2 defines it for GET; HEAD gets
//   GET's headers, §9.3.2); Go honours it for any method.
// - Accept-Ranges: bytes is on every answer, 304 and 412 included.
// As in Go: If-None-Match wins over If-Modified-Since, If-Match over If-Unmodified-Since; a
// date condition counts whole seconds; a modification time at or before the epoch is unknown
// (no Last-Modified, date conditions ignored); a 304 carries the ETag and not Last-Modified
// (RFC 9110 §15.4.5); If-Range with a date matches only the exact Last-Modified second.

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"

namespace sloe::http {

/// The facts about a file that its validators and ranges come from.
struct FileVersion {
  std::uint64_t size = 0;
  std::int64_t modified_seconds = 0;  // since the Unix epoch; 0 or less: unknown
  std::int64_t modified_nanoseconds = 0;
};

/// The version of a file that fstat() described.
FileVersion file_version_of(const struct stat& info);

/// The answer to send: a status and the part of the file that makes its body.
struct FileAnswer {
  int status = 200;  // 200, 206 (one range), 304, 412 or 416
  std::uint64_t offset = 0;
  /// The bytes to send from `offset`, and the Content-Length, HEAD included (whose body is not
  /// sent). 0 for 304, 412 and 416, which carry no part of the file.
  std::uint64_t length = 0;

  /// True for 200 and 206: the answer carries the file, so it also wants a Content-Type.
  bool carries_file() const { return status == 200 || status == 206; }
};

/// Decides the answer to `request` for a file at `version`, and sets the fields it needs on
/// `headers`: ETag and Accept-Ranges always, Last-Modified except on 304, Content-Range on
/// 206 and 416. Content-Type (mime_type_for), Content-Length and any body of a 4xx are the
/// caller's.
FileAnswer answer_file_request(const Request& request, const FileVersion& version,
                               ResponseHeaders& headers);

/// The file's strong entity tag, quoted, as answer_file_request() sends it.
std::string file_etag(const FileVersion& version);

}  // namespace sloe::http
