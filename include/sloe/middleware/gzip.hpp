#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sloe/context/handler.hpp"

namespace sloe {

/// What gzip() compresses, and how hard.
struct GzipOptions {
  /// zlib's level: 1 is fastest, 9 smallest; 6 is zlib's default balance.
  int level = 6;
  /// Smaller bodies are sent as they are: below about a kilobyte the gain is a few hundred
  /// bytes of one TCP segment, and the gzip header and trailer (18 bytes) eat into it.
  std::size_t min_size = 1024;
  /// Media types worth compressing (the Content-Type without parameters, compared ignoring
  /// case); "type/*" stands for every subtype. Images, video, archives and fonts other than
  /// SVG are compressed already.
  std::vector<std::string> types{"text/*",
                                 "application/json",
                                 "application/javascript",
                                 "application/xml",
                                 "application/xhtml+xml",
                                 "application/rss+xml",
                                 "application/atom+xml",
                                 "application/ld+json",
                                 "application/problem+json",
                                 "application/manifest+json",
                                 "application/wasm",
                                 "image/svg+xml"};
};

/// Compresses answers with gzip (zlib) for clients whose Accept-Encoding allows it (`gzip` or
/// `*` with a q-value above 0; `gzip;q=0` refuses it). An answer is compressed when its body is
/// in memory (string, json, data, write; plain, coroutine and deferred handlers alike), at
/// least `min_size` bytes, of one of `types`, and without a Content-Encoding of its own; and
/// not for HEAD, 1xx, 204, 206 or 304 answers. Compressed, it gets `Content-Encoding: gzip`,
/// its Content-Length counts the compressed bytes and a strong ETag becomes weak (`W/"..."`),
/// since the bytes differ from the uncompressed ones. An answer that gzip would not shrink is
/// sent as it is. `Vary: Accept-Encoding` goes on every answer that could have been
/// compressed, so that caches keep the two forms apart. `c.response_size()` in an on_answered
/// hook (logger()) counts the bytes sent, compressed.
///
/// Sent as they are: files (c.file, static_dir: sent from the file with sendfile, with ranges
/// and ETags that describe the file's own bytes) and streamed answers (c.stream, flush(),
/// Server-Sent Events), which leave part by part. A HEAD answer carries the uncompressed
/// length, where a GET to a client that accepts gzip gets the compressed one.
///
///   app.use(sloe::gzip());                        // the defaults
///   app.use(sloe::gzip({.level = 1, .min_size = 4096}));
Handler gzip(GzipOptions options = {});

}  // namespace sloe
