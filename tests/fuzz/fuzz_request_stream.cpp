// A connection's byte stream through the real Session and engine, as net::Connection drives
// them: pipelined requests, chunked bodies, trailers, 100-continue, requests answered later,
// all split into reads at points the fuzzer picks. Input: byte 0 picks how reads are made
// (bit 0: into the worker's shared buffer, borrowed, or into the session's own; bits 1-3: read
// sizes), byte 1 seeds the read sizes, the rest is what the client sends.
//
// Checked after every input:
//  - the output is a sequence of well-formed HTTP/1.1 responses and nothing else: status line,
//    header fields with token names and no control bytes in values, exactly one valid
//    Content-Length where a body is allowed (or a consistent chunked body), no body for HEAD,
//    1xx, 204 and 304;
//  - one final answer per request handed to the engine, in request order (each carries the
//    sequence number the global middleware stamped), plus at most one refusal of a request
//    that could not be parsed, which is last and closes the connection;
//  - "Connection: close" is on the last answer exactly when the session closes;
//  - /ping, /echo and /defer/:id (answered later, reading its request after the read buffer
//    is gone) answer what they should;
//  - afterwards the engine is unharmed: a fresh connection's GET /ping gets 200 "pong".

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>
#include <sloe/sloe.hpp>

#include "context/context_state.hpp"
#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "fuzz_support.hpp"
#include "http/session.hpp"

namespace {

using sloe::fuzz::fail;
using sloe::fuzz::printable;

// The worker's event loop, reduced to a queue run on this thread.
class Loop final : public sloe::Executor {
 public:
  void post(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void post_after(std::chrono::steady_clock::duration, std::function<void()> fn) override {
    ready_.push_back(std::move(fn));
  }
  bool run_one() {
    if (ready_.empty()) return false;
    std::function<void()> fn = std::move(ready_.front());
    ready_.pop_front();
    fn();
    return true;
  }
  bool empty() const { return ready_.empty(); }

 private:
  std::deque<std::function<void()>> ready_;
};

std::shared_ptr<sloe::Executor> loop = std::make_shared<Loop>();
std::uint64_t dispatch_seq = 0;  // the number of the request being dispatched

sloe::Engine& engine() {
  static sloe::Engine* app = [] {
    spdlog::set_level(spdlog::level::off);
    sloe::detail::set_this_thread_executor(loop);
    sloe::EngineOptions options;
    options.max_body_bytes = 2048;
    options.max_header_bytes = 2048;
    options.max_target_bytes = 512;
    options.max_headers = 16;
    options.redirect_fixed_path = true;
    options.handle_method_not_allowed = true;
    auto* e = new sloe::Engine(options);
    e->use([](sloe::Context& c) {
      c.header("X-Seq", std::to_string(dispatch_seq));
      c.next();
    });
    e->get("/ping", [](sloe::Context& c) { c.string(200, "pong"); });
    e->get("/user/:id", [](sloe::Context& c) {
      c.json(200, {{"id", c.param("id")}, {"x", c.query("x")}, {"a", c.cookie("a").value_or("")}});
    });
    e->get("/files/*path", [](sloe::Context& c) { c.string(200, std::string(c.param("path"))); });
    e->any("/echo", [](sloe::Context& c) { c.data(200, "text/plain", c.body()); });
    e->post("/form", [](sloe::Context& c) { c.string(200, std::string(c.post_form("a"))); });
    e->post("/trailer", [](sloe::Context& c) { c.string(200, std::string(c.trailer("x"))); });
    e->any("/defer/:id", [](sloe::Context& c) {
      // Answered from the loop, after this read: the request's views must have moved with it.
      loop->post([&c, r = c.defer()]() mutable {
        r.data(200, "text/plain", std::string(c.param("id")) + ":" + std::string(c.body()));
      });
    });
    sloe::detail::EngineAccess::core(*e).freeze();
    return e;
  }();
  return *app;
}

// What was handed to the engine, to check its answer against.
struct Dispatched {
  bool head = false;
  std::string method;
  std::string path;
  std::string body;
};

class Connection final : public sloe::http::RequestHandler, public sloe::http::Transport {
 public:
  explicit Connection(sloe::detail::EngineCore& core)
      : core_(core), session_(core.limits(), *this, *this, "192.0.2.1") {}

