#include "http/output.hpp"

#include <unistd.h>

namespace sloe::http {

void Output::append_file(FileRange range) {
  if (range.length == 0) return;
  if (tail_.size() > tail_sent_) {
    queued_bytes_ += tail_.size() - tail_sent_;
    queued_.push_back({.bytes = tail_.substr(tail_sent_), .file = {}, .sent = 0});
  }
  tail_.clear();
  tail_sent_ = 0;
  queued_bytes_ += range.length;
  queued_.push_back({.bytes = {}, .file = std::move(range), .sent = 0});
}

void Output::clear() {
  queued_.clear();
  queued_bytes_ = 0;
  tail_.clear();
  tail_sent_ = 0;
}

Output::Front Output::front() const {
  if (queued_.empty()) return {std::string_view(tail_).substr(tail_sent_), nullptr};
  const Piece& piece = queued_.front();
  if (piece.file.file) return {{}, &piece.file};
  // Queued bytes always precede a file (append_file put them there).
  return {std::string_view(piece.bytes).substr(piece.sent), nullptr, true};
}

void Output::consume(std::size_t n) {
  if (queued_.empty()) {
    tail_sent_ += n;
    if (tail_sent_ == tail_.size()) {
      tail_.clear();  // keeps its capacity: the next answer is serialized into the same memory
      tail_sent_ = 0;
    }
    return;
  }
  Piece& piece = queued_.front();
  queued_bytes_ -= n;
  if (piece.file.file) {
    piece.file.offset += static_cast<off_t>(n);
    piece.file.length -= n;
    if (piece.file.length == 0) queued_.pop_front();
  } else {
    piece.sent += n;
    if (piece.sent == piece.bytes.size()) queued_.pop_front();
  }
}

void Output::drain_into(std::string& out) {
  while (!empty()) {
    Front piece = front();
    if (piece.file == nullptr) {
      out.append(piece.bytes);
      consume(piece.bytes.size());
      continue;
    }
    const std::size_t had = out.size();
    out.resize(had + piece.file->length);
    const ssize_t got =
        ::pread(piece.file->file->get(), out.data() + had, piece.file->length, piece.file->offset);
    if (got <= 0) {
      out.resize(had);  // the file shrank: what it promised cannot be read
      clear();
      return;
    }
    out.resize(had + static_cast<std::size_t>(got));
    consume(static_cast<std::size_t>(got));
  }
}

}  // namespace sloe::http
