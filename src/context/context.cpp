#include "sloe/context/context.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <spdlog/spdlog.h>

#include "context/context_state.hpp"
#include "context/json_writer.hpp"
#include "context/responder_core.hpp"
#include "http/multipart.hpp"
#include "http/url.hpp"
#include "sloe/log_escape.hpp"

namespace sloe {

using detail::ContextState;

namespace {
// Its address is unique per live thread and costs one instruction to compute, unlike
// std::this_thread::get_id(), which is a call into libc.
thread_local const char this_thread_token = 0;
}  // namespace

Context::Context() : owner_(&this_thread_token) {}
Context::~Context() = default;

void Context::check() const {
#if SLOE_LIFETIME_GUARD
  if (!live_.load(std::memory_order_relaxed) ||
      owner_.load(std::memory_order_relaxed) != &this_thread_token) [[unlikely]] {
    throw_misuse();
  }
#endif
}

void Context::throw_misuse() const {
  if (!live_.load(std::memory_order_relaxed)) {
    throw ContextMisuse(
        "sloe::Context used after its request completed: the Context will serve another "
        "request. Call c.copy() inside the handler and keep the copy instead of the Context.");
  }
  throw ContextMisuse(
      "sloe::Context used from a thread other than its request's worker: a Context is "
      "single-threaded. Call c.copy() inside the handler and hand the copy to other threads.");
}

// ---- request ------------------------------------------------------------------------------

std::string_view Context::method() const {
  check();
  return state_->request->method;
}

std::string_view Context::path() const {
  check();
  return state_->path;
}

std::string_view Context::full_path() const {
  check();
  return state_->full_path;
}

std::string_view Context::param(std::string_view key) const {
  check();
  for (const Param& p : state_->params) {
    if (p.key == key) return p.value;
  }
  return {};
}

std::span<const Param> Context::params() const {
  check();
  return state_->params;
}

namespace {

// The decoded form of a query component: a view of `raw` itself when nothing is escaped.
std::optional<std::string_view> decode_component(std::string_view raw, detail::Scratch& scratch) {
  if (!http::needs_decoding(raw, true)) return raw;
  std::string& out = scratch.next();
  if (!http::percent_decode(raw, out, true)) return std::nullopt;
  return std::string_view(out);
}

bool key_matches(std::string_view raw_key, std::string_view key) {
  if (!http::needs_decoding(raw_key, true)) return raw_key == key;
  std::string decoded;
  return http::percent_decode(raw_key, decoded, true) && decoded == key;
}

}  // namespace

std::optional<std::string_view> Context::get_query(std::string_view key) const {
  check();
  std::optional<std::string_view> found;
  http::for_each_query_pair(state_->request->query, [&](std::string_view k, std::string_view v) {
    if (!key_matches(k, key)) return true;
    found = decode_component(v, state_->scratch);
    return !found.has_value();  // a malformed value is skipped, like Go's ParseQuery
  });
  return found;
}

std::string_view Context::query(std::string_view key) const {
  return get_query(key).value_or("");
}

std::string_view Context::default_query(std::string_view key, std::string_view fallback) const {
  return get_query(key).value_or(fallback);
}

std::vector<std::string_view> Context::query_array(std::string_view key) const {
  check();
  std::vector<std::string_view> values;
  http::for_each_query_pair(state_->request->query, [&](std::string_view k, std::string_view v) {
    if (key_matches(k, key)) {
      if (auto value = decode_component(v, state_->scratch)) values.push_back(*value);
    }
    return true;
  });
  return values;
}

std::string_view Context::raw_query() const {
  check();
  return state_->request->query;
}

namespace {

// Gin's map convention: `key[name]=value` pairs give {name: value}; the first value wins.
template <class ForEachPair>
std::map<std::string_view, std::string_view> bracketed(std::string_view key,
                                                       ForEachPair&& for_each_pair) {
  std::map<std::string_view, std::string_view> found;
  for_each_pair([&](std::string_view k, std::string_view v) {
    std::size_t open = k.find('[');
    if (open == 0 || open == std::string_view::npos || k.substr(0, open) != key) return;
    std::size_t close = k.find(']', open + 1);
    if (close == std::string_view::npos || close == open + 1) return;
    found.emplace(k.substr(open + 1, close - open - 1), v);
  });
  return found;
}

}  // namespace

std::map<std::string_view, std::string_view> Context::query_map(std::string_view key) const {
  check();
  return bracketed(key, [this](auto&& visit) {
    http::for_each_query_pair(state_->request->query, [&](std::string_view k, std::string_view v) {
      auto decoded_key = decode_component(k, state_->scratch);
      auto decoded_value = decode_component(v, state_->scratch);
      if (decoded_key && decoded_value) visit(*decoded_key, *decoded_value);
      return true;
    });
  });
}

const detail::Form& Context::form() const {
  check();
  detail::Form& form = state_->form;
  if (!form.parsed) {
    form.parsed = true;
    const http::Request& request = *state_->request;
    // Go's http.Request.ParseForm reads a body for these methods only.
    const bool has_form_body = request.method_id == http::kMethodPost ||
                               request.method_id == http::kMethodPut ||
                               request.method_id == http::kMethodPatch;
    const std::string_view type = content_type();
    if (has_form_body && http::iequals(type, "application/x-www-form-urlencoded")) {
      http::for_each_query_pair(request.body, [&](std::string_view k, std::string_view v) {
        auto key = decode_component(k, state_->scratch);
        auto value = decode_component(v, state_->scratch);
        if (key && value) form.values.emplace_back(*key, *value);
        return true;
      });
    } else if (has_form_body && http::iequals(type, "multipart/form-data")) {
      // The parser copies the boundary: an unescaped one need not outlive it.
      std::deque<std::string> unescaped_boundary;
      std::optional<std::string_view> boundary =
          http::header_parameter(request.header("content-type"), "boundary", unescaped_boundary);
      http::MultipartBody body = http::parse_multipart(request.body, boundary.value_or(""));
      form.error = std::move(body.error);
      form.unescaped = std::move(body.unescaped);  // moving a deque keeps its strings in place
      for (const http::MultipartPart& part : body.parts) {
        if (part.filename) {
          form.files.push_back({part.name, *part.filename, part.content_type, part.content});
        } else {
          form.values.emplace_back(part.name, part.content);
        }
      }
    }
  }
  if (!form.error.empty()) {
    throw BadRequest(fmt::format("malformed multipart/form-data body: {}", form.error));
  }
  return form;
}

std::optional<std::string_view> Context::get_post_form(std::string_view key) const {
  for (const auto& [k, v] : form().values) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string_view Context::post_form(std::string_view key) const {
  return get_post_form(key).value_or("");
}

std::string_view Context::default_post_form(std::string_view key, std::string_view fallback) const {
  return get_post_form(key).value_or(fallback);
}

std::vector<std::string_view> Context::post_form_array(std::string_view key) const {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : form().values) {
    if (k == key) values.push_back(v);
  }
  return values;
}

std::map<std::string_view, std::string_view> Context::post_form_map(std::string_view key) const {
  const detail::Form& parsed = form();
  return bracketed(key, [&parsed](auto&& visit) {
    for (const auto& [k, v] : parsed.values) visit(k, v);
  });
}

std::optional<FormFile> Context::form_file(std::string_view name) const {
  for (const FormFile& file : form().files) {
    if (file.field == name) return file;
  }
  return std::nullopt;
}

std::vector<FormFile> Context::form_files(std::string_view name) const {
  std::vector<FormFile> files;
  for (const FormFile& file : form().files) {
    if (file.field == name) files.push_back(file);
  }
  return files;
}

void Context::save_uploaded_file(const FormFile& file, const std::string& path) const {
  check();
  auto fail = [&](int error) {
    throw std::system_error(
        error, std::generic_category(),
        fmt::format("sloe: cannot save the uploaded file \"{}\" to {}", file.filename, path));
  };
  // fopen would stop at a NUL and write to a shorter name than the one asked for (Go's
  // os.Create refuses such a path too).
  if (path.find('\0') != std::string::npos) fail(EINVAL);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!out) fail(errno);
  if (std::fwrite(file.content.data(), 1, file.content.size(), out.get()) != file.content.size()) {
    fail(errno);
  }
  if (std::fclose(out.release()) != 0) fail(errno);
}

