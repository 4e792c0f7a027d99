#pragma once
// A redis-server of a test's own on a free port of 127.0.0.1, without persistence, stopped by
// its PID; and one-command access to it. redis-server missing is a failure, not a skip:
// scripts/setup installs it.

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sloe::test {

inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// A redis-server of the test's own, without persistence, stopped by its PID.
class RedisServer {
 public:
  RedisServer() : port_(free_port()) { start(); }
  ~RedisServer() { stop(); }

  std::uint16_t port() const { return port_; }

  void start() {
    std::string port = std::to_string(port_);
    const char* argv[] = {"redis-server", "--port",     port.c_str(), "--bind",
                          "127.0.0.1",    "--save",     "",           "--appendonly",
                          "no",           "--loglevel", "warning",    nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    int failed =
        posix_spawnp(&pid_, "redis-server", &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start redis-server (run scripts/setup to install it)");
    }
    // Bounded: redis-server listens within milliseconds; 10 s means it never will.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!ping()) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start on port " + port);
      }
      if (std::chrono::steady_clock::now() > give_up)
        throw std::runtime_error("redis-server never answered");
      std::this_thread::sleep_for(
          std::chrono::milliseconds(5));  // retry pacing while the process starts, not a sync
    }
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // One command on a fresh connection; null when Redis does not answer.
  RedisReply command(std::initializer_list<std::string> words) const {
    redisContext* redis = redisConnectWithTimeout("127.0.0.1", port_, timeval{1, 0});
    if (redis == nullptr || redis->err) {
      if (redis) redisFree(redis);
      return nullptr;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& word : words) {
      argv.push_back(word.c_str());
      lengths.push_back(word.size());
    }
    RedisReply reply(static_cast<redisReply*>(
        redisCommandArgv(redis, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    redisFree(redis);
    return reply;
  }

  bool ping() const {
    RedisReply reply = command({"PING"});
    return reply && reply->type == REDIS_REPLY_STATUS;
  }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace sloe::test
