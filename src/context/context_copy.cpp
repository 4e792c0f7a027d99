#include "sloe/context/context_copy.hpp"

#include "context/context_state.hpp"
#include "http/request.hpp"
#include "http/url.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

using detail::ContextState;

std::string_view ContextCopy::param(std::string_view key) const {
  for (const auto& [name, value] : params_) {
    if (name == key) return value;
  }
  return {};
}

std::optional<std::string> ContextCopy::get_query(std::string_view key) const {
  std::optional<std::string> found;
  http::for_each_query_pair(raw_query_, [&](std::string_view k, std::string_view v) {
    std::string name;
    if (!http::percent_decode(k, name, true) || name != key) return true;
    std::string value;
    if (http::percent_decode(v, value, true)) found = std::move(value);
    return !found.has_value();
  });
  return found;
}

std::string ContextCopy::query(std::string_view key) const {
  return get_query(key).value_or("");
}

std::string_view ContextCopy::header(std::string_view name) const {
  for (const auto& [field, value] : headers_) {
    if (http::iequals(field, name)) return value;
  }
  return {};
}

ContextCopy Context::copy(bool with_body) const {
  check();
  ContextState& s = *state_;
  ContextCopy copy;
  copy.method_ = s.request->method;
  copy.path_ = s.path;
  copy.full_path_ = s.full_path;
  copy.params_.reserve(s.params.size());
  for (const Param& p : s.params) copy.params_.emplace_back(p.key, p.value);
  copy.raw_query_ = s.request->query;
  copy.headers_.reserve(s.request->headers.size());
  for (const http::Header& h : s.request->headers) copy.headers_.emplace_back(h.name, h.value);
  copy.keys_ = s.keys.share();
  copy.client_ip_ = client_ip();
  if (with_body) copy.body_ = s.request->body;
  copy.start_time_ = s.start;
  copy.request_id_ = s.request_id;
  copy.trace_id_ = s.trace_id;
  if (s.home->lifetime) copy.scope_ = *s.home->lifetime;
  return copy;
}

}  // namespace sloe
