#include "jobs/redis_connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>

namespace sloe::detail {

namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
  return timeval{static_cast<time_t>(duration.count() / 1000),
                 static_cast<suseconds_t>(duration.count() % 1000 * 1000)};
}

}  // namespace

std::string_view reply_text(const redisReply* reply) {
  if (reply == nullptr) return {};
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return {reply->str, reply->len};
    default:
      return {};
  }
}

RedisConnection::RedisConnection(std::string who, std::string host, std::uint16_t port,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds call_timeout,
                                 std::chrono::milliseconds min_backoff,
                                 std::chrono::milliseconds max_backoff)
    : who_(std::move(who)),
      host_(std::move(host)),
      port_(port),
      connect_timeout_(connect_timeout),
      call_timeout_(call_timeout),
      min_backoff_(min_backoff),
      max_backoff_(max_backoff),
      backoff_(min_backoff) {}

RedisConnection::~RedisConnection() {
  if (redis_) redisFree(redis_);
}

bool RedisConnection::ready() {
  if (redis_) return true;
  if (clock::now() < retry_at_) return false;
  redis_ = redisConnectWithTimeout(host_.c_str(), port_, to_timeval(connect_timeout_));
  if (redis_ == nullptr || redis_->err) {
    went_down(redis_ ? redis_->errstr : "cannot allocate a connection");
    return false;
  }
  redisSetTimeout(redis_, to_timeval(call_timeout_));
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  backoff_ = min_backoff_;
  if (down_) {
    down_ = false;
    spdlog::info("sloe: {}: Redis at {}:{} is reachable again", who_, host_, port_);
  }
  return true;
}

RedisReply RedisConnection::call(const std::vector<std::string_view>& arguments) {
  if (!redis_) return nullptr;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (std::string_view argument : arguments) {
    argv.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  RedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(redis_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply) went_down(redis_->errstr[0] != '\0' ? redis_->errstr : "no reply");
  return reply;
}

void RedisConnection::went_down(std::string reason) {
  if (redis_) {
    redisFree(redis_);
    redis_ = nullptr;
  }
  retry_at_ = clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, max_backoff_);
  if (!down_) {
    down_ = true;
    spdlog::warn("sloe: {}: Redis at {}:{} is unavailable ({}); reconnecting with backoff", who_,
                 host_, port_, reason);
  }
}

}  // namespace sloe::detail
