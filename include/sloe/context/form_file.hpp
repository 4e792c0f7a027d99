#pragma once

#include <string_view>

namespace sloe {

/// A file uploaded in a multipart/form-data body (Gin's `*multipart.FileHeader`); its views
/// are valid until the request completes, like every view a Context hands out.
struct FormFile {
  std::string_view field;  // the form field it was sent in
  // The sender's file name reduced to its last path element ("../a.txt" is "a.txt", as Go's
  // filepath.Base does), with every control byte (below 0x20, and 0x7F) removed: "evil.sh\0.txt"
  // arrives as "evil.sh.txt", so an extension check sees the name a file would be saved under
  // (a part whose name was nothing but control bytes is a plain field, like an empty name).
  // Still the client's choice otherwise ("..", a leading dot, any other byte): check it before
  // building a path from it.
  std::string_view filename;
  std::string_view content_type;  // the part's Content-Type; empty when the sender gave none
  std::string_view content;
};

}  // namespace sloe
