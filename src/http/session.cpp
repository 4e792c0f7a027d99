#include "http/session.hpp"

#include <algorithm>
#include <cstring>

namespace sloe::http {

Session::Session(const Limits& limits, Dispatcher& dispatcher)
    : parser_(limits), dispatcher_(dispatcher) {}

std::span<char> Session::prepare(std::size_t min_free) {
  if (capacity_ - end_ < min_free && start_ > 0) {
    // Offsets inside the parser are relative to the request's first byte, so moving the
    // pending bytes to the front keeps them valid.
    std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (capacity_ - end_ < min_free) {
    std::size_t capacity = std::max(capacity_ * 2, end_ + min_free);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return {buffer_.get() + end_, capacity_ - end_};
}

std::size_t Session::answer(std::string_view data) {
  std::size_t done = 0;
  while (!closing_ && done < data.size()) {
    RequestParser::Result result = parser_.parse(data.substr(done));
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
    bool keep_alive = dispatcher_.dispatch(request, framing, output_) && framing.keep_alive;
    done += parser_.consumed();
    parser_.next();
    if (!keep_alive) closing_ = true;
  }
  return done;
}

void Session::process() {
  start_ += answer({buffer_.get() + start_, end_ - start_});
  if (start_ == end_) release_buffer();
}

void Session::process(std::string_view borrowed) {
  if (has_pending_input()) {
    std::span<char> space = prepare(borrowed.size());
    std::memcpy(space.data(), borrowed.data(), borrowed.size());
    commit(borrowed.size());
    process();
    return;
  }
  std::string_view rest = borrowed.substr(answer(borrowed));
  if (rest.empty() || closing_) return;
  // Part of a request: keep it, the borrowed buffer is reused by the next read.
  std::span<char> space = prepare(rest.size());
  std::memcpy(space.data(), rest.data(), rest.size());
  commit(rest.size());
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
