#include "sloe/middleware/cors.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "middleware/header_lists.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

namespace {

using middleware::equals_ignoring_case;

// The longest Origin sloe considers: longer ones are not what a browser sends.
constexpr std::size_t kMaxOriginSize = 1024;

bool is_token_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// A serialised origin as browsers send it (RFC 6454 §6.2): scheme "://" host [":" port], or
// "null". Only such a value is ever sent back in Access-Control-Allow-Origin.
bool is_well_formed_origin(std::string_view origin) {
  if (origin == "null") return true;
  if (origin.empty() || origin.size() > kMaxOriginSize) return false;
  std::size_t separator = origin.find("://");
  if (separator == 0 || separator == std::string_view::npos) return false;
  std::string_view scheme = origin.substr(0, separator);
  std::string_view authority = origin.substr(separator + 3);
  auto scheme_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '-' || ch == '.';
  };
  auto authority_char = [](char ch) {
    // Visible ASCII but the delimiters that would end the authority or split a list.
    return ch > 0x20 && ch < 0x7f && std::string_view("/?#,\\@").find(ch) == std::string_view::npos;
  };
  return !(scheme.front() >= '0' && scheme.front() <= '9') &&
         std::all_of(scheme.begin(), scheme.end(), scheme_char) && !authority.empty() &&
         std::all_of(authority.begin(), authority.end(), authority_char);
}

// Access-Control-Request-Headers as browsers send it: a list of header names.
bool is_token_list(std::string_view list) {
  bool valid = true;
  middleware::for_each_element(list, [&](std::string_view element) {
    valid = is_token(element);
    return valid;
  });
  return valid && list.size() <= kMaxOriginSize * 8;
}

bool contains(const std::vector<std::string>& items, std::string_view wanted) {
  return std::find(items.begin(), items.end(), wanted) != items.end();
}

// The options, digested once: the header values every answer repeats are joined up front.
class CorsPolicy {
 public:
  explicit CorsPolicy(CorsOptions options)
      : origins_(std::move(options.allow_origins)),
        allow_origin_(std::move(options.allow_origin)),
        any_origin_(contains(origins_, "*")),
        credentials_(options.allow_credentials),
        any_method_(contains(options.allow_methods, "*")),
        any_header_(contains(options.allow_headers, "*")),
        methods_(middleware::join(options.allow_methods)),
        headers_(middleware::join(options.allow_headers)),
        expose_(middleware::join(options.expose_headers)),
        max_age_(options.max_age.count() > 0 ? std::to_string(options.max_age.count()) : "") {}

  void operator()(Context& c) const {
    std::string_view origin = c.header("Origin");
    const bool preflight = c.method() == "OPTIONS" && !origin.empty() &&
                           !c.header("Access-Control-Request-Method").empty();
    if (preflight) {
      answer_preflight(c, origin);
      return;
    }
    // Set just before the answer leaves, so that an answer made by an exception or by a
    // handler that cleared the headers still carries them: the page can then read its error.
    c.before_send([this](Context& c, OutgoingAnswer&) { add_headers(c); });
    c.next();
  }

 private:
  // The headers of an answer that is not a preflight's.
  void add_headers(Context& c) const {
    std::string_view origin = c.header("Origin");
    if (origin.empty()) {
      if (varies_by_origin()) middleware::add_vary(c, "Origin");
      return;
    }
    if (!allow(c, origin)) return;
    if (credentials_) c.header("Access-Control-Allow-Credentials", "true");
    if (!expose_.empty()) c.header("Access-Control-Expose-Headers", expose_);
  }

  // The answer differs between origins unless every origin gets "*".
  bool varies_by_origin() const { return !(any_origin_ && !credentials_); }

  bool allowed(std::string_view origin) const {
    if (any_origin_ && !credentials_) return true;
    if (!is_well_formed_origin(origin)) return false;
    bool listed = std::any_of(origins_.begin(), origins_.end(), [&](const std::string& item) {
      return equals_ignoring_case(item, origin);
    });
    // "*" with credentials sends the origin back, but never "null": any sandboxed frame or
    // local file sends that one.
    return listed || (any_origin_ && origin != "null") || (allow_origin_ && allow_origin_(origin));
  }

  // Sets Access-Control-Allow-Origin (and Vary) when `origin` is allowed; says whether it is.
  bool allow(Context& c, std::string_view origin) const {
    if (varies_by_origin()) middleware::add_vary(c, "Origin");
    if (!allowed(origin)) return false;
    c.header("Access-Control-Allow-Origin", varies_by_origin() ? origin : "*");
    return true;
  }

  void answer_preflight(Context& c, std::string_view origin) const {
    c.abort();
    if (!allow(c, origin)) {
      c.string(403, "CORS: origin not allowed");
      return;
    }
    c.status(204);
    if (credentials_) c.header("Access-Control-Allow-Credentials", "true");
    std::string_view method = c.header("Access-Control-Request-Method");
    if (any_method_ && is_token(method)) {
      middleware::add_vary(c, "Access-Control-Request-Method");
      c.header("Access-Control-Allow-Methods", method);
    } else if (!any_method_ && !methods_.empty()) {
      c.header("Access-Control-Allow-Methods", methods_);
    }
    std::string_view requested = c.header("Access-Control-Request-Headers");
    if (any_header_) {
      middleware::add_vary(c, "Access-Control-Request-Headers");
      if (!requested.empty() && is_token_list(requested)) {
        c.header("Access-Control-Allow-Headers", requested);
      }
    } else if (!headers_.empty()) {
      c.header("Access-Control-Allow-Headers", headers_);
    }
    if (!max_age_.empty()) c.header("Access-Control-Max-Age", max_age_);
  }

  std::vector<std::string> origins_;
  std::function<bool(std::string_view)> allow_origin_;
  bool any_origin_;
  bool credentials_;
  bool any_method_;
  bool any_header_;
  std::string methods_;
  std::string headers_;
  std::string expose_;
  std::string max_age_;
};

}  // namespace

Handler cors(CorsOptions options) {
  auto policy = std::make_shared<const CorsPolicy>(std::move(options));
  return [policy](Context& c) { (*policy)(c); };
}

}  // namespace sloe
