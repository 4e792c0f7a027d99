#include "http/exchange.hpp"

#include <charconv>
#include <utility>

#include "http/session.hpp"

namespace sloe::http {

std::string_view Exchange::remote_ip() const {
  return session_->remote_ip_;
}

const std::shared_ptr<Executor>& Exchange::executor() const {
  return session_->transport_.executor();
}

void Exchange::begin(const Request& request, ResponseFraming framing) {
  request_ = &request;
  framing_ = framing;
  body_bytes_ = 0;
  answered_ = streaming_ = chunked_ = bodiless_ = later_ = abandoned_ = false;
  keep_alive_ = framing.keep_alive;
  open_ = true;
}

void Exchange::write_head(int status, ResponseHeaders& headers, BodyLength length) {
  if (iequals(headers.get("Connection"), "close")) {
    keep_alive_ = false;
    headers.remove("Connection");
  }
  answered_ = true;
  // Abandoned: the client is gone, nothing more is written for it.
  bodiless_ = framing_.head_request || is_bodiless_status(status) || abandoned_;
  if (abandoned_) return;
  ResponseFraming framing = framing_;
  framing.keep_alive = keep_alive_;
  serialize_head(session_->output_.bytes(), status, headers, length, framing);
}

void Exchange::answer(int status, ResponseHeaders& headers, std::string_view body) {
  write_head(status, headers, {.kind = BodyLength::Kind::content_length, .bytes = body.size()});
  body_bytes_ = body.size();
  if (!bodiless_) session_->output_.bytes().append(body);
  // Sent when the exchange ends (end() tells the transport), with whatever follows it.
}

void Exchange::answer_file(int status, ResponseHeaders& headers, FileRange body) {
  write_head(status, headers, {.kind = BodyLength::Kind::content_length, .bytes = body.length});
  body_bytes_ = body.length;
  if (!bodiless_) session_->output_.append_file(std::move(body));
}

void Exchange::start_stream(int status, ResponseHeaders& headers) {
  streaming_ = true;
  // An HTTP/1.0 client knows no chunks: the body ends with the connection.
  chunked_ = !framing_.http10;
  if (!chunked_) keep_alive_ = false;
  write_head(status, headers,
             {.kind = chunked_ ? BodyLength::Kind::chunked : BodyLength::Kind::until_close});
  session_->exchange_output();
}

void Exchange::write(std::string_view bytes) {
  if (bytes.empty() || abandoned_) return;
  body_bytes_ += bytes.size();
  if (bodiless_) return;
  std::string& out = session_->output_.bytes();
  if (chunked_) {
    char size[16];
    auto [end, ec] = std::to_chars(size, size + sizeof size, bytes.size(), 16);
    out.append(size, end).append("\r\n").append(bytes).append("\r\n");
  } else {
    out.append(bytes);
  }
  session_->exchange_output();
}

void Exchange::answer_later() {
  if (later_) return;
  later_ = true;
  session_->keep_request_bytes();
}

void Exchange::end(bool complete) {
  if (!open_) return;
  if (!answered_) {
    // The application must answer before it ends an exchange; the client still gets one.
    serialize_error(session_->output_.bytes(), 500, "internal server error: no answer was given");
    keep_alive_ = false;
  } else if (streaming_ && !complete) {
    keep_alive_ = false;
  } else if (streaming_ && chunked_ && !bodiless_ && !abandoned_) {
    session_->output_.bytes().append("0\r\n\r\n");
  }
  open_ = false;
  drained_ = nullptr;
  abandoned_fn_ = nullptr;
  session_->exchange_ended();
}

std::size_t Exchange::unsent() const {
  return session_->output_.size();
}

void Exchange::when_drained(std::function<void()> fn) {
  if (abandoned_ || unsent() <= kUnsentLimit) {
    fn();
    return;
  }
  drained_ = std::move(fn);
}

void Exchange::drained() {
  // Posted, not called: the transport is in the middle of writing.
  if (drained_ && unsent() <= kUnsentLimit) executor()->post(std::exchange(drained_, nullptr));
}

void Exchange::on_abandoned(std::function<void()> fn) {
  abandoned_fn_ = std::move(fn);
}

void Exchange::abandon() {
  abandoned_ = true;
  keep_alive_ = false;
  if (abandoned_fn_) executor()->post(std::exchange(abandoned_fn_, nullptr));
  if (drained_) executor()->post(std::exchange(drained_, nullptr));
}

}  // namespace sloe::http
