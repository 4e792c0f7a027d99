#pragma once

#include <string_view>

namespace sloe {

/// A file uploaded in a multipart/form-data body (Gin's `*multipart.FileHeader`); its views
/// are valid until the request completes, like every view a Context hands out.
struct FormFile {
  std::string_view field;         // the form field it was sent in
  std::string_view filename;      // the sender's file name without directories ("a.txt")
  std::string_view content_type;  // the part's Content-Type; empty when the sender gave none
  std::string_view content;
};

}  // namespace sloe
