// http::parse_multipart and http::header_parameter on any bytes. Input: the boundary up to the
// first '\n', then the body. Checked besides "no crash, no sanitizer report":
//  - an error leaves no parts; a success has at most kMaxMultipartParts parts, every one named;
//  - every view points into the body or into MultipartBody::unescaped;
//  - a file name has no '/' (unless it is "/") and no control byte;
//  - round trip: the parts written out again as a canonical multipart body (CRLF, quoted and
//    escaped parameters) parse to the same parts. (Only for boundaries without '\r': a CR in
//    the boundary lets the canonical CRLF after a part's content complete a delimiter.)
// The same first line is also read as a header value by header_parameter.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/multipart.hpp"

namespace {

using sloe::fuzz::check;
using sloe::fuzz::printable;
using sloe::http::MultipartBody;
using sloe::http::MultipartPart;

bool inside(std::string_view view, std::string_view whole) {
  return view.empty() ||
         (view.data() >= whole.data() && view.data() + view.size() <= whole.data() + whole.size());
}

bool owned(std::string_view view, std::string_view body, const MultipartBody& parsed) {
  if (inside(view, body)) return true;
  for (const std::string& s : parsed.unescaped) {
    if (inside(view, s)) return true;
  }
  return false;
}

void append_quoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string describe(const MultipartPart& p) {
  std::string out = "{name " + printable(p.name);
  if (p.filename) out += ", filename " + printable(*p.filename);
  out += ", type " + printable(p.content_type) + ", content " + printable(p.content) + "}";
  return out;
}

bool same(const MultipartPart& a, const MultipartPart& b) {
  return a.name == b.name && a.filename == b.filename && a.content_type == b.content_type &&
         a.content == b.content;
}

void check_parts(std::string_view body, std::string_view boundary, const MultipartBody& parsed) {
  if (!parsed.error.empty()) {
    check(parsed.parts.empty(), "parse_multipart failed (" + parsed.error + ") but kept parts");
    return;
  }
  check(parsed.parts.size() <= sloe::http::kMaxMultipartParts, "more parts than the limit");
  for (const MultipartPart& p : parsed.parts) {
    check(!p.name.empty(), "a part without a name: " + describe(p));
    check(owned(p.name, body, parsed) && owned(p.content, body, parsed) &&
              owned(p.content_type, body, parsed) &&
              (!p.filename || owned(*p.filename, body, parsed)),
          "a view points outside the body and the unescaped strings: " + describe(p) +
              " boundary " + printable(boundary));
    if (p.filename) {
      check(!p.filename->empty(), "an empty filename: " + describe(p));
      check(*p.filename == "/" || p.filename->find('/') == std::string_view::npos,
            "a filename with a directory: " + describe(p));
      for (char c : *p.filename) {
        const auto byte = static_cast<unsigned char>(c);
        check(byte >= 0x20 && byte != 0x7f, "a filename with a control byte: " + describe(p));
      }
    }
  }
}

std::string canonical(const MultipartBody& parsed, std::string_view boundary) {
  std::string out;
  for (const MultipartPart& p : parsed.parts) {
    out.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=");
    append_quoted(out, p.name);
    if (p.filename) {
      out.append("; filename=");
      append_quoted(out, *p.filename);
    }
    out.append("\r\n");
    if (!p.content_type.empty()) out.append("Content-Type: ").append(p.content_type).append("\r\n");
    out.append("\r\n").append(p.content).append("\r\n");
  }
  out.append("--").append(boundary).append("--\r\n");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view boundary = input.substr(0, newline);
  // The body in a buffer of its own size, so that a read past its end is an ASan report.
  const std::string body(input.substr(newline + 1));

  std::deque<std::string> unescaped;
  for (std::string_view name : {"boundary", "name", "filename"}) {
    std::optional<std::string_view> value = sloe::http::header_parameter(boundary, name, unescaped);
    if (!value) continue;
    bool in_store = false;
    for (const std::string& s : unescaped) in_store = in_store || inside(*value, s);
    check(inside(*value, boundary) || in_store,
          "header_parameter returned a view outside its input");
  }

  const MultipartBody parsed = sloe::http::parse_multipart(body, boundary);
  check_parts(body, boundary, parsed);
  if (!parsed.error.empty() || boundary.find('\r') != std::string_view::npos) return 0;

  const std::string again_body = canonical(parsed, boundary);
  const MultipartBody again = sloe::http::parse_multipart(again_body, boundary);
  check_parts(again_body, boundary, again);
  check(again.error.empty(), "the canonical form of a parsed body does not parse: " + again.error +
                                 "\nbody " + printable(again_body, 2000));
  bool equal = again.parts.size() == parsed.parts.size();
  for (std::size_t i = 0; equal && i < parsed.parts.size(); ++i) {
    equal = same(parsed.parts[i], again.parts[i]);
  }
  if (!equal) {
    std::string what = "the canonical form parses to other parts\nfirst: ";
    for (const MultipartPart& p : parsed.parts) what += describe(p) + " ";
    what += "\nagain: ";
    for (const MultipartPart& p : again.parts) what += describe(p) + " ";
    what += "\nboundary " + printable(boundary) + "\ncanonical body " + printable(again_body, 2000);
    sloe::fuzz::fail(what);
  }
  return 0;
}
