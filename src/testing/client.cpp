#include "sloe/testing/client.hpp"

#include <llhttp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "engine/engine_access.hpp"
#include "engine/engine_core.hpp"
#include "http/session.hpp"

namespace sloe::testing {

std::string_view Response::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (http::iequals(field, name)) return value;
  }
  return {};
}

sloe::json Response::json() const {
  return sloe::json::parse(body);
}

namespace {

// Parses the server's bytes back into responses; HEAD answers have no body to read.
class ResponseReader {
 public:
  explicit ResponseReader(std::deque<bool> head_flags) : head_flags_(std::move(head_flags)) {
    llhttp_settings_init(&settings_);
    settings_.on_message_begin = [](llhttp_t* p) {
      self(p).responses_.emplace_back();
      return 0;
    };
    settings_.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
      ResponseReader& r = self(p);
      if (!r.in_field_) r.responses_.back().headers.emplace_back();
      r.in_field_ = true;
      r.responses_.back().headers.back().first.append(at, n);
      return 0;
    };
    settings_.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
      ResponseReader& r = self(p);
      r.in_field_ = false;
      r.responses_.back().headers.back().second.append(at, n);
      return 0;
    };
    settings_.on_headers_complete = [](llhttp_t* p) {
      ResponseReader& r = self(p);
      r.in_field_ = false;
      r.responses_.back().status = p->status_code;
      if (p->status_code < 200) return 0;  // an interim answer: the real one follows
      bool head = !r.head_flags_.empty() && r.head_flags_.front();
      if (!r.head_flags_.empty()) r.head_flags_.pop_front();
      return head ? 1 : 0;
    };
    settings_.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
      self(p).responses_.back().body.append(at, n);
      return 0;
    };
    llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
    parser_.data = this;
  }

  std::vector<Response> read(std::string_view bytes) {
    llhttp_errno_t code = llhttp_execute(&parser_, bytes.data(), bytes.size());
    if (code != HPE_OK) {
      throw std::runtime_error(std::string("sloe::testing::Client: unparsable response: ") +
                               llhttp_errno_name(code));
    }
    if (llhttp_finish(&parser_) != HPE_OK) {
      // A streamed answer broken off: the connection ended inside its body.
      throw std::runtime_error(
          "sloe::testing::Client: the connection closed in the middle of an answer");
    }
    return std::move(responses_);
  }

 private:
  static ResponseReader& self(llhttp_t* p) { return *static_cast<ResponseReader*>(p->data); }

  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  std::deque<bool> head_flags_;
  std::vector<Response> responses_;
  bool in_field_ = false;
};

}  // namespace

// The Client's stand-in for a worker's event loop: work posted by requests answered later
// runs on the thread that called the Client, while it waits for their answers.
class ClientExecutor final : public Executor {
 public:
  void post(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    ready_.push_back(std::move(fn));
    wake_.notify_one();
  }
  void post_after(std::chrono::steady_clock::duration delay, std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    timed_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
    wake_.notify_one();
  }
  /// Runs posted work until `done()`; false when `limit` passed first.
  template <class Done>
  bool run_until(Done done, std::chrono::steady_clock::duration limit) {
    auto give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      std::unique_lock lock(mutex_);
      auto now = std::chrono::steady_clock::now();
      while (!timed_.empty() && timed_.begin()->first <= now) {
        ready_.push_back(std::move(timed_.begin()->second));
        timed_.erase(timed_.begin());
      }
      if (!ready_.empty()) {
        std::function<void()> fn = std::move(ready_.front());
        ready_.pop_front();
        lock.unlock();
        fn();
        continue;
      }
      if (now >= give_up) return false;
      auto until = timed_.empty() ? give_up : std::min(give_up, timed_.begin()->first);
      wake_.wait_until(lock, until);
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> ready_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timed_;
};

struct Client::Impl final : http::RequestHandler, http::Transport {
  Impl(detail::EngineCore& engine, std::string remote_ip)
      : engine(engine), remote_ip(std::move(remote_ip)), handler(engine) {}

  void serve(http::Exchange& exchange) override {
    head_flags.push_back(exchange.request().method_id == http::kMethodHead);
    handler.serve(exchange);
  }
  // The client reads everything at once: output is "sent" as soon as it is there, so streamed
  // answers are paced as by a fast reader.
  void output_ready() override { receive(); }
  const std::shared_ptr<Executor>& executor() override { return executor_; }

  void receive() {
    session->output().drain_into(received);
    session->output_sent();
  }

