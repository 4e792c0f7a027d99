// detail::append_json (the JsonFields writer) against nlohmann's dump() of the same fields: the
// input decodes to a tree of objects whose values are every kind JsonField stores (null, bool,
// signed and unsigned integers, doubles of any bit pattern, strings of any bytes, nested field
// lists, a sloe::json (held by pointer), a std::vector<std::string> (held as a sloe::json)); the
// writer's bytes must equal what nlohmann writes for a sloe::json object built from the same fields
// (first of duplicate keys kept, invalid UTF-8 replaced). Up to 20 fields a level, so the >16-field
// path runs too.

#include <fuzzer/FuzzedDataProvider.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "context/json_writer.hpp"
#include "fuzz_support.hpp"

namespace {

using sloe::JsonField;
using sloe::JsonFields;
using sloe::fuzz::printable;

constexpr std::size_t kMaxFields = 20;
constexpr int kMaxDepth = 4;

// A decoded field list. Strings live in `strings` (a deque: views into it stay valid).
struct Node {
  struct Field {
    std::string_view key;
    int kind = 0;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
    bool b = false;
    std::string_view s;
    sloe::json tree;                // kind 6
    std::vector<std::string> list;  // kind 7
    std::size_t child = 0;          // kind 8: index into nodes
  };
  std::vector<Field> fields;
};

struct Decoded {
  std::deque<std::string> strings;
  std::vector<Node> nodes;  // nodes[0] is the top level
};

std::string_view take_string(FuzzedDataProvider& in, Decoded& out) {
  return out.strings.emplace_back(in.ConsumeRandomLengthString(24));
}

sloe::json take_tree(FuzzedDataProvider& in, Decoded& out, int depth) {
  switch (in.ConsumeIntegralInRange(0, depth > 1 ? 4 : 6)) {
    case 0:
      return nullptr;
    case 1:
      return in.ConsumeIntegral<std::int64_t>();
    case 2:
      return std::bit_cast<double>(in.ConsumeIntegral<std::uint64_t>());
    case 3:
      return std::string(take_string(in, out));
    case 4:
      return in.ConsumeBool();
    case 5: {
      sloe::json array = sloe::json::array();
      for (int n = in.ConsumeIntegralInRange(0, 3); n > 0; --n) {
        array.push_back(take_tree(in, out, depth + 1));
      }
      return array;
    }
    default: {
      sloe::json object = sloe::json::object();
      for (int n = in.ConsumeIntegralInRange(0, 3); n > 0; --n) {
        object[std::string(take_string(in, out))] = take_tree(in, out, depth + 1);
      }
      return object;
    }
  }
}

std::size_t decode(FuzzedDataProvider& in, Decoded& out, int depth) {
  const std::size_t index = out.nodes.size();
  out.nodes.emplace_back();
  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, kMaxFields);
  for (std::size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    Node::Field field;
    field.key = take_string(in, out);
    field.kind = in.ConsumeIntegralInRange(0, depth < kMaxDepth ? 8 : 7);
    switch (field.kind) {
      case 0:  // null
        break;
      case 1:
        field.b = in.ConsumeBool();
        break;
      case 2:
        field.i = in.ConsumeIntegral<std::int64_t>();
        break;
      case 3:
        field.u = in.ConsumeIntegral<std::uint64_t>();
        break;
      case 4:
        field.d = std::bit_cast<double>(in.ConsumeIntegral<std::uint64_t>());
        break;
      case 5:
        field.s = take_string(in, out);
        break;
      case 6:  // a sloe::json: stored by pointer
        field.tree = take_tree(in, out, 0);
        break;
      case 7:  // another type nlohmann converts: stored as a sloe::json
        for (int n = in.ConsumeIntegralInRange(0, 3); n > 0; --n) {
          field.list.emplace_back(take_string(in, out));
        }
        break;
      default:  // nested field list
        field.child = decode(in, out, depth + 1);
        break;
    }
    out.nodes[index].fields.push_back(std::move(field));
  }
  return index;
}

sloe::json reference(const Decoded& d, std::size_t index) {
  sloe::json object = sloe::json::object();
  for (const Node::Field& f : d.nodes[index].fields) {
    sloe::json value;
    switch (f.kind) {
      case 0:
        value = nullptr;
        break;
      case 1:
        value = f.b;
        break;
      case 2:
        value = f.i;
        break;
      case 3:
        value = f.u;
        break;
      case 4:
        value = f.d;
        break;
      case 5:
        value = std::string(f.s);
        break;
      case 6:
        value = f.tree;
        break;
      case 7:
        value = f.list;
        break;
      default:
        value = reference(d, f.child);
        break;
    }
    // A JSON object keeps the first of duplicate keys, as nlohmann's initializer list does.
    object.emplace(std::string(f.key), std::move(value));
  }
  return object;
}

// Calls `then` with the JsonFields of `fields`: an initializer_list has no run-time size, so
// one is written out for each count.
template <std::size_t... I>
void with_list(const std::vector<JsonField>& fields, std::index_sequence<I...>,
               const std::function<void(JsonFields)>& then) {
  then(JsonFields{fields[I]...});
}

template <std::size_t N = 0>
void with_sized_list(const std::vector<JsonField>& fields,
                     const std::function<void(JsonFields)>& then) {
  if constexpr (N > kMaxFields) {
    sloe::fuzz::fail("more fields than the decoder makes");
  } else if (fields.size() == N) {
    with_list(fields, std::make_index_sequence<N>{}, then);
  } else {
    with_sized_list<N + 1>(fields, then);
  }
}

// Builds the JsonFields of node `index` field by field; a nested list is built first and lives
// on the stack while the rest of its parent is built inside the continuation.
void with_fields(const Decoded& d, std::size_t index, std::size_t from,
                 std::vector<JsonField>& built, const std::function<void(JsonFields)>& then) {
  const std::vector<Node::Field>& fields = d.nodes[index].fields;
  if (from == fields.size()) {
    with_sized_list(built, then);
    return;
  }
  const Node::Field& f = fields[from];
  auto next = [&] {
    with_fields(d, index, from + 1, built, then);
    built.pop_back();
  };
  switch (f.kind) {
    case 0:
      built.emplace_back(f.key, nullptr);
      return next();
    case 1:
      built.emplace_back(f.key, f.b);
      return next();
    case 2:
      built.emplace_back(f.key, f.i);
      return next();
    case 3:
      built.emplace_back(f.key, f.u);
      return next();
    case 4:
      built.emplace_back(f.key, f.d);
      return next();
    case 5:
      built.emplace_back(f.key, f.s);
      return next();
    case 6:
      built.emplace_back(f.key, f.tree);  // a const sloe::json&: stored by pointer
      return next();
    case 7:
      built.emplace_back(f.key, f.list);
      return next();
    default: {
      std::vector<JsonField> inner;
      with_fields(d, f.child, 0, inner, [&](JsonFields list) {
        built.emplace_back(f.key, list);
        next();
      });
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Decoded decoded;
  decode(in, decoded, 0);
  const std::string want = sloe::detail::dump_json(reference(decoded, 0));
  std::vector<JsonField> top;
  with_fields(decoded, 0, 0, top, [&](JsonFields fields) {
    std::string got = "prefix";
    sloe::detail::append_json(got, fields);
    if (got.substr(0, 6) != "prefix" || got.substr(6) != want) {
      sloe::fuzz::fail("append_json wrote " + printable(got.substr(6), 2000) +
                       "\nnlohmann dumps   " + printable(want, 2000));
    }
  });
  return 0;
}
