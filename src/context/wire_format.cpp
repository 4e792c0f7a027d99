// sloe::WireFormat: ContextCopy ↔ versioned JSON.

#include "sloe/context/wire_format.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "context/json_writer.hpp"

#include "context/copy_access.hpp"
#include "context/request_lookup.hpp"

namespace sloe {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using Field = std::pair<std::string_view, std::string_view>;

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16 |
                      std::uint32_t(std::uint8_t(in[i + 1])) << 8 | std::uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    std::uint32_t n = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char ch = in[i + j];
      std::uint32_t digit = 0;
      if (ch == '=' && i + 4 == in.size() && j >= 2) {
        ++padding;
      } else {
        std::size_t at = kBase64Alphabet.find(ch);
        if (at == std::string_view::npos || padding > 0) return std::nullopt;
        digit = static_cast<std::uint32_t>(at);
      }
      n = n << 6 | digit;
    }
    out += static_cast<char>(n >> 16 & 0xff);
    if (padding < 2) out += static_cast<char>(n >> 8 & 0xff);
    if (padding < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// Text as a JSON string, or as {"base64": ...} when it is not UTF-8 (a decoded path may hold
// any byte, a body may be binary): JSON strings cannot carry those.
json text(std::string_view value) {
  if (detail::is_valid_utf8(value)) return json(value);
  return json{{"base64", base64_encode(value)}};
}

std::string demangled(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

std::int64_t to_unix_ms(steady_clock::time_point at, steady_clock::time_point steady_now,
                        system_clock::time_point system_now) {
  auto wall = system_now + std::chrono::duration_cast<system_clock::duration>(at - steady_now);
  return std::chrono::duration_cast<milliseconds>(wall.time_since_epoch()).count();
}

steady_clock::time_point from_unix_ms(std::int64_t ms, steady_clock::time_point steady_now,
                                      system_clock::time_point system_now) {
  auto wall = system_clock::time_point(milliseconds(ms));
  return steady_now + std::chrono::duration_cast<steady_clock::duration>(wall - system_now);
}

[[noreturn]] void refuse(std::string_view what) {
  throw WireFormatError(fmt::format("sloe: cannot read a job's request: {}", what));
}

// Reads one field of a version 1 document; every shape error names the field.
class Reader {
 public:
  explicit Reader(const json& wire) : wire_(wire) {}

  bool has(const char* name) const { return wire_.contains(name) && !wire_[name].is_null(); }

  // Text written by text(): a string, or {"base64": ...}.
  std::string text(const json& value, std::string_view field) const {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.size() == 1 && value.contains("base64") &&
        value["base64"].is_string()) {
      if (auto decoded = base64_decode(value["base64"].get_ref<const std::string&>())) {
        return *decoded;
      }
      refuse(fmt::format("field \"{}\" holds invalid base64", field));
    }
    refuse(fmt::format("field \"{}\" must be a string (or {{\"base64\": ...}}), not {}", field,
                       value.type_name()));
  }

  std::string text(const char* name, bool required = false) const {
    if (!has(name)) {
      if (required) refuse(fmt::format("the field \"{}\" is missing", name));
      return {};
    }
    return text(wire_[name], name);
  }

  std::int64_t integer(const char* name) const {
    const json& value = wire_[name];
    if (!value.is_number_integer()) {
      refuse(fmt::format("field \"{}\" must be an integer, not {}", name, value.type_name()));
    }
    return value.get<std::int64_t>();
  }

  // A time as Unix milliseconds, within what the clocks hold without overflow (nanoseconds in
  // 64 bits reach 2262): 1970 to 2100.
  std::int64_t unix_ms(const char* name) const {
    constexpr std::int64_t kYear2100 = 4'102'444'800'000;
    std::int64_t ms = integer(name);
    if (ms < 0 || ms > kYear2100) {
      refuse(
          fmt::format("field \"{}\" is out of range: {} is not a Unix time in milliseconds "
                      "between 1970 and 2100",
                      name, ms));
    }
    return ms;
  }

  // [[name, value], ...] into `texts` (owning) for the views of the copy.
  std::vector<std::pair<std::string, std::string>> pairs(const char* name) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (!has(name)) return out;
    const json& list = wire_[name];
    if (!list.is_array()) refuse(fmt::format("field \"{}\" must be an array of pairs", name));
    for (const json& pair : list) {
      if (!pair.is_array() || pair.size() != 2) {
        refuse(fmt::format("field \"{}\" must be an array of [name, value] pairs", name));
      }
      out.emplace_back(text(pair[0], name), text(pair[1], name));
    }
    return out;
  }

 private:
  const json& wire_;
};

}  // namespace

WireFormat& WireFormat::header(std::string name) {
  headers_.push_back(std::move(name));
  return *this;
}

WireFormat& WireFormat::body(std::size_t max_bytes) {
  body_cap_ = max_bytes;
  return *this;
}

std::string WireFormat::encode(const ContextCopy& copy) const {
  return to_json(copy).dump();
}

