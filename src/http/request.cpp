#include "http/request.hpp"

#include <llhttp.h>

namespace sloe::http {

namespace {
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

std::string_view find_field(std::span<const Header> fields, std::string_view name) {
  for (const Header& h : fields) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

MethodId method_id(std::string_view name) {
  // The common ones without a scan of the table: this runs for every request.
  if (name == "GET") return kMethodGet;
  if (name == "POST") return kMethodPost;
  for (MethodId id = 0; id < kMethodCount; ++id) {
    if (name == method_name(id)) return id;
  }
  return kMethodCount;
}

std::string_view method_name(MethodId id) {
  return llhttp_method_name(static_cast<llhttp_method_t>(id));
}

std::string_view Request::header(std::string_view name) const {
  return find_field(headers, name);
}

std::string_view Request::trailer(std::string_view name) const {
  return find_field(trailers, name);
}

}  // namespace sloe::http
