#include "http/session.hpp"

#include <algorithm>
#include <cstring>

namespace sloe::http {

Session::Session(const Limits& limits, Dispatcher& dispatcher)
    : parser_(limits),
      dispatcher_(dispatcher),
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

std::size_t Session::answer(std::span<char> data, bool borrowed) {
  std::size_t done = 0;
  pinned_ = false;
  while (!closing_ && done < data.size()) {
    borrowed_rest_ = borrowed ? data.subspan(done) : std::span<char>{};
    RequestParser::Result result = parser_.parse(data.subspan(done));
    if (result == RequestParser::Result::incomplete) {
      if (parser_.take_expect_continue()) output_.append("HTTP/1.1 100 Continue\r\n\r\n");
      break;
    }
    if (result == RequestParser::Result::error) {
      serialize_error(output_, parser_.error());
      closing_ = true;
      break;
    }
    const Request& request = parser_.request();
    ResponseFraming framing{.head_request = request.method_id == kMethodHead,
                            .keep_alive = request.keep_alive && !shutting_down_,
                            .http10 = request.version_minor == 0};
    Outcome outcome = dispatcher_.dispatch(request, framing, output_);
    borrowed_rest_ = {};
    if (outcome == Outcome::pending) {
      waiting_ = true;  // the request's bytes stay where they are until resume()
      break;
    }
    bool keep_alive = outcome == Outcome::keep_alive && framing.keep_alive;
    done += parser_.consumed();
    parser_.next();
    if (!keep_alive) closing_ = true;
  }
  return done;
}

void Session::process() {
  start_ += answer({buffer_.get() + start_, end_ - start_}, false);
  if (start_ == end_ && !waiting_) release_buffer();
}

void Session::process(std::span<char> borrowed) {
  if (has_pending_input()) {
    std::span<char> space = prepare(borrowed.size());
    std::memcpy(space.data(), borrowed.data(), borrowed.size());
    commit(borrowed.size());
    process();
    return;
  }
  std::span<char> rest = borrowed.subspan(answer(borrowed, true));
  if (rest.empty() || closing_ || pinned_) return;
  // Part of a request: keep its bytes, the borrowed buffer is reused by the next read.
  std::span<char> space = prepare(rest.size());
  std::memcpy(space.data(), rest.data(), rest.size());
  commit(rest.size());
}

Session::Relocation Session::pin() {
  if (borrowed_rest_.empty() || pinned_) return {};
  std::span<char> space = prepare(borrowed_rest_.size());
  std::memcpy(space.data(), borrowed_rest_.data(), borrowed_rest_.size());
  commit(borrowed_rest_.size());
  parser_.rebase(buffer_.get() + start_);
  pinned_ = true;
  return {borrowed_rest_.data(), borrowed_rest_.size(), buffer_.get() + start_};
}

void Session::resume(bool keep_alive) {
  waiting_ = false;
  start_ += parser_.consumed();
  parser_.next();
  if (!keep_alive) closing_ = true;
  process();
}

void Session::begin_shutdown() {
  shutting_down_ = true;
  if (idle()) closing_ = true;
}

void Session::time_out() {
  serialize_error(output_, 408, "request timeout: the request was not received in time");
  closing_ = true;
}

void Session::release_buffer() {
  buffer_.reset();
  capacity_ = start_ = end_ = 0;
}

}  // namespace sloe::http