  void serve(sloe::http::Exchange& exchange) override {
    const sloe::http::Request& request = exchange.request();
    dispatch_seq = dispatched.size();
    dispatched.push_back({request.method_id == sloe::http::kMethodHead, std::string(request.method),
                          std::string(request.path), std::string(request.body)});
    handler().serve(exchange);
  }
  void output_ready() override {}
  const std::shared_ptr<sloe::Executor>& executor() override { return loop; }

  // Runs late answers until none is awaited; false if one is awaited that nothing will give.
  bool settle() {
    auto& l = static_cast<Loop&>(*loop);
    while (session_.waiting()) {
      if (!l.run_one()) return false;
    }
    while (l.run_one()) {
    }
    return true;
  }

  // One read of `bytes`, the way net::Connection hands it to the session.
  void read(std::string_view bytes, bool lent) {
    if (lent && !session_.has_pending_input()) {
      // A buffer of exactly this size, freed right after unless the session keeps it: a view
      // kept into it is an ASan report.
      sloe::http::ReadBuffer buffer{std::make_unique<char[]>(bytes.size()), bytes.size()};
      std::copy(bytes.begin(), bytes.end(), buffer.data.get());
      session_.process(buffer, bytes.size());
    } else {
      std::span<char> space = session_.prepare(bytes.size());
      std::copy(bytes.begin(), bytes.end(), space.data());
      session_.commit(bytes.size());
      session_.process();
    }
  }

  sloe::http::Session& session() { return session_; }
  /// Everything the session sent so far.
  const std::string& output() {
    session_.output().drain_into(sent_);
    return sent_;
  }
  std::vector<Dispatched> dispatched;

 private:
  // One for every run: the fuzzer makes many connections, and Contexts are reused across them.
  sloe::detail::EngineRequestHandler& handler() {
    static sloe::detail::EngineRequestHandler instance(core_);
    return instance;
  }

  sloe::detail::EngineCore& core_;
  sloe::http::Session session_;
  std::string sent_;
};

struct Response {
  int status = 0;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string body;
  bool close = false;

  std::string_view header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (sloe::http::iequals(n, name)) return v;
    }
    return {};
  }
};

bool token_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b <= 0x20 || b >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

