// The response side of a Context: status, headers, and the bodies string(), json(), data()
// and redirect() write; what is written so far (response_*).

#include "sloe/context/context.hpp"

#include <stdexcept>

#include "context/context_state.hpp"
#include "context/json_writer.hpp"
#include "http/field_syntax.hpp"

namespace sloe {

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

}  // namespace sloe
