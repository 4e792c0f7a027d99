#pragma once
// One connection's HTTP/1.1 conversation without the socket: bytes in, responses out, in
// request order. The net layer drives it over TCP; sloe::testing::Client drives it in memory.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "http/request_parser.hpp"
#include "http/response.hpp"

namespace sloe::http {

/// What became of a dispatched request.
enum class Outcome : std::uint8_t {
  keep_alive,  // answered; the connection stays open
  close,       // answered; the connection closes after it
  pending,     // answered later (deferred or coroutine handler): Session::resume() follows
};

/// Answers parsed requests; the engine implements it.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  /// Appends exactly one response for `request` to `out`, now or, when it returns pending,
  /// later, followed by Session::resume(). A pending request's views stay valid until then.
  virtual Outcome dispatch(const Request& request, ResponseFraming framing, std::string& out) = 0;
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
  /// Chunked bodies are decoded in place, so the borrowed bytes are written to.
  void process(std::span<char> borrowed);
  /// Part of a request waits for more bytes in the session's own buffer.
  bool has_pending_input() const { return start_ != end_; }
  /// A request is being answered later; no input is read or parsed until resume().
  bool waiting() const { return waiting_; }
  /// The late answer was appended to output(): go on with the requests behind it.
  void resume(bool keep_alive);

  /// Where the request being answered moved to, if pin() moved it.
  struct Relocation {
    const char* from = nullptr;
    std::size_t size = 0;
    const char* to = nullptr;
  };
  /// Called while a request is being answered that will be answered later: its bytes (and
  /// those behind it) move out of the borrowed buffer into the session's own, so they stay
  /// valid after this read. The request's views are made anew; returns how they moved.
  Relocation pin();

  /// Bytes to send; the transport erases what it wrote.
  std::string& output() { return output_; }
  /// The connection ends once output() is flushed: an error, `Connection: close`, shutdown.
  bool closing() const { return closing_; }
  /// From now on every answer says `Connection: close`; an idle session closes at once.
  void begin_shutdown();
  /// The client took too long: answer 408 and close.
  void time_out();
  /// No byte of a next request has arrived and nothing waits to be sent.
  bool idle() const { return start_ == end_ && output_.empty() && !waiting_; }
  RequestParser::Phase phase() const { return parser_.phase(); }

 private:
  std::size_t answer(std::span<char> data,
                     bool borrowed);  // returns the bytes of the requests answered
  void release_buffer();

  RequestParser parser_;
  Dispatcher& dispatcher_;
  const std::size_t max_request_bytes_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;  // first byte of the request being parsed
  std::size_t end_ = 0;    // one past the last byte received
  std::string output_;
  bool closing_ = false;
  bool shutting_down_ = false;
  bool waiting_ = false;
  // While answer() works on a borrowed buffer: what is left of it from the current request.
  std::span<char> borrowed_rest_;
  bool pinned_ = false;
};

}  // namespace sloe::http
