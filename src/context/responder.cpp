#include "sloe/context/responder.hpp"

#include <spdlog/spdlog.h>

#include "context/context_state.hpp"
#include "context/json_writer.hpp"
#include "context/responder_core.hpp"

namespace sloe {

namespace detail {

bool ResponderCore::complete(int code, std::string_view content_type, std::string_view text) {
  {
    std::lock_guard lock(mutex);
    if (answered) {
      spdlog::warn("sloe: a deferred request was answered twice; the second answer ({}) is ignored",
                   code);
      return false;
    }
    answered = true;
    status = code;
    if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
    body.assign(text);
  }
  executor->post([self = shared_from_this()] { self->deliver(); });
  return true;
}

void ResponderCore::deliver() {
  // The request ended meanwhile (at its deadline): the Context is dead or serves another one.
  if (ContextAccess::generation(*context) != generation) return;
  ContextState& s = ContextAccess::state(*context);
  if (!s.pending) return;
  s.status = status;
  for (const auto& [name, value] : headers) s.response_headers.set(name, value);
  s.body = std::move(body);
  ContextAccess::complete_async(*context);
}

ResponderOwner::~ResponderOwner() {
  bool answered;
  {
    std::lock_guard lock(core->mutex);
    answered = core->answered;
  }
  if (!answered) {
    spdlog::error(
        "sloe: a deferred request's Responder was dropped without answering; "
        "answering 500");
    core->complete(500, "text/plain; charset=utf-8", kServerErrorBody);
  }
}

}  // namespace detail

Responder& Responder::header(std::string_view name, std::string_view value) {
  detail::require_token("sloe::Responder::header", name);
  std::lock_guard lock(owner_->core->mutex);
  if (!owner_->core->answered) owner_->core->headers.emplace_back(name, value);
  return *this;
}

bool Responder::string(int code, std::string_view text) {
  return owner_->core->complete(code, "text/plain; charset=utf-8", text);
}

bool Responder::json(int code, JsonFields fields) {
  std::string body;
  detail::append_json(body, fields);
  return owner_->core->complete(code, "application/json; charset=utf-8", body);
}

bool Responder::json(int code, const sloe::json& value) {
  return owner_->core->complete(code, "application/json; charset=utf-8", detail::dump_json(value));
}

bool Responder::data(int code, std::string_view content_type, std::string_view bytes) {
  return owner_->core->complete(code, content_type, bytes);
}

bool Responder::status(int code) {
  return owner_->core->complete(code, {}, {});
}

bool Responder::answered() const {
  std::lock_guard lock(owner_->core->mutex);
  return owner_->core->answered;
}

}  // namespace sloe
