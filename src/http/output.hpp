#pragma once
// What a connection has to send, in order: bytes, and ranges of files that the transport sends
// without copying them (sendfile on plain TCP).

#include <sys/types.h>

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "http/file_descriptor.hpp"

namespace sloe::http {

/// Part of an open file, which is closed when the last answer that sends it is done with it.
struct FileRange {
  std::shared_ptr<const FileDescriptor> file;
  off_t offset = 0;
  std::size_t length = 0;
};

class Output {
 public:
  /// Where serializers append; a file queued later goes after these bytes.
  std::string& bytes() { return tail_; }
  void append_file(FileRange range);

  bool empty() const { return queued_.empty() && tail_.size() == tail_sent_; }
  /// Bytes not yet sent, files included: what back-pressure bounds.
  std::size_t size() const { return queued_bytes_ + tail_.size() - tail_sent_; }
  void clear();

  /// The transport's side: the next piece to send is either bytes or a file range.
  struct Front {
    std::string_view bytes;
    const FileRange* file = nullptr;  // set when the front is a file: send `file`, not bytes
    bool file_follows = false;        // the bytes are a head whose file comes next
  };
  Front front() const;
  /// `n` bytes of the front piece were sent.
  void consume(std::size_t n);
  /// Sends everything into `out`, reading the files (transports in memory: tests, fuzzing).
  void drain_into(std::string& out);

 private:
  struct Piece {
    std::string bytes;
    FileRange file;  // used when file.file is set
    std::size_t sent = 0;
  };

  // Before tail_: bytes that preceded a file, and the files. A list, not a deque: an empty one
  // allocates nothing, and every idle connection has one.
  std::list<Piece> queued_;
  std::size_t queued_bytes_ = 0;
  std::string tail_;
  std::size_t tail_sent_ = 0;
};

}  // namespace sloe::http
