// Path cleaning and joining, case by case after Gin 1.8.1's path_test.go and utils_test.go.

#include "router/path.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace sloe::router {
namespace {

struct CleanCase {
  std::string in;
  std::string out;
};

const std::vector<CleanCase> kCleanCases = {
    // already clean
    {"/", "/"},
    {"/abc", "/abc"},
    {"/a/b/c", "/a/b/c"},
    {"/abc/", "/abc/"},
    {"/a/b/c/", "/a/b/c/"},
    // missing root
    {"", "/"},
    {"a/", "/a/"},
    {"abc", "/abc"},
    {"abc/def", "/abc/def"},
    {"a/b/c", "/a/b/c"},
    // doubled slashes
    {"//", "/"},
    {"/abc//", "/abc/"},
    {"/abc/def//", "/abc/def/"},
    {"/a/b/c//", "/a/b/c/"},
    {"/abc//def//ghi", "/abc/def/ghi"},
    {"//abc", "/abc"},
    {"///abc", "/abc"},
    {"//abc//", "/abc/"},
    // "." elements
    {".", "/"},
    {"./", "/"},
    {"/abc/./def", "/abc/def"},
    {"/./abc/def", "/abc/def"},
    {"/abc/.", "/abc/"},
    // ".." elements
    {"..", "/"},
    {"../", "/"},
    {"../../", "/"},
    {"../..", "/"},
    {"../../abc", "/abc"},
    {"/abc/def/ghi/../jkl", "/abc/def/jkl"},
    {"/abc/def/../ghi/../jkl", "/abc/jkl"},
    {"/abc/def/..", "/abc"},
    {"/abc/def/../..", "/"},
    {"/abc/def/../../..", "/"},
    {"/abc/def/../../../ghi/jkl/../../../mno", "/mno"},
    // combinations
    {"abc/./../def", "/def"},
    {"abc//./../def", "/def"},
    {"abc/../../././../def", "/def"},
    // names that only look like dots
    {"/.../a", "/.../a"},
    {"/.a/..b/", "/.a/..b/"},
};

TEST(CleanPath, Cases) {
  for (const CleanCase& c : kCleanCases) {
    EXPECT_EQ(clean_path(c.in), c.out) << "in: " << c.in;
    EXPECT_EQ(clean_path(c.out), c.out) << "clean input changed: " << c.out;
    EXPECT_EQ(is_clean_path(c.in), c.in == c.out) << "in: " << c.in;
    EXPECT_TRUE(is_clean_path(c.out)) << "out: " << c.out;
  }
}

TEST(CleanPath, Long) {
  for (std::size_t n = 1; n <= 1234; ++n) {
    const std::string name(n, 'a');
    const std::string clean = "/" + name;
    const std::string inputs[] = {clean, name, "//" + name, "/" + name + "/b/.."};
    for (const std::string& in : inputs) ASSERT_EQ(clean_path(in), clean) << "n = " << n;
  }
}

TEST(JoinPaths, Cases) {
  struct Case {
    std::string_view absolute, relative, out;
  };
  const Case cases[] = {
      {"", "", ""},
      {"", "/", "/"},
      {"/a", "", "/a"},
      {"/a/", "", "/a/"},
      {"/a/", "/", "/a/"},
      {"/a", "/", "/a/"},
      {"/a", "/hola", "/a/hola"},
      {"/a/", "/hola", "/a/hola"},
      {"/a/", "/hola/", "/a/hola/"},
      {"/a/", "/hola//", "/a/hola/"},
      // Go's path.Join cleaning
      {"/a/b", "../c", "/a/c"},
      {"/a", "../../c/", "/c/"},
      {"/", "./x/./y", "/x/y"},
      {"", "a/../..", ".."},
      {"", "x", "x"},
      {"", "./", "./"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(join_paths(c.absolute, c.relative), c.out)
        << "join_paths(\"" << c.absolute << "\", \"" << c.relative << "\")";
  }
}

}  // namespace
}  // namespace sloe::router
