// The buffered log outputs: every line arrives whole and in order, flush() waits for them, a
// destination that stops reading costs dropped lines (counted and reported), never a blocked
// worker.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <sloe/log_output.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TempFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("sloe-log-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ~TempFile() { std::filesystem::remove(path); }
};

TEST(BufferedLogOutput, LinesFromManyThreadsArriveWholeAfterFlush) {
  TempFile file;
  auto output = sloe::log_to_file(file.path.string());
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&output, t] {
      for (int i = 0; i < kLines; ++i) {
        output->write("thread " + std::to_string(t) + " line " + std::to_string(i) + " " +
                      std::string(static_cast<std::size_t>(i % 97), 'x') + "\n");
      }
    });
  }
  for (auto& writer : writers) writer.join();
  output->flush();
  std::istringstream text(read_file(file.path));
  std::vector<int> next(kThreads, 0);
  std::string line;
  int count = 0;
  while (std::getline(text, line)) {
    int t = -1;
    int i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d", &t, &i), 2) << line;
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++) << "out of order: " << line;
    EXPECT_EQ(line.size() - line.rfind(' ') - 1, static_cast<std::size_t>(i % 97)) << line;
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(BufferedLogOutput, TheDestructorWritesWhatIsLeftAndFilesAreAppendedTo) {
  TempFile file;
  { std::ofstream(file.path) << "earlier\n"; }
  {
    auto output = sloe::log_to_file(file.path.string());
    output->write("one\n");
    output->write("two\n");
  }
  EXPECT_EQ(read_file(file.path), "earlier\none\ntwo\n");
}

TEST(BufferedLogOutput, AFileThatCannotBeOpenedIsAnErrorNamingIt) {
  try {
    sloe::log_to_file("/nonexistent-dir/access.log");
    FAIL() << "opened";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/access.log"), std::string::npos)
        << e.what();
  }
}

// A pipe nobody reads (a stuck log shipper): writes keep returning at once; what does not fit
// is dropped and counted, and reported in the stream once the reader catches up.
TEST(BufferedLogOutput, ADestinationThatStopsReadingDropsLinesInsteadOfBlocking) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  std::string line(100, 'a');
  line.back() = '\n';
  std::string tail;
  std::thread reader;
  {
    sloe::BufferedLogOutput output(
        ends[1], true,
        {.flush_interval = std::chrono::milliseconds(1), .max_buffered_bytes = 64 * 1024});
    // The pipe holds 64 KiB, the buffer as much and the writer one block: 10 MiB cannot fit.
    for (int i = 0; i < 100 * 1024; ++i) output.write(line);
    EXPECT_GT(output.dropped_lines(), 0u);
    reader = std::thread([fd = ends[0], &tail] {
      char buffer[65536];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        tail.append(buffer, static_cast<std::size_t>(n));
        if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
      }
    });
  }  // the destructor writes what is left and the drop report, then closes its end
  reader.join();
  ::close(ends[0]);
  EXPECT_NE(tail.find(" access log lines dropped: the log output did not keep up\n"),
            std::string::npos)
      << tail;
}

}  // namespace
