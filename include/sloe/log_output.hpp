#pragma once
// Where access-log lines go (sloe::logger's LoggerOptions::output).
//
// The outputs sloe ships buffer lines in memory and write them from a thread of their own, so a
// request pays for formatting its line and a short lock, never for a system call: a busy
// server writes its log in large blocks, an idle one within `flush_interval` of each line.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sloe {

/// A destination for log lines. write() is called from every worker thread at once, with one
/// whole line ending in '\n'; it must not block for long, since a request waits for it.
///
///   class Collect : public sloe::LogOutput {
///     void write(std::string_view line) override { std::lock_guard l(m); lines.emplace_back(line);
///     }
///     ...
///   };
class LogOutput {
 public:
  virtual ~LogOutput() = default;
  virtual void write(std::string_view line) = 0;
  /// Writes out what is buffered; returns when it is out.
  virtual void flush() {}
  /// Whether the destination stamps lines with the time itself (spdlog does), so a formatter
  /// leaves its own timestamp out.
  virtual bool stamps_time() const { return false; }
};

/// Tuning for the buffered outputs.
struct BufferedLogOptions {
  /// The longest a line waits in memory before it is written.
  std::chrono::milliseconds flush_interval{100};
  /// The most bytes held while the destination is slow (a full disk, a pipe nobody reads). A
  /// line beyond it is dropped and counted rather than blocking the worker that logs it; the
  /// count is written as a line of its own once the destination keeps up again.
  std::size_t max_buffered_bytes = 8 * 1024 * 1024;
};

/// A buffered output to a file descriptor that stays open (such as stdout).
class BufferedLogOutput : public LogOutput {
 public:
  /// Writes to `fd`; closes it at the end when `owns_fd`.
  BufferedLogOutput(int fd, bool owns_fd, BufferedLogOptions options = {});
  ~BufferedLogOutput() override;
  BufferedLogOutput(const BufferedLogOutput&) = delete;
  BufferedLogOutput& operator=(const BufferedLogOutput&) = delete;

  void write(std::string_view line) override;
  void flush() override;
  /// Lines dropped because more than max_buffered_bytes waited.
  std::uint64_t dropped_lines() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Buffered standard output: logger()'s default, as Gin writes to os.Stdout.
std::shared_ptr<LogOutput> log_to_stdout(BufferedLogOptions options = {});
/// Buffered standard error.
std::shared_ptr<LogOutput> log_to_stderr(BufferedLogOptions options = {});
/// Buffered, appended to `path` (created with mode 0644 when missing). Throws
/// std::system_error naming the path when it cannot be opened. Appending with O_APPEND keeps
/// lines whole when logrotate's copytruncate or another process shares the file.
std::shared_ptr<LogOutput> log_to_file(const std::string& path, BufferedLogOptions options = {});
/// Every line through spdlog's default logger at info level, so it goes wherever the
/// application's spdlog sinks go (with spdlog's formatting and costs).
std::shared_ptr<LogOutput> log_to_spdlog();

}  // namespace sloe
