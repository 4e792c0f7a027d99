#include "sloe/log_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace sloe {

namespace {

// Past this many buffered bytes the writer starts at once instead of at the interval's end:
// a busy server writes in blocks of about this size.
constexpr std::size_t kEagerWriteBytes = 64 * 1024;

// Writes all of `bytes`; gives up on an error other than an interruption or a full
// non-blocking descriptor (a closed pipe, a full disk), since a log has nowhere to report it.
void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd waiting{fd, POLLOUT, 0};
      ::poll(&waiting, 1, -1);
    } else if (errno != EINTR) {
      return;
    }
  }
}

class SpdlogOutput final : public LogOutput {
 public:
  void write(std::string_view line) override {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    spdlog::default_logger_raw()->log(spdlog::level::info,
                                      spdlog::string_view_t(line.data(), line.size()));
  }
  void flush() override { spdlog::default_logger_raw()->flush(); }
  bool stamps_time() const override { return true; }
};

}  // namespace

struct BufferedLogOutput::State {
  int fd;
  bool owns_fd;
  BufferedLogOptions options;

  std::mutex mutex;
  std::condition_variable wake_writer;
  std::condition_variable written;
  std::string pending;  // lines waiting for the writer
  std::string writing;  // the block being written; swapped with pending, so both keep capacity
  std::uint64_t dropped_unreported = 0;
  std::uint64_t dropped_total = 0;
  std::uint64_t flushes_asked = 0;
  std::uint64_t flushes_done = 0;
  bool stopping = false;
  std::thread writer;

  void run() {
    pthread_setname_np(pthread_self(), "sloe-log");
    std::unique_lock lock(mutex);
    while (true) {
      wake_writer.wait(lock, [&] { return stopping || !pending.empty() || flush_asked(); });
      // Lines gather for up to the interval, so a busy server writes blocks, not lines.
      wake_writer.wait_for(lock, options.flush_interval, [&] {
        return stopping || flush_asked() || pending.size() >= kEagerWriteBytes;
      });
      std::uint64_t answering = flushes_asked;
      std::uint64_t dropped = std::exchange(dropped_unreported, 0);
      writing.swap(pending);
      bool last = stopping;
      lock.unlock();
      if (dropped != 0) {
        writing.append(
            fmt::format("sloe: {} access log line{} dropped: the log output did not keep up\n",
                        dropped, dropped == 1 ? "" : "s"));
      }
      write_all(fd, writing);
      writing.clear();
      lock.lock();
      flushes_done = answering;
      written.notify_all();
      if (last && pending.empty()) return;
    }
  }

  bool flush_asked() const { return flushes_asked != flushes_done; }
};

BufferedLogOutput::BufferedLogOutput(int fd, bool owns_fd, BufferedLogOptions options)
    : state_(std::make_unique<State>()) {
  state_->fd = fd;
  state_->owns_fd = owns_fd;
  state_->options = options;
  // Both buffers are reserved here, before any request: logging allocates nothing once warm.
  state_->pending.reserve(kEagerWriteBytes * 2);
  state_->writing.reserve(kEagerWriteBytes * 2);
  state_->writer = std::thread([state = state_.get()] { state->run(); });
}

BufferedLogOutput::~BufferedLogOutput() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake_writer.notify_one();
  state_->writer.join();
  if (state_->owns_fd) ::close(state_->fd);
}

void BufferedLogOutput::write(std::string_view line) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.pending.size() + line.size() > s.options.max_buffered_bytes) {
    ++s.dropped_unreported;
    ++s.dropped_total;
    return;
  }
  bool was_empty = s.pending.empty();
  bool crosses_eager =
      s.pending.size() < kEagerWriteBytes && s.pending.size() + line.size() >= kEagerWriteBytes;
  s.pending.append(line);
  lock.unlock();
  // At most a wake-up when lines start gathering and one when a block is full: not one per line.
  if (was_empty || crosses_eager) s.wake_writer.notify_one();
}

void BufferedLogOutput::flush() {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  std::uint64_t ticket = ++s.flushes_asked;
  s.wake_writer.notify_one();
  s.written.wait(lock, [&] { return s.flushes_done >= ticket; });
}

std::uint64_t BufferedLogOutput::dropped_lines() const {
  std::lock_guard lock(state_->mutex);
  return state_->dropped_total;
}

std::shared_ptr<LogOutput> log_to_stdout(BufferedLogOptions options) {
  return std::make_shared<BufferedLogOutput>(STDOUT_FILENO, false, options);
}

std::shared_ptr<LogOutput> log_to_stderr(BufferedLogOptions options) {
  return std::make_shared<BufferedLogOutput>(STDERR_FILENO, false, options);
}

std::shared_ptr<LogOutput> log_to_file(const std::string& path, BufferedLogOptions options) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "sloe: cannot open the log file " + path);
  }
  return std::make_shared<BufferedLogOutput>(fd, true, options);
}

std::shared_ptr<LogOutput> log_to_spdlog() {
  return std::make_shared<SpdlogOutput>();
}

}  // namespace sloe
