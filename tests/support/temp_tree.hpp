#pragma once
// A temporary directory tree for tests that serve files: made with mkdtemp, removed with
// everything in it when the TempTree goes.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace sloe::test {

class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sloe-files-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
      return;
    }
    base_ = pattern;
  }
  ~TempTree() {
    std::error_code ignored;
    if (!base_.empty()) std::filesystem::remove_all(base_, ignored);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  /// The absolute path of `relative` inside the tree ("" for the tree itself).
  std::string path(std::string_view relative = "") const {
    return (base_ / std::filesystem::path(relative)).string();
  }
  /// Writes `content` to `relative`, making its directories.
  void write(std::string_view relative, std::string_view content) const {
    const std::filesystem::path file = base_ / std::filesystem::path(relative);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  void make_directory(std::string_view relative) const {
    std::filesystem::create_directories(base_ / std::filesystem::path(relative));
  }
  /// A symlink at `link` (relative to the tree) whose target is `target`, as written.
  void symlink(std::string_view target, std::string_view link) const {
    std::filesystem::create_symlink(std::filesystem::path(target),
                                    base_ / std::filesystem::path(link));
  }

 private:
  std::filesystem::path base_;
};

}  // namespace sloe::test
