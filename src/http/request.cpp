#include "http/request.hpp"

#include <llhttp.h>

namespace sloe::http {

namespace {
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
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
  for (MethodId id = 0; id < kMethodCount; ++id) {
    if (name == method_name(id)) return id;
  }
  return kMethodCount;
}

std::string_view method_name(MethodId id) {
  return llhttp_method_name(static_cast<llhttp_method_t>(id));
}

std::string_view Request::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

}  // namespace sloe::http
