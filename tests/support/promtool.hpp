#pragma once
// Runs Prometheus' own checker, promtool: the parser and linter a real Prometheus uses.
// scripts/setup installs it (Debian package prometheus); a machine without it fails these
// checks loudly rather than skipping them.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace sloe::test {

struct PromtoolResult {
  bool ran = false;  // promtool was found and ran
  int exit_code = -1;
  std::string output;  // what it printed (its problems), stdout and stderr together
};

/// Runs `promtool <command> FILE` where FILE holds `input` (`check metrics` reads it from
/// standard input, `check rules` takes it as an argument).
inline PromtoolResult run_promtool(std::string_view command, std::string_view input,
                                   bool input_on_stdin) {
  PromtoolResult result;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    result.output = "promtool is not installed: run scripts/setup (Debian package prometheus)";
    return result;
  }
  char path[] = "/tmp/sloe-promtool-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    result.output = "cannot create a temporary file for promtool's input";
    return result;
  }
  ::close(fd);
  std::ofstream(path, std::ios::binary) << input;
  const std::string line =
      "promtool " + std::string(command) + (input_on_stdin ? " < " : " ") + path + " 2>&1";
  if (FILE* pipe = ::popen(line.c_str(), "r")) {
    std::array<char, 4096> chunk;
    std::size_t n;
    while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) {
      result.output.append(chunk.data(), n);
    }
    const int status = ::pclose(pipe);
    result.ran = true;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::remove(path);
  return result;
}

/// `promtool check metrics` on exposition text.
inline PromtoolResult run_promtool_check_metrics(std::string_view exposition) {
  return run_promtool("check metrics", exposition, true);
}

/// Fails the current test unless promtool ran and found no problem in `exposition`.
inline void expect_promtool_accepts(std::string_view exposition) {
  const PromtoolResult result = run_promtool_check_metrics(exposition);
  ASSERT_TRUE(result.ran) << result.output;
  EXPECT_EQ(result.exit_code, 0) << "promtool check metrics found problems:\n"
                                 << result.output << "\nin:\n"
                                 << exposition;
}

}  // namespace sloe::test
