#include "http/mime_type.hpp"

#include <gtest/gtest.h>

namespace {

using sloe::http::mime_type_for;

struct Case {
  std::string_view path;
  std::string_view type;
};

TEST(MimeType, GoBuiltinTableWithCharsetOnText) {
  const Case cases[] = {
      {"style.css", "text/css; charset=utf-8"},
      {"a.gif", "image/gif"},
      {"index.htm", "text/html; charset=utf-8"},
      {"index.html", "text/html; charset=utf-8"},
      {"photo.jpg", "image/jpeg"},
      {"photo.jpeg", "image/jpeg"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"module.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"paper.pdf", "application/pdf"},
      {"logo.png", "image/png"},
      {"icon.svg", "image/svg+xml"},
      {"main.wasm", "application/wasm"},
      {"pic.webp", "image/webp"},
      {"feed.xml", "text/xml; charset=utf-8"},
      {"pic.avif", "image/avif"},
  };
  for (const Case& c : cases) EXPECT_EQ(mime_type_for(c.path), c.type) << c.path;
}

TEST(MimeType, CommonAdditions) {
  const Case cases[] = {
      {"notes.txt", "text/plain; charset=utf-8"},
      {"favicon.ico", "image/vnd.microsoft.icon"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"clip.mp4", "video/mp4"},
      {"clip.webm", "video/webm"},
      {"song.mp3", "audio/mpeg"},
      {"sound.wav", "audio/wav"},
      {"bundle.zip", "application/zip"},
      {"archive.tar.gz", "application/gzip"},
      {"archive.tar", "application/x-tar"},
      {"table.csv", "text/csv; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"app.js.map", "application/json"},
  };
  for (const Case& c : cases) EXPECT_EQ(mime_type_for(c.path), c.type) << c.path;
}

TEST(MimeType, ExtensionIsCaseInsensitiveAndTakenFromTheLastElement) {
  const Case cases[] = {
      {"LOGO.PNG", "image/png"},
      {"Index.HtMl", "text/html; charset=utf-8"},
      {"assets/v1.2/app.CSS", "text/css; charset=utf-8"},
      {"/srv/www/a.b.c/logo.png", "image/png"},
      {"assets/v1.2/LICENSE", "application/octet-stream"},  // the dot is in a directory
  };
  for (const Case& c : cases) EXPECT_EQ(mime_type_for(c.path), c.type) << c.path;
}

TEST(MimeType, UnknownOrMissingExtensionIsOctetStream) {
  for (std::string_view path :
       {"", "Makefile", "file.", ".htaccess", "a.exe", "a.pngx", "a.htmlx", "a.", "dir/", "x.j"}) {
    EXPECT_EQ(mime_type_for(path), "application/octet-stream") << path;
  }
}

}  // namespace
