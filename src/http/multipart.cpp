#include "http/multipart.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "http/request.hpp"

namespace sloe::http {

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Go's filepath.Base, which multipart.Part.FileName applies: no directories reach the handler.
std::string_view last_path_element(std::string_view name) {
  while (name.size() > 1 && name.back() == '/') name.remove_suffix(1);
  if (name == "/") return name;
  std::size_t slash = name.rfind('/');
  return slash == npos ? name : name.substr(slash + 1);
}

bool control_byte(char ch) {
  auto byte = static_cast<unsigned char>(ch);
  return byte < 0x20 || byte == 0x7F;
}

// Control bytes are removed rather than refused: "evil.sh\0.txt" becomes "evil.sh.txt", so an
// extension check sees the extension the saved file gets (a NUL would cut the name short at
// the filesystem call), and no CR, LF or escape sequence reaches a log line or a header. The
// cleaned name is kept in `store` when it differs.
std::string_view without_control_bytes(std::string_view name, std::deque<std::string>& store) {
  if (std::none_of(name.begin(), name.end(), control_byte)) return name;
  std::string& clean = store.emplace_back(name);
  clean.erase(std::remove_if(clean.begin(), clean.end(), control_byte), clean.end());
  return clean;
}

class Splitter {
 public:
  Splitter(std::string_view body, std::string_view boundary)
      : body_(body), delimiter_(fmt::format("--{}", boundary)) {}

  // When a delimiter line ("--boundary", "--boundary--", padded with blanks) starts at `at`:
  // the position after its line end; npos otherwise.
  std::size_t delimiter_line(std::size_t at, bool& closing) const {
    if (body_.compare(at, delimiter_.size(), delimiter_) != 0) return npos;
    std::size_t p = at + delimiter_.size();
    closing = body_.compare(p, 2, "--") == 0;
    if (closing) p += 2;
    while (p < body_.size() && (body_[p] == ' ' || body_[p] == '\t')) ++p;
    if (p == body_.size()) return closing ? p : npos;
    if (body_[p] == '\n') return p + 1;
    if (body_.compare(p, 2, "\r\n") == 0) return p + 2;
    return npos;
  }

  // The first delimiter line, after any preamble.
  std::size_t first_delimiter(bool& closing) const {
    for (std::size_t at = 0;;) {
      std::size_t next = delimiter_line(at, closing);
      if (next != npos) return next;
      std::size_t newline = body_.find('\n', at);
      if (newline == npos) return npos;
      at = newline + 1;
    }
  }

  // The content from `from` up to the next delimiter line; `next` is set past that line.
  std::optional<std::string_view> content(std::size_t from, std::size_t& next,
                                          bool& closing) const {
    for (std::size_t search = from;;) {
      std::size_t hit = body_.find(delimiter_, search);
      if (hit == npos) return std::nullopt;
      const bool line_start = hit == from || body_[hit - 1] == '\n';
      if (line_start && (next = delimiter_line(hit, closing)) != npos) {
        std::size_t end = hit;
        if (end > from && body_[end - 1] == '\n') --end;
        if (end > from && body_[end - 1] == '\r') --end;
        return body_.substr(from, end - from);
      }
      search = hit + 1;
    }
  }

 private:
  std::string_view body_;
  std::string delimiter_;
};

}  // namespace

std::optional<std::string_view> header_parameter(std::string_view header_value,
                                                 std::string_view name,
                                                 std::deque<std::string>& unescaped) {
  std::size_t pos = header_value.find(';');
  while (pos != npos && pos < header_value.size()) {
    ++pos;  // past ';'
    std::size_t equals = header_value.find_first_of("=;", pos);
    std::string_view key = trim(header_value.substr(pos, equals - pos));
    if (equals == npos || header_value[equals] == ';') {
      pos = equals;
      continue;
    }
    pos = equals + 1;
    while (pos < header_value.size() && (header_value[pos] == ' ' || header_value[pos] == '\t')) {
      ++pos;
    }
    std::string_view value;
    if (pos < header_value.size() && header_value[pos] == '"') {
      std::size_t close = pos + 1;
      bool escaped = false;
      while (close < header_value.size() && header_value[close] != '"') {
        if (header_value[close] == '\\') {
          escaped = true;
          ++close;
        }
        ++close;
      }
      if (close >= header_value.size()) return std::nullopt;  // unterminated quote
      value = header_value.substr(pos + 1, close - pos - 1);
      if (escaped && iequals(key, name)) {
        std::string& plain = unescaped.emplace_back();
        for (std::size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) ++i;
          plain.push_back(value[i]);
        }
        return std::string_view(plain);
      }
      pos = header_value.find(';', close);
    } else {
      std::size_t end = header_value.find(';', pos);
      value = trim(header_value.substr(pos, end - pos));
      pos = end;
    }
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

MultipartBody parse_multipart(std::string_view body, std::string_view boundary) {
  MultipartBody out;
  auto fail = [&out](std::string why) {
    out.parts.clear();
    out.error = std::move(why);
    return std::move(out);
  };
  // RFC 2046: 1 to 70 characters.
  if (boundary.empty() || boundary.size() > 70) {
    return fail("the Content-Type has no valid boundary parameter (1 to 70 characters)");
  }
  Splitter splitter(body, boundary);
  bool closing = false;
  std::size_t pos = splitter.first_delimiter(closing);
  if (pos == npos) return fail(fmt::format("the body has no \"--{}\" boundary line", boundary));

  while (!closing) {
    if (out.parts.size() == kMaxMultipartParts) {
      return fail(fmt::format("the form has more than {} parts", kMaxMultipartParts));
    }
    MultipartPart part;
    std::string_view disposition;
    for (;;) {
      std::size_t newline = body.find('\n', pos);
      if (newline == npos) return fail("a part's headers do not end with an empty line");
      std::string_view line = body.substr(pos, newline - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = newline + 1;
      if (line.empty()) break;
      std::size_t colon = line.find(':');
      if (colon == npos) return fail("a part has a header line without ':'");
      std::string_view header = trim(line.substr(0, colon));
      std::string_view value = trim(line.substr(colon + 1));
      if (iequals(header, "content-disposition")) disposition = value;
      if (iequals(header, "content-type")) part.content_type = value;
    }
    std::size_t next = 0;
    std::optional<std::string_view> content = splitter.content(pos, next, closing);
    if (!content) return fail("the body ends before the closing boundary");
    part.content = *content;
    pos = next;

    if (!iequals(trim(disposition.substr(0, disposition.find(';'))), "form-data")) continue;
    std::optional<std::string_view> name = header_parameter(disposition, "name", out.unescaped);
    if (!name || name->empty()) continue;
    part.name = *name;
    std::optional<std::string_view> filename =
        header_parameter(disposition, "filename", out.unescaped);
    if (filename) filename = without_control_bytes(*filename, out.unescaped);
    if (filename && !filename->empty()) part.filename = last_path_element(*filename);
    out.parts.push_back(part);
  }
  return out;
}

}  // namespace sloe::http