bool digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses the server's output strictly; fails with the reason on the first fault. `heads` says,
// for each final answer in turn, whether it answers a HEAD request (beyond it: no).
std::vector<Response> parse_responses(std::string_view out, const std::vector<bool>& heads,
                                      const std::string& context) {
  std::vector<Response> responses;
  auto bad = [&](std::string_view why) {
    fail("malformed response #" + std::to_string(responses.size()) + ": " + std::string(why) +
         "\nat " + printable(out, 300) + "\n" + context);
  };
  auto line = [&]() {
    const std::size_t end = out.find("\r\n");
    if (end == std::string_view::npos) bad("a line without CRLF");
    std::string_view l = out.substr(0, end);
    out.remove_prefix(end + 2);
    return l;
  };
  std::size_t finals = 0;
  while (!out.empty()) {
    Response r;
    const std::string_view status = line();
    if (status.size() < 13 || !status.starts_with("HTTP/1.1 ") || !digits(status.substr(9, 3)) ||
        status[12] != ' ') {
      bad("status line " + printable(status));
    }
    r.status = std::stoi(std::string(status.substr(9, 3)));
    if (r.status < 100 || r.status > 599) bad("status " + std::to_string(r.status));
    for (char c : status.substr(13)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) bad("a control byte in the reason");
    }
    for (;;) {
      const std::string_view field = line();
      if (field.empty()) break;
      const std::size_t colon = field.find(':');
      if (colon == 0 || colon == std::string_view::npos) bad("header line " + printable(field));
      const std::string_view name = field.substr(0, colon);
      for (char c : name) {
        if (!token_byte(c)) bad("header name " + printable(name));
      }
      std::string_view value = field.substr(colon + 1);
      if (!value.starts_with(' ')) bad("no space after the colon: " + printable(field));
      value.remove_prefix(1);
      for (char c : value) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 && c != '\t') || b == 0x7f) bad("a control byte in " + printable(field));
      }
      r.headers.emplace_back(name, value);
    }
    std::size_t lengths = 0;
    std::size_t encodings = 0;
    for (const auto& [n, v] : r.headers) {
      lengths += sloe::http::iequals(n, "content-length");
      encodings += sloe::http::iequals(n, "transfer-encoding");
      if (sloe::http::iequals(n, "connection") && sloe::http::iequals(v, "close")) r.close = true;
    }
    const bool interim = r.status < 200;
    const bool head = !interim && finals < heads.size() && heads[finals];
    const bool bodiless = interim || r.status == 204 || r.status == 304;
    if (bodiless && (lengths > 0 || encodings > 0)) bad("framing headers on a bodiless status");
    if (!bodiless) {
      if (lengths + encodings != 1) bad("not exactly one of Content-Length, Transfer-Encoding");
      if (lengths == 1) {
        const std::string_view length = r.header("content-length");
        if (!digits(length)) bad("Content-Length " + printable(length));
        const std::size_t n = std::stoull(std::string(length));
        if (!head) {
          if (out.size() < n) bad("the body is shorter than its Content-Length");
          r.body = out.substr(0, n);
          out.remove_prefix(n);
        }
      } else if (!sloe::http::iequals(r.header("transfer-encoding"), "chunked")) {
        bad("Transfer-Encoding " + printable(r.header("transfer-encoding")));
      } else if (!head) {
        for (;;) {
          const std::string_view size = line();
          std::size_t n = 0;
          if (size.empty() || size.size() > 8) bad("chunk size " + printable(size));
          for (char c : size) {
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) bad("chunk size " + printable(size));
            n = n * 16 + static_cast<std::size_t>(d);
          }
          if (n == 0) {
            while (!line().empty()) {
            }
            break;
          }
          if (out.size() < n + 2 || out.substr(n, 2) != "\r\n") bad("a chunk's data");
          r.body.append(out.substr(0, n));
          out.remove_prefix(n + 2);
        }
      }
    }
    if (!interim) ++finals;
    responses.push_back(std::move(r));
  }
  return responses;
}

std::string exchange_context(std::string_view sent, const Connection& conn) {
  std::string out = "sent " + printable(sent, 1500) + "\ndispatched:";
  for (const Dispatched& d : conn.dispatched) out += " " + d.method + " " + printable(d.path);
  return out;
}

