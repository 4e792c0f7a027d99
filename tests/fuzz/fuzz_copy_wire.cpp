// sloe::WireFormat::decode on any input: it either refuses with WireFormatError or gives a copy
// that writes a document which reads back to the same copy (the wire form is stable). No other
// exception, no crash, no sanitizer report.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sloe/context/wire_format.hpp"

namespace {

using sloe::fuzz::check;
using sloe::fuzz::printable;

const sloe::WireFormat& format() {
  static const sloe::WireFormat wire = [] {
    sloe::WireFormat w;
    w.key<int>("user_id").key<std::string>("tenant").header("X-Tag").body(4096);
    return w;
  }();
  return wire;
}

std::string summary(const sloe::ContextCopy& c) {
  std::string out;
  for (std::string_view part : {c.method(), c.path(), c.full_path(), c.raw_query(), c.client_ip(),
                                c.body(), c.request_id(), c.trace_id(), c.span_id()}) {
    out += std::to_string(part.size()) + ":" + std::string(part) + ";";
  }
  for (const sloe::Param& p : c.params()) out += std::string(p.key) + "=" + std::string(p.value);
  for (const auto& [name, value] : c.headers()) out += std::string(name) + ":" + std::string(value);
  if (const int* user = c.get<int>("user_id")) out += "user=" + std::to_string(*user);
  if (const std::string* tenant = c.get<std::string>("tenant")) out += "tenant=" + *tenant;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  sloe::ContextCopy copy;
  try {
    copy = format().decode(input);
  } catch (const sloe::WireFormatError&) {
    return 0;
  }
  std::string again;
  try {
    again = format().encode(copy);
  } catch (const sloe::WireFormatError& e) {
    sloe::fuzz::fail(std::string("a decoded copy does not encode: ") + e.what() + " for " +
                     printable(input));
  }
  sloe::ContextCopy round;
  try {
    round = format().decode(again);
  } catch (const sloe::WireFormatError& e) {
    sloe::fuzz::fail(std::string("an encoded copy does not decode: ") + e.what() + " for " +
                     printable(again));
  }
  check(summary(round) == summary(copy), "the round trip changed the copy: " + printable(input));
  return 0;
}
