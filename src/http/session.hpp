#pragma once
// One connection's HTTP/1.1 conversation without the socket: bytes in, answers out, in
// request order, one exchange at a time. The net layer drives it over TCP;
// sloe::testing::Client drives it in memory.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "http/exchange.hpp"
#include "http/output.hpp"
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "sloe/async/executor.hpp"

namespace sloe::http {

/// The connection under a Session, as an exchange answered later sees it.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Output arrived outside process() (a late answer, a streamed part), or the session went on
  /// after an exchange answered later: send it, or close, or read on.
  virtual void output_ready() = 0;
  virtual const std::shared_ptr<Executor>& executor() = 0;
};

/// A read buffer a worker lends to its connections in turn. A session keeps it (`data` is
/// then null) when a request in it is answered later, so that the request's bytes stay where
/// they are; the worker makes itself a new one.
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  std::size_t capacity = 0;
};

class Session {
 public:
  Session(const Limits& limits, RequestHandler& handler, Transport& transport,
          std::string remote_ip);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Room for at least `min_free` more bytes of input; write into it, then commit().
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t bytes) { end_ += bytes; }

  /// Parses and answers every complete request received so far; the answers are appended to
  /// output(), and a `100 Continue` when a request waits for it.
  void process();
  /// The same for the first `bytes` of a lent buffer: complete requests are answered straight
  /// from it, and only the part of a request that is still incomplete is copied into the
  /// session's own buffer. Chunked bodies are decoded in place, so the lent bytes are written
  /// to.
  void process(ReadBuffer& lent, std::size_t bytes);
  /// Answers a request built elsewhere, not parsed from this session's input: for fuzzing the
  /// layers above the parser with requests the parser would refuse.
  void serve(const Request& request);
  /// Part of a request waits for more bytes in the session's own buffer.
  bool has_pending_input() const { return start_ != end_; }
  /// An exchange is open after its handler returned (answered later, or streaming); no input
  /// is parsed until it ends.
  bool waiting() const { return exchange_.open(); }

  /// Bytes to send; the transport consumes what it sent, then calls output_sent().
  Output& output() { return output_; }
  void output_sent();
  /// The client went away while an exchange was open.
  void abandon();
  /// The connection ends once output() is flushed: an error, `Connection: close`, shutdown.
  bool closing() const { return closing_; }
  /// From now on every answer says `Connection: close`; an idle session closes at once.
  void begin_shutdown();
  /// The client took too long: answer 408 and close.
  void time_out();
  /// No byte of a next request has arrived and nothing waits to be sent.
  bool idle() const { return start_ == end_ && output_.empty() && !waiting(); }
  RequestParser::Phase phase() const { return parser_.phase(); }
  /// How many requests have been handed to the application: a change starts a new request's
  /// timing.
  std::uint64_t requests() const { return requests_; }

 private:
  friend class Exchange;
  // Answers the requests in `data` (the own buffer from start_, or the lent one); returns the
  // bytes of the requests it answered.
  std::size_t answer(std::span<char> data);
  // From the open exchange: keep the lent buffer its request is in.
  void keep_request_bytes();
  // From the exchange: it has new output (outside process(), the transport is told).
  void exchange_output();
  // The exchange ended after its handler returned: go on with the requests behind it.
  void exchange_ended();
  void next_request();
  void release_buffer();

  RequestParser parser_;
  RequestHandler& handler_;
  Transport& transport_;
  const std::string remote_ip_;
  const std::size_t max_request_bytes_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;  // first byte of the request being parsed
  std::size_t end_ = 0;    // one past the last byte received
  Output output_;
  Exchange exchange_{*this};
  bool closing_ = false;
  bool shutting_down_ = false;
  bool serving_ = false;  // inside handler_.serve()
  // While answer() works on a lent buffer: the buffer and where the current request starts.
  ReadBuffer* lent_ = nullptr;
  std::size_t lent_bytes_ = 0;
  std::size_t lent_request_ = 0;
  bool kept_lent_ = false;
  std::uint64_t requests_ = 0;
};

}  // namespace sloe::http
