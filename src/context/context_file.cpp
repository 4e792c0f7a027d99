// File answers: Gin's c.File, c.FileAttachment and c.FileFromFS. The http layer finds the file
// (static_path) and decides the answer (file_response); this side puts the answer on the
// Context, whose file body ContextAccess::finish hands to the exchange to send without copying.

#include <memory>
#include <string>
#include <utility>

#include "context/context_state.hpp"
#include "http/content_disposition.hpp"
#include "http/file_response.hpp"
#include "http/mime_type.hpp"
#include "http/static_path.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

using detail::ContextState;

namespace {

// Go's http.Error texts for the answers that are not a lookup's.
constexpr std::string_view kDotDotBody = "invalid URL path";
constexpr std::string_view kRangeNotSatisfiableBody = "invalid range: failed to overlap";

void answer_text(ContextState& s, int status, std::string_view text) {
  s.status = status;
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.body.assign(text);
}

// Puts the answer for a lookup of the request's file on the Context: the file, a redirect or
// an error.
void answer_lookup(ContextState& s, http::StaticLookup found) {
  s.body.clear();
  s.file_body.reset();
  if (found.status == 301) {
    s.status = 301;
    s.response_headers.set("Location", http::static_redirect_location(
                                           s.request->path, s.request->query, found.redirect));
    return;
  }
  if (!found.found()) {
    answer_text(s, found.status, found.reason);
    return;
  }
  const http::FileAnswer answer =
      http::answer_file_request(*s.request, http::file_version_of(found.info), s.response_headers);
  s.status = answer.status;
  if (answer.status == 416) {
    answer_text(s, 416, kRangeNotSatisfiableBody);
    return;
  }
  if (!answer.carries_file()) {
    // 304 and 412 carry no body, so nothing for a Content-Type to describe (Go removes it).
    if (answer.status == 304) s.response_headers.remove("Content-Type");
    return;
  }
  if (!s.response_headers.contains("Content-Type")) {
    s.response_headers.set("Content-Type", http::mime_type_for(found.relative_path));
  }
  s.file_body = http::FileRange{
      .file = std::make_shared<const http::FileDescriptor>(std::move(found.file)),
      .offset = static_cast<off_t>(answer.offset),
      .length = static_cast<std::size_t>(answer.length),
  };
}

}  // namespace

void Context::file(std::string_view path) {
  check();
  ContextState& s = *state_;
  if (http::has_dot_dot_element(s.path)) {
    s.file_body.reset();
    answer_text(s, 400, kDotDotBody);
    return;
  }
  answer_lookup(s, http::open_static_file(std::string(path)));
}

void Context::file_attachment(std::string_view path, std::string_view filename) {
  file(path);
  // Only on the file itself: a 404 saved as the download would pass for the file.
  ContextState& s = *state_;
  if (s.file_body) {
    s.response_headers.set("Content-Disposition", http::attachment_disposition(filename));
  }
}

void Context::file_from_dir(std::string_view root, std::string_view subpath) {
  check();
  answer_lookup(*state_, http::resolve_static_path(std::string(root), subpath));
}

}  // namespace sloe
