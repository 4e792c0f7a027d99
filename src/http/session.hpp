#pragma once
// One connection's HTTP/1.1 conversation without the socket: bytes in, responses out, in
// request order. The net layer drives it over TCP; sloe::testing::Client drives it in memory.

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "http/request_parser.hpp"
#include "http/response.hpp"

namespace sloe::http {

/// Answers parsed requests; the engine implements it.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  /// Appends exactly one response for `request` to `out`. Returns false when the connection
  /// must close after it (the framing said so, or the handler asked for it).
  virtual bool dispatch(const Request& request, ResponseFraming framing, std::string& out) = 0;
};

class Session {
 public:
  Session(const Limits& limits, Dispatcher& dispatcher);

  /// Room for at least `min_free` more bytes of input; write into it, then commit().
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t bytes) { end_ += bytes; }

  /// Parses and answers every complete request received so far; the answers are appended to
  /// output(), and a `100 Continue` when a request waits for it.
  void process();
  /// The same for bytes in a buffer the session does not own (the worker's read buffer, shared
  /// by its connections): complete requests are answered straight from it, and only the part
  /// of a request that is still incomplete is copied into the session's own buffer.
  void process(std::string_view borrowed);
  /// Part of a request waits for more bytes in the session's own buffer.
  bool has_pending_input() const { return start_ != end_; }

  /// Bytes to send; the transport erases what it wrote.
  std::string& output() { return output_; }
  /// The connection ends once output() is flushed: an error, `Connection: close`, shutdown.
  bool closing() const { return closing_; }
  /// From now on every answer says `Connection: close`; an idle session closes at once.
  void begin_shutdown();
  /// The client took too long: answer 408 and close.
  void time_out();
  /// No byte of a next request has arrived and nothing waits to be sent.
  bool idle() const { return start_ == end_ && output_.empty(); }
  RequestParser::Phase phase() const { return parser_.phase(); }

 private:
  std::size_t answer(std::string_view data);  // returns the bytes of the requests answered
  void release_buffer();

  RequestParser parser_;
  Dispatcher& dispatcher_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;  // first byte of the request being parsed
  std::size_t end_ = 0;    // one past the last byte received
  std::string output_;
  bool closing_ = false;
  bool shutting_down_ = false;
};

}  // namespace sloe::http
