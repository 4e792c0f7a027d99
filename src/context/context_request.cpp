// The request side of a Context: method, path, params, query, form, headers, body, client
// address, ids, scope and the request-scoped keys.

#include "sloe/context/context.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "context/context_state.hpp"
#include "context/request_lookup.hpp"
#include "http/multipart.hpp"
#include "http/url.hpp"

namespace sloe {

using detail::ContextState;
using detail::decode_component;

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
  return detail::find_param(state_->params, key);
}

std::span<const Param> Context::params() const {
  check();
  return state_->params;
}

std::optional<std::string_view> Context::get_query(std::string_view key) const {
  check();
  return detail::get_query(state_->request->query, key, state_->scratch);
}

std::string_view Context::query(std::string_view key) const {
  return get_query(key).value_or("");
}

std::string_view Context::default_query(std::string_view key, std::string_view fallback) const {
  return get_query(key).value_or(fallback);
}

std::vector<std::string_view> Context::query_array(std::string_view key) const {
  check();
  return detail::query_array(state_->request->query, key, state_->scratch);
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
  return detail::find_header(state_->request->headers, name);
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

void Context::set_timeout(std::chrono::milliseconds timeout) {
  check();
  ContextState& s = *state_;
  // The deadline timers of a request answered later, and the scope's deadline, are set from it
  // when they are made.
  if (s.pending || s.scope) {
    throw std::logic_error(
        "sloe: set_timeout() after the request's scope was made or it is answered later; call it "
        "in middleware before the handler runs");
  }
  s.timeout = timeout.count() > 0 ? timeout : std::chrono::milliseconds(0);
}

std::chrono::milliseconds Context::timeout() const {
  check();
  return state_->timeout;
}

std::string_view Context::request_id() const {
  check();
  return state_->request_id;
}

std::string_view Context::trace_id() const {
  check();
  return state_->trace_id;
}

std::string_view Context::span_id() const {
  check();
  return state_->span_id;
}

void Context::set_trace(std::string_view trace_id, std::string_view span_id) {
  check();
  if (!is_trace_id(trace_id) || !is_span_id(span_id)) {
    throw std::invalid_argument(
        "sloe::Context::set_trace: a trace id is 32 and a span id 16 lowercase hex digits, not "
        "all zero");
  }
  state_->trace_id.assign(trace_id);
  state_->span_id.assign(span_id);
}

const Scope& Context::scope() const {
  check();
  ContextState& s = *state_;
  if (!s.scope) {
    const Scope& parent = s.home->lifetime ? *s.home->lifetime : Scope::background();
    s.scope =
        s.timeout.count() > 0 ? parent.with_deadline(s.start + s.timeout) : parent.with_cancel();
  }
  return *s.scope;
}

// ---- keys ---------------------------------------------------------------------------------

void Context::set_any(std::string_view key, std::any value) {
  check();
  state_->keys.set(key, std::move(value));
}

std::any* Context::find_any(std::string_view key) {
  check();
  return state_->keys.find(key);
}

}  // namespace sloe
