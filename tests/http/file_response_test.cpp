#include "http/file_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using sloe::http::answer_file_request;
using sloe::http::file_etag;
using sloe::http::FileAnswer;
using sloe::http::FileVersion;
using sloe::http::Header;
using sloe::http::method_id;
using sloe::http::Request;
using sloe::http::ResponseHeaders;

// 1000 bytes, last modified Sun, 06 Nov 1994 08:49:37 GMT (+0x1234 ns).
constexpr FileVersion kFile{
    .size = 1000, .modified_seconds = 784111777, .modified_nanoseconds = 0x1234};
constexpr std::string_view kETag = R"("2ebc98a1.1234-3e8")";
constexpr std::string_view kWeakETag = R"(W/"2ebc98a1.1234-3e8")";
constexpr std::string_view kLastModified = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kEarlier = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr std::string_view kLater = "Sun, 06 Nov 1994 08:49:38 GMT";

struct Answer {
  FileAnswer answer;
  ResponseHeaders headers;
};

Answer answer(std::string_view method, const std::vector<Header>& fields,
              const FileVersion& version = kFile) {
  Request request;
  request.method = method;
  request.method_id = method_id(method);
  request.headers = fields;
  Answer result;
  result.answer = answer_file_request(request, version, result.headers);
  return result;
}

struct Expected {
  int status = 200;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string content_range = "";  // empty: no Content-Range
};

Expected whole_file(std::uint64_t size = kFile.size) {
  return {200, 0, size, ""};
}
Expected bytes(std::uint64_t first, std::uint64_t last) {
  return {206, first, last - first + 1,
          "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/1000"};
}
Expected unsatisfiable(std::uint64_t size = kFile.size) {
  return {416, 0, 0, "bytes */" + std::to_string(size)};
}
const Expected kNotModified{.status = 304};
const Expected kPreconditionFailed{.status = 412};

struct Case {
  std::string_view what;
  std::vector<Header> fields;
  Expected expected;
  std::string_view method = "GET";
};

void expect_answers(const std::vector<Case>& cases, const FileVersion& version = kFile) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Answer got = answer(c.method, c.fields, version);
    EXPECT_EQ(got.answer.status, c.expected.status);
    EXPECT_EQ(got.answer.offset, c.expected.offset);
    EXPECT_EQ(got.answer.length, c.expected.length);
    EXPECT_EQ(got.headers.get("Content-Range"), c.expected.content_range);
    EXPECT_EQ(got.headers.get("ETag"), file_etag(version));
    EXPECT_EQ(got.headers.get("Accept-Ranges"), "bytes");
  }
}

TEST(FileResponse, PlainRequestGetsTheWholeFileAndItsValidators) {
  const Answer got = answer("GET", {});
  EXPECT_EQ(got.answer.status, 200);
  EXPECT_TRUE(got.answer.carries_file());
  EXPECT_EQ(got.answer.offset, 0u);
  EXPECT_EQ(got.answer.length, 1000u);
  EXPECT_EQ(got.headers.get("ETag"), kETag);
  EXPECT_EQ(got.headers.get("Last-Modified"), kLastModified);
  EXPECT_EQ(got.headers.get("Accept-Ranges"), "bytes");
  EXPECT_FALSE(got.headers.contains("Content-Range"));
  EXPECT_FALSE(got.headers.contains("Content-Type")) << "the caller's, from mime_type_for";
  EXPECT_FALSE(got.headers.contains("Content-Length")) << "the caller's, from length";
}

TEST(FileResponse, ETagIsStrongAndChangesWithTimeNanosecondsAndSize) {
  EXPECT_EQ(file_etag(kFile), kETag);
  FileVersion rewritten = kFile;
  rewritten.modified_nanoseconds += 1;
  EXPECT_NE(file_etag(rewritten), kETag) << "a rewrite within the same second";
  FileVersion grown = kFile;
  grown.size += 1;
  EXPECT_NE(file_etag(grown), kETag);
  EXPECT_EQ(file_etag({.size = 0, .modified_seconds = 0, .modified_nanoseconds = 0}), R"("0.0-0")");
}

