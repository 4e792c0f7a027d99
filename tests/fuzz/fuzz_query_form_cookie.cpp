// Query strings, urlencoded and multipart forms and cookies, read through a Context the way a
// handler reads them, against references written here. The request is built directly (not
// parsed), so any bytes reach the Context. Input (text), one field a line:
//   1: the query string          2: the Cookie header value
//   3: a cookie value to send escaped, as set_cookie() writes it (must read back unchanged)
//   4: "<METHOD> <Content-Type>" (GET, POST, PUT, PATCH, DELETE, OPTIONS or TRACE)
//   5+: the body (the rest of the input)
// References:
//  - query and urlencoded form (http/url.hpp, Go's url.ParseQuery): pairs split at '&', empty
//    ones skipped, key and value split at the first '=', both decoded as url.QueryUnescape
//    does ('+' is a space, '%' needs two hex digits); a pair that does not decode is skipped.
//    (Go 1.17+ also drops a pair holding a ';'; url.hpp does not say so and sloe keeps it.)
//    get_query/query/query_array/query_map and get_post_form/post_form_array/post_form_map
//    for every key present, and for one that is not;
//  - multipart form: http::parse_multipart of the body, fields and files in order, or a
//    BadRequest when it is malformed;
//  - cookie(): Go's Request.Cookie plus Gin's QueryUnescape, compared where Go's rules and
//    sloe's simpler split agree by construction: a header of "name=value" pairs with token
//    names, cookie-octet values, "; " between them and only well-formed escapes.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sloe/sloe.hpp>

#include "context/context_state.hpp"
#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "fuzz_support.hpp"
#include "http/multipart.hpp"
#include "http/request.hpp"
#include "http/session.hpp"
#include "http/url.hpp"

namespace {

using sloe::fuzz::check;
using sloe::fuzz::fail;
using sloe::fuzz::printable;

using Pairs = std::vector<std::pair<std::string, std::string>>;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape.
std::optional<std::string> query_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// url.ParseQuery's pairs, in order, as http/url.hpp documents them.
Pairs parse_query(std::string_view query) {
  Pairs pairs;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = query_unescape(pair.substr(0, eq));
    auto value =
        query_unescape(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (key && value) pairs.emplace_back(std::move(*key), std::move(*value));
  }
  return pairs;
}

// Gin's QueryMap/PostFormMap convention: "key[name]=v" gives {name: v}; the first one wins.
std::map<std::string, std::string> bracketed(const Pairs& pairs, std::string_view key) {
  std::map<std::string, std::string> found;
  for (const auto& [k, v] : pairs) {
    const std::size_t open = k.find('[');
    if (open == 0 || open == std::string::npos || std::string_view(k).substr(0, open) != key) {
      continue;
    }
    const std::size_t close = k.find(']', open + 1);
    if (close == std::string::npos || close == open + 1) continue;
    found.emplace(k.substr(open + 1, close - open - 1), v);
  }
  return found;
}

// Keys worth asking for: every key present, every prefix before a '[', and one never sent.
std::set<std::string> keys_of(const Pairs& pairs) {
  std::set<std::string> keys = {"sloe-absent-key"};
  for (const auto& [k, v] : pairs) {
    keys.insert(k);
    const std::size_t open = k.find('[');
    if (open != std::string::npos) keys.insert(k.substr(0, open));
  }
  return keys;
}

bool token_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b <= 0x20 || b >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

bool cookie_octet(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

// The Cookie header value in the shape where Go's readCookies and a plain split agree: its
// pairs, or nullopt when it is not in that shape.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> simple_cookies(
    std::string_view header) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = header.substr(0, semi);
    if (semi == std::string_view::npos) {
      header = {};
    } else {
      if (semi + 1 >= header.size() || header[semi + 1] != ' ') return std::nullopt;
      header = header.substr(semi + 2);
      if (header.empty()) return std::nullopt;
    }
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    for (char c : name) {
      if (!token_byte(c)) return std::nullopt;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!cookie_octet(value[i])) return std::nullopt;
      if (value[i] == '%' &&
          (i + 2 >= value.size() || hex(value[i + 1]) < 0 || hex(value[i + 2]) < 0)) {
        return std::nullopt;
      }
    }
    pairs.emplace_back(name, value);
  }
  return pairs;
}