  void wait_for_late_answers() {
    auto& loop = static_cast<ClientExecutor&>(*executor_);
    if (!loop.run_until([this] { return !session->waiting(); }, std::chrono::seconds(30))) {
      throw std::runtime_error(
          "sloe::testing::Client: a request answered later (defer/coroutine/stream) got no "
          "answer within 30 s");
    }
  }

  detail::EngineCore& engine;
  std::string remote_ip;
  detail::EngineRequestHandler handler;
  std::deque<bool> head_flags;
  std::shared_ptr<Executor> executor_ = std::make_shared<ClientExecutor>();
  http::Session* session = nullptr;
  std::string received;
};

Client::Client(Engine& app, std::string remote_ip)
    : impl_(std::make_unique<Impl>(sloe::detail::EngineAccess::core(app), std::move(remote_ip))) {
  sloe::detail::EngineAccess::core(app).freeze();
}

Client::~Client() {
  // A coroutine handler that outlived its request (answered 503 at request_timeout) still holds
  // a Context of this client's pool: let it run to its end here, on the thread it runs on,
  // before the pool goes away.
  auto held = [this] { return impl_->handler.contexts().pool.held(); };
  if (held() == 0) return;
  std::shared_ptr<Executor> outer = detail::this_thread_executor();
  detail::set_this_thread_executor(impl_->executor());
  auto& loop = static_cast<ClientExecutor&>(*impl_->executor());
  if (!loop.run_until([&] { return held() == 0; }, std::chrono::seconds(10))) {
    spdlog::error(
        "sloe::testing::Client: {} coroutine handler(s) still running 10 s after their request "
        "timed out; they must not resume after the Client is destroyed",
        held());
  }
  detail::set_this_thread_executor(std::move(outer));
}

Exchange Client::raw(std::string_view bytes) {
  impl_->head_flags.clear();
  impl_->received.clear();
  http::Session session(impl_->engine.limits(), *impl_, *impl_, impl_->remote_ip);
  impl_->session = &session;
  std::shared_ptr<Executor> outer = detail::this_thread_executor();
  detail::set_this_thread_executor(impl_->executor());
  struct Restore {
    std::shared_ptr<Executor> executor;
    ~Restore() { detail::set_this_thread_executor(std::move(executor)); }
  } restore{outer};
  Exchange exchange;
  // Feed in read-sized pieces, as a socket would; wait for late answers like a connection.
  while (!bytes.empty() && !session.closing()) {
    if (session.waiting()) impl_->wait_for_late_answers();
    std::span<char> space = session.prepare(4096);
    std::size_t n = std::min(space.size(), bytes.size());
    std::copy_n(bytes.data(), n, space.data());
    bytes.remove_prefix(n);
    session.commit(n);
    session.process();
    impl_->receive();
  }
  if (session.waiting()) impl_->wait_for_late_answers();
  impl_->receive();
  exchange.closed = session.closing();
  impl_->session = nullptr;
  ResponseReader reader(std::move(impl_->head_flags));
  exchange.responses = reader.read(impl_->received);
  return exchange;
}

Response Client::request(std::string_view method, std::string_view target, std::string_view body,
                         Headers headers) {
  std::string bytes;
  bytes.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    has_host = has_host || http::iequals(name, "host");
    bytes.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_host) bytes.append("Host: sloe.test\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    bytes.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  bytes.append("\r\n").append(body);
  Exchange exchange = raw(bytes);
  if (exchange.responses.empty()) {
    throw std::runtime_error("sloe::testing::Client: the engine gave no answer to " +
                             std::string(method) + " " + std::string(target));
  }
  return std::move(exchange.responses.back());
}

Response Client::get(std::string_view target, Headers headers) {
  return request("GET", target, {}, std::move(headers));
}
Response Client::head(std::string_view target, Headers headers) {
  return request("HEAD", target, {}, std::move(headers));
}
Response Client::del(std::string_view target, Headers headers) {
  return request("DELETE", target, {}, std::move(headers));
}

namespace {
Headers with_content_type(Headers headers, std::string_view content_type) {
  if (!content_type.empty()) headers.emplace_back("Content-Type", std::string(content_type));
  return headers;
}
}  // namespace

Response Client::post(std::string_view target, std::string_view body, std::string_view content_type,
                      Headers headers) {
  return request("POST", target, body, with_content_type(std::move(headers), content_type));
}
Response Client::put(std::string_view target, std::string_view body, std::string_view content_type,
                     Headers headers) {
  return request("PUT", target, body, with_content_type(std::move(headers), content_type));
}
Response Client::patch(std::string_view target, std::string_view body,
                       std::string_view content_type, Headers headers) {
  return request("PATCH", target, body, with_content_type(std::move(headers), content_type));
}

}  // namespace sloe::testing