TEST(FileResponse, NotModified) {
  const std::string listed = R"("a", W/"b" ,)" + std::string(kETag);
  const std::string after_junk = "abc, " + std::string(kETag);
  expect_answers({
      {"If-None-Match: the ETag", {{"If-None-Match", kETag}}, kNotModified},
      {"weak comparison", {{"If-None-Match", kWeakETag}}, kNotModified},
      {"in a list", {{"If-None-Match", listed}}, kNotModified},
      {"* matches any file", {{"If-None-Match", "*"}}, kNotModified},
      {"split over fields", {{"If-None-Match", R"("a")"}, {"if-none-match", kETag}}, kNotModified},
      {"another tag", {{"If-None-Match", R"("a", "b")"}}, whole_file()},
      {"a malformed member ends the list", {{"If-None-Match", after_junk}}, whole_file()},
      {"unterminated tag", {{"If-None-Match", R"("2ebc98a1.1234-3e8)"}}, whole_file()},
      {"HEAD like GET", {{"If-None-Match", kETag}}, kNotModified, "HEAD"},
      {"IMS: Last-Modified", {{"If-Modified-Since", kLastModified}}, kNotModified},
      {"IMS: later", {{"If-Modified-Since", kLater}}, kNotModified},
      {"IMS: earlier", {{"If-Modified-Since", kEarlier}}, whole_file()},
      {"IMS: RFC 850", {{"If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}}, kNotModified},
      {"IMS: asctime", {{"If-Modified-Since", "Sun Nov  6 08:49:37 1994"}}, kNotModified},
      {"IMS: not a date", {{"If-Modified-Since", "yesterday"}}, whole_file()},
      // If-None-Match, when present, decides alone.
      {"INM no match, IMS not modified",
       {{"If-None-Match", R"("a")"}, {"If-Modified-Since", kLater}},
       whole_file()},
      {"INM match, IMS modified",
       {{"If-None-Match", kETag}, {"If-Modified-Since", kEarlier}},
       kNotModified},
      {"IMS is for GET and HEAD only", {{"If-Modified-Since", kLater}}, whole_file(), "POST"},
  });
}

TEST(FileResponse, NotModifiedCarriesTheETagAndNotLastModified) {
  const Answer got = answer("GET", {{"If-None-Match", kETag}});
  EXPECT_EQ(got.answer.status, 304);
  EXPECT_FALSE(got.answer.carries_file());
  EXPECT_EQ(got.headers.get("ETag"), kETag);
  EXPECT_FALSE(got.headers.contains("Last-Modified"));
}

TEST(FileResponse, PreconditionFailed) {
  const std::string listed = R"("a", )" + std::string(kETag);
  expect_answers({
      {"If-Match: the ETag", {{"If-Match", kETag}}, whole_file()},
      {"If-Match: *", {{"If-Match", "*"}}, whole_file()},
      {"If-Match: in a list", {{"If-Match", listed}}, whole_file()},
      {"If-Match compares strongly", {{"If-Match", kWeakETag}}, kPreconditionFailed},
      {"If-Match: another tag", {{"If-Match", R"("a")"}}, kPreconditionFailed},
      {"If-Match: malformed", {{"If-Match", "2ebc98a1.1234-3e8"}}, kPreconditionFailed},
      {"IUS: Last-Modified", {{"If-Unmodified-Since", kLastModified}}, whole_file()},
      {"IUS: later", {{"If-Unmodified-Since", kLater}}, whole_file()},
      {"IUS: earlier", {{"If-Unmodified-Since", kEarlier}}, kPreconditionFailed},
      {"IUS: not a date", {{"If-Unmodified-Since", "Sun"}}, whole_file()},
      // If-Match, when present, decides alone, and before If-None-Match.
      {"If-Match over IUS", {{"If-Match", kETag}, {"If-Unmodified-Since", kEarlier}}, whole_file()},
      {"If-Match first", {{"If-Match", R"("a")"}, {"If-None-Match", kETag}}, kPreconditionFailed},
      {"INM match on POST", {{"If-None-Match", kETag}}, kPreconditionFailed, "POST"},
      {"INM * on PUT", {{"If-None-Match", "*"}}, kPreconditionFailed, "PUT"},
      {"If-Match on POST", {{"If-Match", kETag}}, whole_file(), "POST"},
  });
}

TEST(FileResponse, PreconditionFailedKeepsLastModified) {
  const Answer got = answer("GET", {{"If-Match", R"("a")"}});
  EXPECT_EQ(got.answer.status, 412);
  EXPECT_EQ(got.headers.get("Last-Modified"), kLastModified);
}

TEST(FileResponse, SingleRanges) {
  expect_answers({
      {"first bytes", {{"Range", "bytes=0-499"}}, bytes(0, 499)},
      {"open-ended", {{"Range", "bytes=500-"}}, bytes(500, 999)},
      {"suffix", {{"Range", "bytes=-100"}}, bytes(900, 999)},
      {"first byte", {{"Range", "bytes=0-0"}}, bytes(0, 0)},
      {"last byte", {{"Range", "bytes=999-999"}}, bytes(999, 999)},
      {"last-pos past the end: clipped", {{"Range", "bytes=900-5000"}}, bytes(900, 999)},
      {"last-pos past 2^64: clipped",
       {{"Range", "bytes=0-99999999999999999999999"}},
       bytes(0, 999)},
      {"suffix longer than the file", {{"Range", "bytes=-5000"}}, bytes(0, 999)},
      {"unit case-insensitive", {{"Range", "Bytes=10-19"}}, bytes(10, 19)},
      {"spaces around members", {{"Range", "bytes= 10-19 ,"}}, bytes(10, 19)},
      {"one satisfiable range of two", {{"Range", "bytes=2000-3000, 10-19"}}, bytes(10, 19)},
      {"HEAD gets GET's headers", {{"Range", "bytes=0-9"}}, bytes(0, 9), "HEAD"},
      {"ignored for POST", {{"Range", "bytes=0-9"}}, whole_file(), "POST"},
  });
}

TEST(FileResponse, UnsatisfiableRanges) {
  expect_answers({
      {"first-pos at the end", {{"Range", "bytes=1000-"}}, unsatisfiable()},
      {"first-pos past the end", {{"Range", "bytes=1500-1600"}}, unsatisfiable()},
      {"first-pos past 2^64", {{"Range", "bytes=18446744073709551616-"}}, unsatisfiable()},
      {"zero suffix", {{"Range", "bytes=-0"}}, unsatisfiable()},
      {"all of several", {{"Range", "bytes=1000-1001, -0"}}, unsatisfiable()},
  });
}

TEST(FileResponse, MalformedOrMultipleRangesGetTheWholeFile) {
  for (std::string_view range :
       {"bytes=0-1,5-6",  // several ranges: 200 rather than multipart/byteranges
        "bytes=-1,0-0",
        "bytes=5-2",  // last-pos before first-pos
        "items=0-1",  // unknown unit
        "bytes=abc", "bytes=", "bytes=,", "bytes=0-1x", "bytes=--5", "bytes=+1-2", "bytes=1",
        "bytes=0-1,abc",  // one bad member spoils the set
        "bytes =0-1", "0-1", "bytes", "bytes=-", "bytes=0x10-", "bytes=1 0-20"}) {
    expect_answers({{range, {{"Range", range}}, whole_file()}});
  }
}

TEST(FileResponse, IfRange) {
  auto with = [](std::string_view if_range) {
    return std::vector<Header>{{"Range", "bytes=0-9"}, {"If-Range", if_range}};
  };
  const std::string with_junk = std::string(kETag) + "x";
  expect_answers({
      {"current ETag", with(kETag), bytes(0, 9)},
      {"stale ETag", with(R"("2ebc98a1.1233-3e8")"), whole_file()},
      {"weak ETag never matches", with(kWeakETag), whole_file()},
      {"ETag with trailing bytes", with(with_junk), whole_file()},
      {"Last-Modified date", with(kLastModified), bytes(0, 9)},
      {"earlier date", with(kEarlier), whole_file()},
      {"later date: only the exact second", with(kLater), whole_file()},
      {"not a validator", with("yesterday"), whole_file()},
      {"without Range it changes nothing", {{"If-Range", R"("stale")"}}, whole_file()},
      {"match, unsatisfiable", {{"Range", "bytes=2000-"}, {"If-Range", kETag}}, unsatisfiable()},
      {"stale, unsatisfiable", {{"Range", "bytes=2000-"}, {"If-Range", "\"x\""}}, whole_file()},
  });
}

TEST(FileResponse, EmptyFile) {
  const FileVersion empty{.size = 0, .modified_seconds = 784111777, .modified_nanoseconds = 0};
  expect_answers(
      {
          {"no range", {}, whole_file(0)},
          {"bytes=0-", {{"Range", "bytes=0-"}}, unsatisfiable(0)},
          {"bytes=0-0", {{"Range", "bytes=0-0"}}, unsatisfiable(0)},
          {"bytes=-0", {{"Range", "bytes=-0"}}, unsatisfiable(0)},
          // Satisfiable (a non-zero suffix), but no byte a Content-Range could name.
          {"bytes=-5", {{"Range", "bytes=-5"}}, whole_file(0)},
      },
      empty);
}

TEST(FileResponse, UnknownModificationTimeSendsNoLastModifiedAndIgnoresDates) {
  const FileVersion undated{.size = 1000, .modified_seconds = 0, .modified_nanoseconds = 0};
  expect_answers(
      {
          {"IMS ignored", {{"If-Modified-Since", kLater}}, whole_file()},
          {"IUS ignored", {{"If-Unmodified-Since", kEarlier}}, whole_file()},
          {"If-Range date fails",
           {{"Range", "bytes=0-9"}, {"If-Range", kLastModified}},
           whole_file()},
          {"the ETag still works", {{"If-None-Match", R"("0.0-3e8")"}}, kNotModified},
      },
      undated);
  EXPECT_FALSE(answer("GET", {}, undated).headers.contains("Last-Modified"));
}

TEST(FileResponse, HeadGetsTheHeadersOfGet) {
  const std::vector<std::vector<Header>> requests = {
      {},
      {{"Range", "bytes=10-"}},
      {{"Range", "bytes=5000-"}},
      {{"If-None-Match", kETag}},
      {{"If-Match", R"("a")"}},
      {{"Range", "bytes=0-0"}, {"If-Range", kLastModified}},
  };
  for (const auto& fields : requests) {
    const Answer get = answer("GET", fields);
    const Answer head = answer("HEAD", fields);
    EXPECT_EQ(head.answer.status, get.answer.status);
    EXPECT_EQ(head.answer.offset, get.answer.offset);
    EXPECT_EQ(head.answer.length, get.answer.length);
    ASSERT_EQ(head.headers.size(), get.headers.size());
    for (const auto& field : get.headers) EXPECT_EQ(head.headers.get(field.name), field.value);
  }
}

TEST(FileResponse, FileVersionComesFromStat) {
  struct stat info {};
  info.st_size = 1000;
  info.st_mtim.tv_sec = 784111777;
  info.st_mtim.tv_nsec = 0x1234;
  const FileVersion version = sloe::http::file_version_of(info);
  EXPECT_EQ(version.size, 1000u);
  EXPECT_EQ(version.modified_seconds, 784111777);
  EXPECT_EQ(version.modified_nanoseconds, 0x1234);
}

}  // namespace
