#include "http/file_response.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "http/date.hpp"

namespace sloe::http {

namespace {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

// A short text built in place, for the fields whose values are numbers.
class FieldText {
 public:
  FieldText& text(std::string_view s) {
    size_ += s.copy(buffer_ + size_, sizeof buffer_ - size_);
    return *this;
  }
  FieldText& number(std::uint64_t n, int base = 10) {
    size_ = static_cast<std::size_t>(
        std::to_chars(buffer_ + size_, buffer_ + sizeof buffer_, n, base).ptr - buffer_);
    return *this;
  }
  std::string_view view() const { return {buffer_, size_}; }

 private:
  char buffer_[96];  // "bytes " and three 20-digit numbers fit
  std::size_t size_ = 0;
};

FieldText etag_text(const FileVersion& version) {
  FieldText etag;
  etag.text("\"")
      .number(static_cast<std::uint64_t>(version.modified_seconds), 16)
      .text(".")
      .number(static_cast<std::uint64_t>(version.modified_nanoseconds), 16)
      .text("-")
      .number(version.size, 16)
      .text("\"");
  return etag;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The entity-tag (RFC 9110 §8.8.3) that `s` starts with, W/ included, and what follows it;
// an empty tag when `s` does not start with one.
std::string_view take_entity_tag(std::string_view& s) {
  const std::size_t open = s.starts_with("W/") ? 2 : 0;
  if (s.size() < open + 2 || s[open] != '"') return {};
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      const std::string_view tag = s.substr(0, i + 1);
      s.remove_prefix(i + 1);
      return tag;
    }
    if (c < 0x21 || c == 0x7f) return {};  // etagc: %x21 / %x23-7E / obs-text
  }
  return {};
}

bool is_weak(std::string_view tag) {
  return tag.starts_with("W/");
}

// Strong comparison (RFC 9110 §8.8.3.2): both strong and the same.
bool strong_match(std::string_view a, std::string_view b) {
  return a == b && !is_weak(a);
}

// Weak comparison: the same opaque tag, W/ or not.
bool weak_match(std::string_view a, std::string_view b) {
  return (is_weak(a) ? a.substr(2) : a) == (is_weak(b) ? b.substr(2) : b);
}

enum class Comparison { strong, weak };

enum class Listed { no_field, yes, no };

// Whether `current` is in an If-Match or If-None-Match list: "*" or a member that compares
// equal. The list may be split over several fields. A malformed member ends the list, as in
// Go, and counts as no match.
Listed tag_listed(const Request& request, std::string_view field, std::string_view current,
                  Comparison comparison) {
  bool present = false;
  for (const Header& header : request.headers) {
    if (!iequals(header.name, field) || trim_ows(header.value).empty()) continue;
    present = true;
    std::string_view rest = header.value;
    for (rest = trim_ows(rest); !rest.empty(); rest = trim_ows(rest)) {
      if (rest.front() == ',') {
        rest.remove_prefix(1);
        continue;
      }
      if (rest.front() == '*') return Listed::yes;
      const std::string_view tag = take_entity_tag(rest);
      if (tag.empty()) return Listed::no;
      const bool equal =
          comparison == Comparison::strong ? strong_match(tag, current) : weak_match(tag, current);
      if (equal) return Listed::yes;
    }
  }
  return present ? Listed::no : Listed::no_field;
}

bool modification_time_known(const FileVersion& version) {
  return version.modified_seconds > 0;
}

// The field's HTTP-date, when the field is there, valid, and the file has a known time to
// compare with; RFC 9110 §13.1.3 and §13.1.4 say to ignore it otherwise.
std::optional<std::int64_t> date_condition(const Request& request, std::string_view field,
                                           const FileVersion& version) {
  if (!modification_time_known(version)) return std::nullopt;
  const std::string_view value = trim_ows(request.header(field));
  if (value.empty()) return std::nullopt;
  return parse_http_date(value);
}

// The If-Range condition (RFC 9110 §13.1.5): an entity tag compared strongly, or a date equal
// to the Last-Modified second. Anything else fails, and the whole file is sent.
bool if_range_holds(std::string_view value, const FileVersion& version,
                    std::string_view current_etag) {
  value = trim_ows(value);
  std::string_view rest = value;
  const std::string_view tag = take_entity_tag(rest);
  if (!tag.empty()) return rest.empty() && strong_match(tag, current_etag);
  if (!modification_time_known(version)) return false;
  return parse_http_date(value) == version.modified_seconds;
}

// A run of digits as a number, saturating: a position past 2^64 is still past the end.
std::optional<std::uint64_t> parse_position(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kNoLimit - digit) / 10 ? kNoLimit : value * 10 + digit;
  }
  return value;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

// One range-spec (RFC 9110 §14.1.2) against a file of `size` bytes.
struct RangeSpec {
  bool satisfiable = false;  // §14.1.1: a first-pos before the end, or a non-zero suffix
  ByteRange range;           // clipped to the file
};