struct Case {
  std::string_view query;
  std::string_view cookie_header;
  std::string round_trip;  // the value of cookie "sloe_rt"
  bool form_body = false;  // POST, PUT or PATCH
  std::string_view content_type;
  std::string_view body;
  bool handled = false;
};

Case* current = nullptr;

template <class Got, class Want>
void expect(const Got& got, const Want& want, std::string_view what) {
  if (got == want) return;
  fail(std::string(what) + " differs from the reference\nquery " + printable(current->query) +
       "\ncookie " + printable(current->cookie_header) + "\ncontent type " +
       printable(current->content_type) + "\nbody " + printable(current->body));
}

std::map<std::string, std::string> owned(const std::map<std::string_view, std::string_view>& m) {
  return {m.begin(), m.end()};
}

std::vector<std::string> owned(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

std::optional<std::string> owned(const std::optional<std::string_view>& v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::vector<std::string> values_of(const Pairs& pairs, std::string_view key) {
  std::vector<std::string> values;
  for (const auto& [k, v] : pairs) {
    if (k == key) values.push_back(v);
  }
  return values;
}

void check_query(sloe::Context& c) {
  const Pairs pairs = parse_query(current->query);
  expect(c.raw_query(), current->query, "raw_query()");
  for (const std::string& key : keys_of(pairs)) {
    const std::vector<std::string> values = values_of(pairs, key);
    const std::optional<std::string> first =
        values.empty() ? std::nullopt : std::optional<std::string>(values.front());
    expect(owned(c.get_query(key)), first, "get_query(" + printable(key) + ")");
    expect(std::string(c.query(key)), first.value_or(""), "query(" + printable(key) + ")");
    expect(owned(c.query_array(key)), values, "query_array(" + printable(key) + ")");
    expect(owned(c.query_map(key)), bracketed(pairs, key), "query_map(" + printable(key) + ")");
  }
}

void check_form(sloe::Context& c) {
  const std::string_view type = current->content_type.substr(0, current->content_type.find(';'));
  std::string_view bare = type;
  while (!bare.empty() && bare.back() == ' ') bare.remove_suffix(1);
  Pairs fields;
  std::vector<sloe::FormFile> files;
  std::string error;
  std::deque<std::string> store;
  sloe::http::MultipartBody body;  // `files` views into it
  if (current->form_body && sloe::http::iequals(bare, "application/x-www-form-urlencoded")) {
    fields = parse_query(current->body);
  } else if (current->form_body && sloe::http::iequals(bare, "multipart/form-data")) {
    const auto boundary = sloe::http::header_parameter(current->content_type, "boundary", store);
    body = sloe::http::parse_multipart(current->body, boundary.value_or(""));
    error = body.error;
    for (const auto& part : body.parts) {
      if (part.filename) {
        files.push_back({part.name, *part.filename, part.content_type, part.content});
      } else {
        fields.emplace_back(std::string(part.name), std::string(part.content));
      }
    }
  }
  if (!error.empty()) {
    bool refused = false;
    try {
      (void)c.post_form("x");
    } catch (const sloe::BadRequest&) {
      refused = true;
    }
    expect(refused, true, "a malformed multipart body (" + error + "): BadRequest");
    return;
  }
  for (const std::string& key : keys_of(fields)) {
    const std::vector<std::string> values = values_of(fields, key);
    const std::optional<std::string> first =
        values.empty() ? std::nullopt : std::optional<std::string>(values.front());
    expect(owned(c.get_post_form(key)), first, "get_post_form(" + printable(key) + ")");
    expect(owned(c.post_form_array(key)), values, "post_form_array(" + printable(key) + ")");
    expect(owned(c.post_form_map(key)), bracketed(fields, key),
           "post_form_map(" + printable(key) + ")");
  }
  for (const sloe::FormFile& want : files) {
    const std::vector<sloe::FormFile> got = c.form_files(want.field);
    bool found = false;
    for (const sloe::FormFile& f : got) {
      found = found || (f.filename == want.filename && f.content == want.content &&
                        f.content_type == want.content_type);
    }
    expect(found, true, "form_files(" + printable(want.field) + ")");
  }
}

void check_cookies(sloe::Context& c) {
  expect(owned(c.cookie("sloe_rt")), std::optional<std::string>(current->round_trip),
         "cookie(\"sloe_rt\") of a value escaped as set_cookie() escapes it");
  const auto pairs = simple_cookies(current->cookie_header);
  if (!pairs) {
    for (std::string_view name : {"a", "b", "sloe_rt"}) (void)c.cookie(name);  // no crash
    return;
  }
  std::set<std::string_view> names = {"sloe-absent"};
  for (const auto& [name, value] : *pairs) names.insert(name);
  for (std::string_view name : names) {
    std::optional<std::string> want;
    if (name == "sloe_rt") continue;
    for (const auto& [n, v] : *pairs) {
      if (n != name) continue;
      // Go strips one pair of double quotes (not a cookie-octet here, so never present).
      want = query_unescape(v).value_or("");
      break;
    }
    expect(owned(c.cookie(name)), want, "cookie(" + printable(name) + ")");
  }
}

sloe::Engine& engine() {
  static sloe::Engine* app = [] {
    auto* e = new sloe::Engine();
    e->any("/q", [](sloe::Context& c) {
      current->handled = true;
      check_query(c);
      check_form(c);
      check_cookies(c);
      c.status(204);
    });
    sloe::detail::EngineAccess::core(*e).freeze();
    return e;
  }();
  return *app;
}

std::string_view take_line(std::string_view& input) {
  const std::size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Case the_case;
  the_case.query = take_line(input);
  const std::string_view cookies = take_line(input);
  const std::string_view round_trip = take_line(input);
  const std::string_view method_and_type = take_line(input);
  const std::size_t space = method_and_type.find(' ');
  const std::string_view method = method_and_type.substr(0, space);
  the_case.content_type =
      space == std::string_view::npos ? std::string_view{} : method_and_type.substr(space + 1);
  // Copies of exactly their size: a read past the end of one is an ASan report.
  const std::string body(input);
  const std::string query(the_case.query);
  the_case.query = query;
  the_case.body = body;

  // The methods Engine::any() registers, but HEAD (no body to answer with) and CONNECT.
  const sloe::http::MethodId id = sloe::http::method_id(method);
  if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" &&
      method != "DELETE" && method != "OPTIONS" && method != "TRACE") {
    return 0;
  }
  the_case.form_body = id == sloe::http::kMethodPost || id == sloe::http::kMethodPut ||
                       id == sloe::http::kMethodPatch;
  the_case.round_trip = std::string(round_trip);
  std::string cookie_header = "sloe_rt=";
  sloe::http::query_escape(round_trip, cookie_header);
  if (!cookies.empty()) cookie_header.append("; ").append(cookies);
  the_case.cookie_header = cookies;

  const std::vector<sloe::http::Header> headers = {
      {"Host", "fuzz.test"},
      {"Cookie", cookie_header},
      {"Content-Type", the_case.content_type},
  };
  sloe::http::Request request;
  request.method_id = id;
  request.method = sloe::http::method_name(id);
  request.target = "/q";
  request.path = "/q";
  request.query = the_case.query;
  request.headers = headers;
  request.body = the_case.body;

  struct NoTransport final : sloe::http::Transport {
    void output_ready() override {}
    const std::shared_ptr<sloe::Executor>& executor() override { return none; }
    std::shared_ptr<sloe::Executor> none;
  };
  sloe::Engine& app = engine();
  static NoTransport transport;
  static sloe::detail::EngineRequestHandler handler(sloe::detail::EngineAccess::core(app));
  sloe::http::Session session(sloe::detail::EngineAccess::core(app).limits(), handler, transport,
                              "192.0.2.1");
  current = &the_case;
  session.serve(request);
  std::string out;
  session.output().drain_into(out);
  current = nullptr;
  check(the_case.handled, "the handler did not run; answer: " + printable(out));
  check(out.starts_with("HTTP/1.1 204 "), "the handler's answer is not a 204: " + printable(out));
  return 0;
}
