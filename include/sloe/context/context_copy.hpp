#pragma once
// sloe::ContextCopy: an owning, immutable snapshot of a request, safe to hand to any thread
// and to keep after the response was sent. It cannot write a response.

#include <any>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sloe {

class ContextCopy {
 public:
  ContextCopy() = default;

  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }
  /// The matched route pattern, e.g. "/user/:id".
  const std::string& full_path() const { return full_path_; }
  /// A path parameter's value; empty when absent.
  std::string_view param(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
  /// The first decoded value of a query parameter; empty when absent.
  std::string query(std::string_view key) const;
  std::optional<std::string> get_query(std::string_view key) const;
  const std::string& raw_query() const { return raw_query_; }
  /// A request header (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::string& client_ip() const { return client_ip_; }
  /// The request body, when the copy was taken with `c.copy(true)`; empty otherwise.
  const std::string& body() const { return body_; }
  std::chrono::steady_clock::time_point start_time() const { return start_time_; }

  /// A request-scoped key set with `c.set()` before the copy; nullptr when absent or of
  /// another type.
  template <class T>
  const T* get(std::string_view key) const {
    for (const auto& [name, value] : keys_) {
      if (name == key) return std::any_cast<T>(&value);
    }
    return nullptr;
  }

 private:
  friend class Context;

  std::string method_;
  std::string path_;
  std::string full_path_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::string raw_query_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::pair<std::string, std::any>> keys_;
  std::string client_ip_;
  std::string body_;
  std::chrono::steady_clock::time_point start_time_;
};

}  // namespace sloe