// int-range "first-[last]" or suffix-range "-length"; nullopt when malformed.
std::optional<RangeSpec> parse_range_spec(std::string_view spec, std::uint64_t size) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view first_text = trim_ows(spec.substr(0, dash));
  const std::string_view last_text = trim_ows(spec.substr(dash + 1));
  if (first_text.empty()) {  // the last `suffix` bytes, or all of a shorter file
    const auto suffix = parse_position(last_text);
    if (!suffix) return std::nullopt;
    const std::uint64_t length = std::min(*suffix, size);
    return RangeSpec{*suffix > 0, {size - length, length}};
  }
  const auto first = parse_position(first_text);
  const auto last = last_text.empty() ? std::optional(kNoLimit) : parse_position(last_text);
  if (!first || !last || *last < *first) return std::nullopt;
  if (*first >= size) return RangeSpec{};
  return RangeSpec{true, {*first, std::min(*last, size - 1) - *first + 1}};
}

// What a Range field asks of a file of `size` bytes.
struct RangeRequest {
  enum class Kind { whole_file, one_range, unsatisfiable } kind = Kind::whole_file;
  ByteRange range;  // for one_range
};

RangeRequest parse_range(std::string_view field, std::uint64_t size) {
  const RangeRequest whole_file;
  const std::size_t equals = field.find('=');
  if (equals == std::string_view::npos || !iequals(field.substr(0, equals), "bytes")) {
    return whole_file;  // malformed, or a unit sloe does not know: ignored (RFC 9110 §14.2)
  }
  std::string_view set = field.substr(equals + 1);
  std::size_t specs = 0, satisfiable = 0;
  ByteRange chosen;
  while (!set.empty()) {
    const std::size_t comma = std::min(set.find(','), set.size());
    const std::string_view text = trim_ows(set.substr(0, comma));
    set.remove_prefix(std::min(comma + 1, set.size()));
    if (text.empty()) continue;  // empty list members are allowed (RFC 9110 §5.6.1)
    const auto spec = parse_range_spec(text, size);
    if (!spec) return whole_file;
    ++specs;
    if (spec->satisfiable) {
      ++satisfiable;
      chosen = spec->range;
    }
  }
  if (specs == 0) return whole_file;
  if (satisfiable == 0) return {RangeRequest::Kind::unsatisfiable, {}};
  // Several ranges get the whole file (see the header); so does a suffix of an empty file,
  // satisfiable but with no byte that a Content-Range could name.
  if (satisfiable > 1 || chosen.length == 0) return whole_file;
  return {RangeRequest::Kind::one_range, chosen};
}

bool is_get_or_head(const Request& request) {
  return request.method_id == kMethodGet || request.method_id == kMethodHead;
}

// RFC 9110 §13.2.2, steps 1 to 4: 412 or 304 when a precondition fails, else 0.
int failed_precondition_status(const Request& request, const FileVersion& version,
                               std::string_view etag) {
  const Listed matched = tag_listed(request, "If-Match", etag, Comparison::strong);
  if (matched == Listed::no) return 412;
  if (matched == Listed::no_field) {
    auto since = date_condition(request, "If-Unmodified-Since", version);
    if (since && version.modified_seconds > *since) return 412;
  }

  const Listed cached = tag_listed(request, "If-None-Match", etag, Comparison::weak);
  if (cached == Listed::yes) return is_get_or_head(request) ? 304 : 412;
  if (cached == Listed::no_field && is_get_or_head(request)) {
    auto since = date_condition(request, "If-Modified-Since", version);
    if (since && version.modified_seconds <= *since) return 304;
  }
  return 0;
}

// The Range to act on: empty when there is none, the method has no ranges, or If-Range fails.
std::string_view effective_range(const Request& request, const FileVersion& version,
                                 std::string_view etag) {
  if (!is_get_or_head(request)) return {};
  const std::string_view range = request.header("Range");
  if (range.empty()) return {};
  const std::string_view if_range = request.header("If-Range");
  if (!if_range.empty() && !if_range_holds(if_range, version, etag)) return {};
  return range;
}

}  // namespace

FileVersion file_version_of(const struct stat& info) {
  return {.size = static_cast<std::uint64_t>(info.st_size),
          .modified_seconds = info.st_mtim.tv_sec,
          .modified_nanoseconds = info.st_mtim.tv_nsec};
}

std::string file_etag(const FileVersion& version) {
  return std::string(etag_text(version).view());
}

FileAnswer answer_file_request(const Request& request, const FileVersion& version,
                               ResponseHeaders& headers) {
  const FieldText etag = etag_text(version);
  headers.set("ETag", etag.view());
  headers.set("Accept-Ranges", "bytes");

  const int failed = failed_precondition_status(request, version, etag.view());
  if (failed == 304) return {.status = 304};  // the ETag stands for Last-Modified
  if (modification_time_known(version)) {
    if (auto last_modified = format_imf_fixdate(version.modified_seconds)) {
      headers.set("Last-Modified", last_modified->view());
    }
  }
  if (failed != 0) return {.status = failed};

  const RangeRequest range =
      parse_range(effective_range(request, version, etag.view()), version.size);
  switch (range.kind) {
    case RangeRequest::Kind::whole_file:
      return {.status = 200, .offset = 0, .length = version.size};
    case RangeRequest::Kind::unsatisfiable:
      headers.set("Content-Range", FieldText().text("bytes */").number(version.size).view());
      return {.status = 416};
    case RangeRequest::Kind::one_range:
      break;
  }
  const ByteRange& r = range.range;
  headers.set("Content-Range", FieldText()
                                   .text("bytes ")
                                   .number(r.first)
                                   .text("-")
                                   .number(r.first + r.length - 1)
                                   .text("/")
                                   .number(version.size)
                                   .view());
  return {.status = 206, .offset = r.first, .length = r.length};
}

}  // namespace sloe::http