json WireFormat::to_json(const ContextCopy& copy) const {
  const steady_clock::time_point steady_now = steady_clock::now();
  const system_clock::time_point system_now = system_clock::now();
  json wire = {{"v", version},
               {"method", text(copy.method())},
               {"path", text(copy.path())},
               {"route", text(copy.full_path())},
               {"query", text(copy.raw_query())},
               {"request_id", text(copy.request_id())},
               {"client_ip", text(copy.client_ip())},
               {"started_ms", to_unix_ms(copy.start_time(), steady_now, system_now)}};
  json params = json::array();
  for (const Param& p : copy.params()) params.push_back({text(p.key), text(p.value)});
  wire["params"] = std::move(params);

  json headers = json::array();
  for (const auto& [name, value] : copy.headers()) {
    for (const std::string& wanted : headers_) {
      if (http::iequals(name, wanted)) {
        headers.push_back({text(name), text(value)});
        break;
      }
    }
  }
  wire["headers"] = std::move(headers);

  json keys = json::object();
  if (const detail::KeyTable* table = detail::CopyAccess::keys(copy)) {
    for (const Key& key : keys_) {
      for (const auto& [name, value] : *table) {
        if (name != key.name) continue;
        if (value.type() != *key.type) {
          throw WireFormatError(fmt::format(
              "sloe: cannot write the key \"{}\" of request {}: it holds a {}, registered as {}",
              key.name, copy.request_id(), demangled(value.type()), demangled(*key.type)));
        }
        keys[key.name] = key.write(value);
        break;
      }
    }
  }
  wire["keys"] = std::move(keys);

  json trace = json::object();
  if (!copy.trace_id().empty()) trace["trace_id"] = text(copy.trace_id());
  if (!copy.span_id().empty()) trace["span_id"] = text(copy.span_id());
  wire["trace"] = std::move(trace);

  if (std::optional<Scope::clock::time_point> deadline = copy.scope().deadline()) {
    wire["deadline_ms"] = to_unix_ms(*deadline, steady_now, system_now);
  }
  if (body_cap_ && !copy.body().empty()) {
    if (copy.body().size() > *body_cap_) {
      throw WireFormatError(
          fmt::format("sloe: cannot write the body of request {}: {} bytes, over the cap of {}",
                      copy.request_id(), copy.body().size(), *body_cap_));
    }
    wire["body"] = text(copy.body());
  }
  return wire;
}

ContextCopy WireFormat::decode(std::string_view text, const Scope& parent) const {
  json wire = json::parse(text, nullptr, false);
  if (wire.is_discarded()) refuse("it is not JSON");
  return from_json(wire, parent);
}

ContextCopy WireFormat::from_json(const json& wire, const Scope& parent) const {
  if (!wire.is_object()) refuse(fmt::format("it must be a JSON object, not {}", wire.type_name()));
  Reader read(wire);
  if (!read.has("v")) refuse("the version field \"v\" is missing");
  if (std::int64_t v = read.integer("v"); v != version) {
    refuse(fmt::format("version {} is not supported (this build reads version {})", v, version));
  }
  const steady_clock::time_point steady_now = steady_clock::now();
  const system_clock::time_point system_now = system_clock::now();

  // The decoded texts, owned here until rebuild() copies them into the copy's block.
  const std::string method = read.text("method", true);
  const std::string path = read.text("path", true);
  const std::string route = read.text("route");
  const std::string query = read.text("query");
  const std::string request_id = read.text("request_id");
  const std::string client_ip = read.text("client_ip");
  std::string trace_id;
  std::string span_id;
  if (read.has("trace")) {
    const json& trace = wire["trace"];
    if (!trace.is_object()) refuse("field \"trace\" must be an object");
    Reader trace_read(trace);
    trace_id = trace_read.text("trace_id");
    span_id = trace_read.text("span_id");
  }
  std::string body;
  if (body_cap_ && read.has("body")) {
    body = read.text("body");
    if (body.size() > *body_cap_) {
      refuse(fmt::format("the body has {} bytes, over the cap of {}", body.size(), *body_cap_));
    }
  }
  const auto param_texts = read.pairs("params");
  const auto header_texts = read.pairs("headers");
  std::vector<Param> params;
  params.reserve(param_texts.size());
  for (const auto& [key, value] : param_texts) params.push_back(Param{key, value});
  std::vector<Field> headers;
  headers.reserve(header_texts.size());
  // The same rule as writing: a header this format does not name stays behind, whoever wrote it.
  for (const auto& [name, value] : header_texts) {
    for (const std::string& wanted : headers_) {
      if (http::iequals(name, wanted)) {
        headers.emplace_back(name, value);
        break;
      }
    }
  }

  std::shared_ptr<detail::KeyTable> keys;
  if (read.has("keys")) {
    const json& wire_keys = wire["keys"];
    if (!wire_keys.is_object()) refuse("field \"keys\" must be an object");
    for (const Key& key : keys_) {
      auto found = wire_keys.find(key.name);
      if (found == wire_keys.end()) continue;
      std::any value;
      try {
        value = key.read(*found);
      } catch (const json::exception& e) {
        refuse(fmt::format("the key \"{}\" does not convert to {}: {}", key.name,
                           demangled(*key.type), e.what()));
      } catch (const WireFormatError& e) {
        refuse(fmt::format("the key \"{}\" does not convert to {}: {}", key.name,
                           demangled(*key.type), e.what()));
      }
      if (!keys) keys = std::make_shared<detail::KeyTable>();
      keys->emplace_back(key.name, std::move(value));
    }
  }

  steady_clock::time_point started = steady_now;
  if (read.has("started_ms")) {
    started = from_unix_ms(read.unix_ms("started_ms"), steady_now, system_now);
  }
  Scope scope = parent.with_cancel();
  if (read.has("deadline_ms")) {
    scope = parent.with_deadline(from_unix_ms(read.unix_ms("deadline_ms"), steady_now, system_now));
  }

  detail::CopyAccess::Fields fields{.method = method,
                                    .path = path,
                                    .full_path = route,
                                    .raw_query = query,
                                    .client_ip = client_ip,
                                    .body = body,
                                    .request_id = request_id,
                                    .trace_id = trace_id,
                                    .span_id = span_id,
                                    .params = params,
                                    .headers = headers,
                                    .start_time = started};
  return detail::CopyAccess::rebuild(fields, std::move(keys), std::move(scope));
}

}  // namespace sloe
