#include "sloe/middleware/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "middleware/header_lists.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {

using middleware::equals_ignoring_case;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A qvalue (RFC 9110 §12.4.2) in thousandths: "0", "0.5", "1.000"; nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int whole = text[0] - '0';
  if (text.size() == 1) return whole * 1000;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int thousandths = 0;
  int scale = 100;
  for (char ch : text.substr(2)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    thousandths += (ch - '0') * scale;
    scale /= 10;
  }
  if (whole == 1 && thousandths != 0) return std::nullopt;
  return whole * 1000 + thousandths;
}

// The weight an Accept-Encoding element gives its coding: its q parameter, 1 without one, 0
// when the parameter is malformed (a client that garbles it gets the identity it can read).
int weight_of(std::string_view parameters) {
  int weight = 1000;
  while (!parameters.empty()) {
    std::size_t semicolon = parameters.find(';');
    std::string_view parameter = trim(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
    std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    if (!equals_ignoring_case(trim(parameter.substr(0, equals)), "q")) continue;
    weight = parse_qvalue(trim(parameter.substr(equals + 1))).value_or(0);
  }
  return weight;
}

// Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3): "gzip" (or its alias "x-gzip")
// with a weight above 0, or, when gzip is not named, "*" with one. Without the header, no.
bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<int> gzip_weight;
  std::optional<int> any_weight;
  middleware::for_each_element(accept_encoding, [&](std::string_view element) {
    std::size_t semicolon = element.find(';');
    std::string_view coding = trim(element.substr(0, semicolon));
    int weight =
        semicolon == std::string_view::npos ? 1000 : weight_of(element.substr(semicolon + 1));
    if (equals_ignoring_case(coding, "gzip") || equals_ignoring_case(coding, "x-gzip")) {
      gzip_weight = gzip_weight ? std::min(*gzip_weight, weight) : weight;
    } else if (coding == "*") {
      any_weight = weight;
    }
    return true;
  });
  if (gzip_weight) return *gzip_weight > 0;
  return any_weight.value_or(0) > 0;
}

// One zlib deflate state per worker thread, reset between answers: making one costs about
// 256 KiB of allocations at the default settings, more than compressing a small body.
class Deflater {
 public:
  Deflater() = default;
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() {
    if (ready_) deflateEnd(&stream_);
  }

  // `in` as a gzip member, into `out`; false when zlib fails (out of memory).
  bool compress(std::string_view in, std::string& out, int level) {
    if (in.size() > std::numeric_limits<uInt>::max()) return false;
    if (ready_ && level != level_) {
      deflateEnd(&stream_);
      ready_ = false;
    }
    if (ready_) {
      if (deflateReset(&stream_) != Z_OK) return false;
    } else {
      stream_ = {};
      // 15 + 16: a 32 KiB window, written as gzip (header and CRC-32 trailer), not zlib.
      if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
      }
      ready_ = true;
      level_ = level;
    }
    // With room for deflateBound() bytes, one Z_FINISH call compresses everything.
    out.resize(deflateBound(&stream_, static_cast<uLong>(in.size())));
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    stream_.avail_in = static_cast<uInt>(in.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return false;
    out.resize(stream_.total_out);
    return true;
  }

 private:
  z_stream stream_{};
  bool ready_ = false;
  int level_ = 0;
};

class GzipPolicy {
 public:
  explicit GzipPolicy(GzipOptions options)
      : level_(options.level), min_size_(options.min_size), types_(std::move(options.types)) {
    if (level_ < 1 || level_ > 9) {
      throw std::invalid_argument(
          fmt::format("sloe::gzip: compression level {} is out of range; use 1 to 9", level_));
    }
  }

  void operator()(Context& c, OutgoingAnswer& answer) const {
    if (!could_compress(c, answer)) return;
    middleware::add_vary(c, "Accept-Encoding");
    // HEAD runs the GET route, but compressing a body that is never sent would be wasted.
    if (c.method() == "HEAD" || !accepts_gzip(c.header("Accept-Encoding"))) return;
    thread_local Deflater deflater;
    std::string compressed;
    if (!deflater.compress(answer.body, compressed, level_)) return;
    if (compressed.size() >= answer.body.size()) return;
    answer.body.swap(compressed);
    c.header("Content-Encoding", "gzip");
    c.header("Content-Length", "");  // the framing counts the compressed bytes
    std::string_view etag = c.response_header("ETag");
    if (!etag.empty() && !etag.starts_with("W/")) c.header("ETag", fmt::format("W/{}", etag));
  }

 private:
  // Everything but the request's Accept-Encoding allows compressing this answer.
  bool could_compress(Context& c, const OutgoingAnswer& answer) const {
    const int status = c.response_status();
    return answer.kind == OutgoingAnswer::Kind::body && answer.body.size() >= min_size_ &&
           status >= 200 && status != 204 && status != 206 && status != 304 &&
           c.response_header("Content-Encoding").empty() &&
           compressible(c.response_header("Content-Type"));
  }

  bool compressible(std::string_view content_type) const {
    std::string_view media_type = trim(content_type.substr(0, content_type.find(';')));
    if (media_type.empty()) return false;
    return std::any_of(types_.begin(), types_.end(), [&](const std::string& type) {
      std::string_view pattern = type;
      if (pattern.ends_with("/*")) {
        pattern.remove_suffix(1);  // "text/"
        return media_type.size() > pattern.size() &&
               equals_ignoring_case(media_type.substr(0, pattern.size()), pattern);
      }
      return equals_ignoring_case(media_type, pattern);
    });
  }

  int level_;
  std::size_t min_size_;
  std::vector<std::string> types_;
};

}  // namespace

Handler gzip(GzipOptions options) {
  auto policy = std::make_shared<const GzipPolicy>(std::move(options));
  return [policy](Context& c) {
    // Before the answer leaves, not after c.next(): coroutine and deferred handlers produce
    // their body after the chain returned.
    c.before_send(
        [policy = policy.get()](Context& c, OutgoingAnswer& answer) { (*policy)(c, answer); });
    c.next();
  };
}

}  // namespace sloe
