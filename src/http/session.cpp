#include "http/session.hpp"

#include <algorithm>
#include <cstring>

namespace sloe::http {

Session::Session(const Limits& limits, RequestHandler& handler, Transport& transport,
                 std::string remote_ip)
    : parser_(limits),
      handler_(handler),
      transport_(transport),
      remote_ip_(std::move(remote_ip)),
      max_request_bytes_(limits.max_header_bytes + limits.max_body_bytes +
                         limits.max_trailer_bytes) {}

std::span<char> Session::prepare(std::size_t min_free) {
  if (capacity_ - end_ < min_free && start_ > 0) {
    // Offsets inside the parser are relative to the request's first byte, so moving the
    // pending bytes to the front keeps them valid.
    std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (capacity_ - end_ < min_free) {
    // Doubling, but not past what one request may hold: the limits are the ceiling of a
    // connection's input memory, not half of it.
    std::size_t capacity = std::max(end_ + min_free, std::min(capacity_ * 2, max_request_bytes_));
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return {buffer_.get() + end_, capacity_ - end_};
}

std::size_t Session::answer(std::span<char> data) {
  std::size_t done = 0;
  while (!closing_ && done < data.size()) {
    RequestParser::Result result = parser_.parse(data.subspan(done));
    if (result == RequestParser::Result::incomplete) {
      if (parser_.take_expect_continue()) output_.bytes().append("HTTP/1.1 100 Continue\r\n\r\n");
      break;
    }
    if (result == RequestParser::Result::error) {
      serialize_error(output_.bytes(), parser_.error());
      closing_ = true;
      break;
    }
    const Request& request = parser_.request();
    lent_request_ = done;
    ++requests_;
    exchange_.begin(request, {.head_request = request.method_id == kMethodHead,
                              .keep_alive = request.keep_alive && !shutting_down_,
                              .http10 = request.version_minor == 0});
    serving_ = true;
    handler_.serve(exchange_);
    serving_ = false;
    // Kept, the lent buffer became the session's own: the caller goes on from there.
    if (kept_lent_ || exchange_.open()) break;
    done += parser_.consumed();
    next_request();
  }
  return done;
}

void Session::serve(const Request& request) {
  exchange_.begin(request, {.head_request = false, .keep_alive = true, .http10 = false});
  serving_ = true;
  handler_.serve(exchange_);
  serving_ = false;
}

void Session::next_request() {
  parser_.next();
  if (!exchange_.keep_alive_) closing_ = true;
}

void Session::process() {
  std::size_t done = answer({buffer_.get() + start_, end_ - start_});
  start_ += done;
  if (start_ == end_ && !waiting()) release_buffer();
}

void Session::process(ReadBuffer& lent, std::size_t bytes) {
  if (has_pending_input()) {
    std::span<char> space = prepare(bytes);
    std::memcpy(space.data(), lent.data.get(), bytes);
    commit(bytes);
    process();
    return;
  }
  lent_ = &lent;
  lent_bytes_ = bytes;
  const std::size_t done = answer({lent.data.get(), bytes});
  lent_ = nullptr;
  if (kept_lent_) {
    kept_lent_ = false;
    if (!waiting()) exchange_ended();  // it ended before its handler returned
    return;
  }
  const std::size_t rest = bytes - done;
  if (rest == 0 || closing_) return;
  // Part of a request: keep its bytes, the lent buffer is reused by the next read.
  std::span<char> space = prepare(rest);
  std::memcpy(space.data(), lent.data.get() + done, rest);
  commit(rest);
}

void Session::keep_request_bytes() {
  if (lent_ == nullptr || kept_lent_) return;  // already in the session's own buffer
  // No pending input when a lent buffer is processed, so the own buffer holds nothing.
  buffer_ = std::move(lent_->data);
  capacity_ = lent_->capacity;
  start_ = lent_request_;
  end_ = lent_bytes_;
  kept_lent_ = true;
}

void Session::exchange_output() {
  if (!serving_) transport_.output_ready();
}

void Session::exchange_ended() {
  if (serving_) return;  // answer() goes on by itself
  start_ += parser_.consumed();
  next_request();
  process();
  transport_.output_ready();
}

void Session::output_sent() {
  if (exchange_.open()) exchange_.drained();
}

void Session::abandon() {
  closing_ = true;
  output_.clear();
  if (exchange_.open()) exchange_.abandon();
}

void Session::begin_shutdown() {
  shutting_down_ = true;
  if (idle()) closing_ = true;
}

void Session::time_out() {
  serialize_error(output_.bytes(), 408, "request timeout: the request was not received in time");
  closing_ = true;
}

void Session::release_buffer() {
  buffer_.reset();
  capacity_ = start_ = end_ = 0;
}

}  // namespace sloe::http