void check_exchange(std::string_view sent, Connection& conn) {
  const std::string context = exchange_context(sent, conn);
  sloe::http::Session& session = conn.session();
  std::vector<bool> heads;
  for (const Dispatched& d : conn.dispatched) heads.push_back(d.head);
  const std::vector<Response> all = parse_responses(conn.output(), heads, context);
  std::vector<const Response*> finals;
  for (const Response& r : all) {
    if (r.status >= 200) finals.push_back(&r);
  }
  const std::size_t dispatched = conn.dispatched.size();
  if (finals.size() != dispatched && finals.size() != dispatched + 1) {
    fail(std::to_string(finals.size()) + " answers to " + std::to_string(dispatched) +
         " requests\n" + context);
  }
  for (std::size_t i = 0; i < finals.size(); ++i) {
    const Response& r = *finals[i];
    const bool last = i + 1 == finals.size();
    if (r.close && !last) fail("an answer says Connection: close but more follow\n" + context);
    if (i == dispatched) {
      // The refusal of a request that could not be parsed.
      if (r.status < 400)
        fail("an unparsable request got " + std::to_string(r.status) + "\n" + context);
      if (!r.close || !session.closing()) fail("a refusal does not close\n" + context);
      continue;
    }
    const std::string_view seq = r.header("x-seq");
    if (!seq.empty() && seq != std::to_string(i)) {
      fail("answer #" + std::to_string(i) + " carries X-Seq " + std::string(seq) +
           ": answers out of request order\n" + context);
    }
    const Dispatched& d = conn.dispatched[i];
    if (d.head) continue;
    if (d.method == "GET" && d.path == "/ping" && (r.status != 200 || r.body != "pong")) {
      fail("GET /ping got " + std::to_string(r.status) + " " + printable(r.body) + "\n" + context);
    }
    if ((d.method == "POST" || d.method == "PUT") && d.path == "/echo" &&
        (r.status != 200 || r.body != d.body)) {
      fail("/echo of " + printable(d.body) + " got " + std::to_string(r.status) + " " +
           printable(r.body) + "\n" + context);
    }
    const bool any_method = d.method == "GET" || d.method == "POST" || d.method == "PUT" ||
                            d.method == "PATCH" || d.method == "DELETE" || d.method == "OPTIONS";
    if (any_method && d.path.starts_with("/defer/") && d.path.size() > 7 &&
        d.path.find_first_of("/%", 7) == std::string::npos &&
        (r.status != 200 || r.body != d.path.substr(7) + ":" + d.body)) {
      fail("a request answered later (" + printable(d.path) + ", body " + printable(d.body) +
           ") got " + std::to_string(r.status) + " " + printable(r.body) + "\n" + context);
    }
  }
  if (!finals.empty() && session.closing() != finals.back()->close) {
    fail(std::string(session.closing() ? "the session closes but its last answer does not say so"
                                       : "the last answer says close but the session goes on") +
         "\n" + context);
  }
}

std::uint32_t next(std::uint32_t& state) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  sloe::Engine& app = engine();
  // SLOE_FUZZ_DEBUG=1: print what was sent and answered (to read a failing input's exchange).
  static const bool debug = std::getenv("SLOE_FUZZ_DEBUG") != nullptr;
  const bool borrowed = (data[0] & 1) != 0;
  static constexpr std::size_t kReadSizes[] = {1, 2, 3, 7, 16, 100, 1000, 1 << 20};
  const std::size_t max_read = kReadSizes[(data[0] >> 1) & 7];
  std::uint32_t state = 0x9e3779b9u ^ (static_cast<std::uint32_t>(data[0]) << 8) ^ data[1];
  const std::string_view sent(reinterpret_cast<const char*>(data) + 2, size - 2);

  {
    Connection conn(sloe::detail::EngineAccess::core(app));
    std::string_view rest = sent;
    while (!rest.empty() && !conn.session().closing()) {
      const std::size_t n = std::min(rest.size(), 1 + next(state) % max_read);
      conn.read(rest.substr(0, n), borrowed);
      rest.remove_prefix(n);
      if (!conn.settle()) {
        fail("a request answered later never got its answer\n" + exchange_context(sent, conn));
      }
    }
    if (debug) {
      std::fprintf(stderr, "sent %s\nanswered %s\nclosing %d\n", printable(sent, 100000).c_str(),
                   printable(conn.output(), 100000).c_str(), conn.session().closing());
    }
    check_exchange(sent, conn);
  }

  Connection fresh(sloe::detail::EngineAccess::core(app));
  static constexpr std::string_view kPing = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";
  fresh.read(kPing, borrowed);
  fresh.settle();
  if (debug) {
    std::fprintf(stderr, "fresh GET /ping answered %s\n",
                 printable(fresh.output(), 100000).c_str());
  }
  const std::vector<Response> after = parse_responses(fresh.output(), {false}, "a fresh GET /ping");
  if (after.size() != 1 || after[0].status != 200 || after[0].body != "pong" ||
      fresh.session().closing()) {
    fail("after " + printable(sent, 1500) + "\na fresh connection's GET /ping got " +
         printable(fresh.output()));
  }
  return 0;
}