std::string_view Context::header(std::string_view name) const {
  check();
  return state_->request->header(name);
}

std::string_view Context::trailer(std::string_view name) const {
  check();
  return state_->request->trailer(name);
}

std::vector<std::pair<std::string_view, std::string_view>> Context::headers() const {
  check();
  std::vector<std::pair<std::string_view, std::string_view>> all;
  for (const http::Header& h : state_->request->headers) all.emplace_back(h.name, h.value);
  return all;
}

std::optional<std::string_view> Context::cookie(std::string_view name) const {
  check();
  for (const http::Header& h : state_->request->headers) {
    if (!http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      std::size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return decode_component(value, state_->scratch).value_or(value);
    }
  }
  return std::nullopt;
}

std::string_view Context::body() const {
  check();
  return state_->request->body;
}

std::string_view Context::content_type() const {
  check();
  std::string_view type = state_->request->header("content-type");
  std::size_t semi = type.find(';');
  type = type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

namespace {

bool trusted(const std::vector<std::string>* proxies, std::string_view ip) {
  if (proxies == nullptr) return false;
  for (const std::string& proxy : *proxies) {
    if (proxy == ip) return true;
  }
  return false;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view Context::client_ip() const {
  check();
  const ContextState& s = *state_;
  const std::vector<std::string>* proxies = s.home->trusted_proxies;
  const std::string_view peer = s.exchange->remote_ip();
  if (!trusted(proxies, peer)) return peer;
  // X-Forwarded-For lists the hops left to right; the client is the rightmost untrusted one.
  std::string_view forwarded = s.request->header("x-forwarded-for");
  while (!forwarded.empty()) {
    std::size_t comma = forwarded.rfind(',');
    std::string_view hop =
        trim_spaces(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
    if (!trusted(proxies, hop) || comma == std::string_view::npos) {
      if (!hop.empty()) return hop;
      break;
    }
    forwarded = forwarded.substr(0, comma);
  }
  std::string_view real_ip = trim_spaces(s.request->header("x-real-ip"));
  return real_ip.empty() ? peer : real_ip;
}

std::string_view Context::remote_ip() const {
  check();
  return state_->exchange->remote_ip();
}

std::chrono::steady_clock::time_point Context::start_time() const {
  check();
  return state_->start;
}

std::string_view Context::request_id() const {
  check();
  return state_->request_id;
}

std::string_view Context::trace_id() const {
  check();
  return state_->trace_id;
}

const Scope& Context::scope() const {
  check();
  ContextState& s = *state_;
  if (!s.scope) {
    const Scope& parent = s.home->lifetime ? *s.home->lifetime : Scope::background();
    s.scope = s.home->request_timeout.count() > 0
                  ? parent.with_deadline(s.start + s.home->request_timeout)
                  : parent.with_cancel();
  }
  return *s.scope;
}

// ---- keys ---------------------------------------------------------------------------------

void Context::set_any(std::string_view key, std::any value) {
  check();
  for (auto& [name, stored] : state_->keys) {
    if (name == key) {
      stored = std::move(value);
      return;
    }
  }
  state_->keys.emplace_back(std::string(key), std::move(value));
}

std::any* Context::find_any(std::string_view key) {
  check();
  for (auto& [name, stored] : state_->keys) {
    if (name == key) return &stored;
  }
  return nullptr;
}

// ---- response -----------------------------------------------------------------------------

namespace {
void require_valid_status(int code) {
  if (code < 100 || code > 999) {
    throw std::invalid_argument(fmt::format(
        "sloe::Context: invalid HTTP status code {}; use a code from 100 to 999", code));
  }
}
}  // namespace

void Context::status(int code) {
  check();
  require_valid_status(code);
  state_->status = code;
}

int Context::response_status() const {
  check();
  return state_->status;
}

void detail::require_token(std::string_view caller, std::string_view name) {
  if (!http::is_token(name)) {
    throw std::invalid_argument(fmt::format(
        "{}: \"{}\" is not a valid name; use letters, digits and !#$%&'*+-.^_`|~", caller, name));
  }
}

namespace {

// Go's sanitizeCookiePath drops these bytes; sloe refuses them instead of sending another path.
bool is_cookie_path(std::string_view path) {
  return std::ranges::none_of(path, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == ';';
  });
}

bool is_cookie_domain(std::string_view domain) {
  return std::ranges::all_of(domain, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == ':';
  });
}

}  // namespace

void Context::set_cookie(std::string_view name, std::string_view value,
                         const CookieOptions& options) {
  check();
  detail::require_token("sloe::Context::set_cookie", name);
  if (!is_cookie_path(options.path) || !is_cookie_domain(options.domain)) {
    throw std::invalid_argument(fmt::format(
        "sloe::Context::set_cookie: cookie \"{}\" has a path or domain with characters a "
        "Set-Cookie header cannot carry (path \"{}\", domain \"{}\")",
        name, options.path, options.domain));
  }
  // Go's http.Cookie.String, attribute for attribute.
  std::string& header = state_->scratch.next();
  header.append(name).push_back('=');
  http::query_escape(value, header);
  header.append("; Path=").append(options.path.empty() ? "/" : options.path);
  std::string_view domain = options.domain;
  if (domain.starts_with('.')) domain.remove_prefix(1);
  if (!domain.empty()) header.append("; Domain=").append(domain);
  if (options.max_age > 0)
    fmt::format_to(std::back_inserter(header), "; Max-Age={}", options.max_age);
  if (options.max_age < 0) header.append("; Max-Age=0");
  if (options.http_only) header.append("; HttpOnly");
  if (options.secure) header.append("; Secure");
  switch (options.same_site) {
    case SameSite::unset:
      break;
    case SameSite::lax:
      header.append("; SameSite=Lax");
      break;
    case SameSite::strict:
      header.append("; SameSite=Strict");
      break;
    case SameSite::none:
      header.append("; SameSite=None");
      break;
  }
  state_->response_headers.add("Set-Cookie", header);
}

void Context::header(std::string_view name, std::string_view value) {
  check();
  if (value.empty()) {
    state_->response_headers.remove(name);
  } else {
    detail::require_token("sloe::Context::header", name);
    state_->response_headers.set(name, value);
  }
}

std::string& Context::begin_body(int code, std::string_view content_type) {
  status(code);
  if (!state_->response_headers.contains("Content-Type")) {
    state_->response_headers.set("Content-Type", content_type);
  }
  return state_->body;
}

void Context::string(int code, std::string_view text) {
  begin_body(code, "text/plain; charset=utf-8").append(text);
}

void Context::json(int code, JsonFields fields) {
  detail::append_json(begin_body(code, "application/json; charset=utf-8"), fields);
}

void Context::json(int code, const sloe::json& value) {
  begin_body(code, "application/json; charset=utf-8").append(detail::dump_json(value));
}

void Context::data(int code, std::string_view content_type, std::string_view bytes) {
  begin_body(code, content_type).append(bytes);
}

void Context::redirect(int code, std::string_view location) {
  check();
  if ((code < 300 || code > 308) && code != 201) {
    throw std::invalid_argument(fmt::format(
        "sloe::Context::redirect: cannot redirect with status code {}; use 3xx or 201", code));
  }
  state_->status = code;
  state_->response_headers.set("Location", location);
}

std::string_view Context::response_body() const {
  check();
  return state_->body;
}

std::string_view Context::response_header(std::string_view name) const {
  check();
  return state_->response_headers.get(name);
}

std::size_t Context::response_size() const {
  check();
  const http::Exchange& exchange = *state_->exchange;
  if (exchange.answered() && !exchange.streaming()) return exchange.body_bytes();
  return exchange.body_bytes() + state_->body.size();
}

void Context::on_answered(std::function<void(Context&)> fn) {
  check();
  state_->on_answered.push_back(std::move(fn));
}

// ---- chain --------------------------------------------------------------------------------

void Context::next() {
  check();
  ContextState& s = *state_;
  const int size = static_cast<int>(s.chain->size());
  for (++s.index; s.index < size; ++s.index) (*s.chain)[static_cast<std::size_t>(s.index)](*this);
}

void Context::abort() {
  check();
  state_->index = detail::kAbortIndex;
}

void Context::abort_with_status(int code) {
  status(code);
  abort();
}

void Context::abort_with_status_json(int code, JsonFields fields) {
  abort();
  json(code, fields);
}

void Context::abort_with_status_json(int code, const sloe::json& value) {
  abort();
  json(code, value);
}

bool Context::is_aborted() const {
  check();
  return state_->index >= detail::kAbortIndex;
}

void Context::abort_with_exception(std::exception_ptr error) {
  check();
  ContextState& s = *state_;
  if (s.exchange->streaming()) {
    // The status and headers are out: all that is left is to break the answer off.
    s.stream_broken = true;
    s.body.clear();
  }
  // What the handler wrote so far is dropped; the request id still goes back.
  s.response_headers.clear();
  s.file_body.reset();
  if (!s.request_id.empty()) s.response_headers.set("X-Request-ID", s.request_id);
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.index = detail::kAbortIndex;
  auto server_error = [&](std::string_view what) {
    spdlog::error("sloe: handler for {} {} threw: {}", log_escaped(s.request->method),
                  log_escaped(s.path), log_escaped(what));
    s.body.assign(detail::kServerErrorBody);
    s.status = 500;
  };
  try {
    std::rethrow_exception(error);
  } catch (const BadRequest& e) {
    s.errors.push_back({e.what()});
    s.body.assign(e.what());
    s.status = 400;
  } catch (const std::exception& e) {
    server_error(e.what());
  } catch (...) {
    server_error("an exception not derived from std::exception");
  }
}

const Error& Context::error(std::string message) {
  check();
  return state_->errors.emplace_back(Error{std::move(message)});
}

std::span<const Error> Context::errors() const {
  check();
  return state_->errors;
}

// ---- copy ---------------------------------------------------------------------------------

ContextCopy Context::copy(bool with_body) const {
  check();
  const ContextState& s = *state_;
  ContextCopy copy;
  copy.method_ = s.request->method;
  copy.path_ = s.path;
  copy.full_path_ = s.full_path;
  copy.params_.reserve(s.params.size());
  for (const Param& p : s.params) copy.params_.emplace_back(p.key, p.value);
  copy.raw_query_ = s.request->query;
  copy.headers_.reserve(s.request->headers.size());
  for (const http::Header& h : s.request->headers) copy.headers_.emplace_back(h.name, h.value);
  copy.keys_ = s.keys;
  copy.client_ip_ = client_ip();
  if (with_body) copy.body_ = s.request->body;
  copy.start_time_ = s.start;
  copy.request_id_ = s.request_id;
  copy.trace_id_ = s.trace_id;
  if (s.home->lifetime) copy.scope_ = *s.home->lifetime;
  return copy;
}

Responder Context::defer() {
  detail::ContextAccess::suspend(*this);
  ContextState& s = *state_;
  auto core = std::make_shared<detail::ResponderCore>(s.exchange->executor(), *this, generation_);
  if (s.home->request_timeout.count() > 0) {
    std::weak_ptr<detail::ResponderCore> weak = core;
    auto left = s.start + s.home->request_timeout - std::chrono::steady_clock::now();
    s.exchange->executor()->post_after(left, [weak] {
      if (auto late = weak.lock())
        late->complete(503, "text/plain; charset=utf-8", detail::kDeadlineExceededBody);
    });
  }
  return Responder(std::make_shared<detail::ResponderOwner>(std::move(core)));
}

// ---- the engine's side --------------------------------------------------------------------

namespace detail {

void ContextAccess::begin(Context& c, http::Exchange& exchange, ThreadContexts& home) {
  ContextState& s = *c.state_;
  s.request = &exchange.request();
  s.exchange = &exchange;
  s.home = &home;
  s.start = std::chrono::steady_clock::now();
  s.path = s.request->path;
  s.full_path = {};
  s.params.clear();
  s.chain = nullptr;
  s.index = -1;
  s.status = 200;
  c.live_.store(true, std::memory_order_relaxed);
}

void ContextAccess::end(Context& c) {
  c.live_.store(false, std::memory_order_relaxed);
  ContextState& s = *c.state_;
  c.generation_ = s.home->pool.count_completion();
  s.pending = false;
  s.returned = false;
  s.coroutine_running = false;
  s.stream_broken = false;
  s.on_answered.clear();
  if (s.scope) {
    // Like Go's request context: done when the request completes. One that ran into its
    // deadline is left to the deadline timer, so that its reason stays deadline_exceeded.
    std::optional<Scope::clock::time_point> deadline = s.scope->deadline();
    if (!deadline || *deadline > Scope::clock::now()) s.scope->cancel();
    s.scope.reset();
  }
  s.request = nullptr;
  s.exchange = nullptr;
  s.response_headers.clear();
  s.body.clear();
  s.file_body.reset();
  s.keys.clear();
  s.errors.clear();
  s.scratch.clear();
  s.form.clear();
}

void ContextAccess::suspend(Context& c) {
  c.check();
  ContextState& s = *c.state_;
  if (s.pending) {
    throw std::logic_error(
        "sloe: the request is already answered later (defer, a coroutine handler or a stream); "
        "a request is answered later one way only");
  }
  s.pending = true;
  // Its bytes stay where they are until the exchange ends: the Context's views stay valid.
  s.exchange->answer_later();
  s.exchange->on_abandoned([&c, generation = c.generation_] {
    // The client went away: the work for it can stop.
    if (c.generation_ == generation && c.state_->scope) c.state_->scope->cancel();
  });
}

void ContextAccess::complete_async(Context& c) {
  ContextState& s = *c.state_;
  if (!s.pending) return;
  s.pending = false;
  if (s.returned) finish(c);
}

void ContextAccess::finish(Context& c) {
  ContextState& s = *c.state_;
  http::Exchange& exchange = *s.exchange;
  if (exchange.streaming()) {
    exchange.write(s.body);
  } else if (s.file_body && s.body.empty()) {
    exchange.answer_file(s.status, s.response_headers, std::move(*s.file_body));
  } else {
    exchange.answer(s.status, s.response_headers, s.body);
  }
  for (std::size_t i = 0; i < s.on_answered.size(); ++i) {
    try {
      s.on_answered[i](c);
    } catch (const std::exception& e) {
      spdlog::error("sloe: an on_answered hook threw: {}", log_escaped(e.what()));
    } catch (...) {
      spdlog::error("sloe: an on_answered hook threw");
    }
  }
  ContextPool& pool = s.home->pool;
  const bool complete = !s.stream_broken;
  // Answered while its coroutine still runs (the request_timeout 503): the coroutine's driver
  // returns the Context to the pool when the coroutine is done with it.
  const bool coroutine_running = s.coroutine_running;
  end(c);
  if (coroutine_running) {
    pool.hold(c);
  } else {
    pool.release(c);
  }
  exchange.end(complete);
}

void ContextAccess::answer_deadline_exceeded(Context& c) {
  ContextState& s = *c.state_;
  s.status = 503;
  s.response_headers.set("Content-Type", "text/plain; charset=utf-8");
  s.body.assign(kDeadlineExceededBody);
}

bool ContextAccess::past_deadline(Context& c) {
  const ContextState& s = *c.state_;
  return s.home->request_timeout.count() > 0 &&
         std::chrono::steady_clock::now() >= s.start + s.home->request_timeout;
}

Context& ContextPool::acquire() {
  Context* c;
  // The oldest free Context is reused once reuse_distance requests completed after its own;
  // the others in the queue completed later (or, held ones, earlier: they wait their turn).
  if (free_ > 0 && completed_ - ring_[head_]->generation_ >= Context::reuse_distance) {
    c = ring_[head_];
    if (++head_ == ring_.size()) head_ = 0;
    --free_;
  } else {
    c = &fresh();
  }
  if (free_states_.empty()) {
    states_.push_back(std::make_unique<ContextState>());
    c->state_ = states_.back().get();
  } else {
    c->state_ = free_states_.back();
    free_states_.pop_back();
  }
  return *c;
}

Context& ContextPool::fresh() {
  if (unused_ == 0) {
    blocks_.push_back(std::unique_ptr<Context[]>(new Context[kBlock]));
    unused_ = kBlock;
    // One slot per Context, so that release() never needs to grow the ring.
    std::vector<Context*> ring(blocks_.size() * kBlock);
    for (std::size_t i = 0; i < free_; ++i) ring[i] = ring_[(head_ + i) % ring_.size()];
    ring_ = std::move(ring);
    head_ = 0;
  }
  return blocks_.back()[kBlock - unused_--];
}

void ContextPool::return_state(Context& c) {
  free_states_.push_back(c.state_);
  c.state_ = nullptr;
}

void ContextPool::enqueue(Context& c) {
  std::size_t tail = head_ + free_;
  if (tail >= ring_.size()) tail -= ring_.size();
  ring_[tail] = &c;
  ++free_;
}

void ContextPool::release(Context& c) {
  return_state(c);
  enqueue(c);
}

void ContextPool::hold(Context& c) {
  return_state(c);
  ++held_;
}

void ContextPool::release_held(Context& c) {
  --held_;
  enqueue(c);
}

}  // namespace detail
}  // namespace sloe
