// sloe::ContextCopy, and Context::copy() that takes one: the request's values copied into one
// block of memory, the keys shared.

#include "sloe/context/context_copy.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

#include "context/context_state.hpp"
#include "context/copy_access.hpp"
#include "context/request_lookup.hpp"
#include "http/request.hpp"
#include "sloe/context/context.hpp"

namespace sloe {

using detail::ContextState;

namespace {

// One allocation, filled front to back: objects (place, table), then the text they view (keep).
// The block stays as it is once filled: it has no room to grow and nothing to destroy.
class Arena {
 public:
  Arena(std::size_t object_bytes, std::size_t text_bytes)
      : block_(
            std::make_shared_for_overwrite<std::byte[]>(object_bytes + text_bytes + kAlign - 1)) {
    void* start = block_.get();
    std::size_t space = object_bytes + text_bytes + kAlign - 1;
    objects_ = static_cast<std::byte*>(std::align(kAlign, object_bytes + text_bytes, start, space));
    text_ = objects_ + object_bytes;
  }

  template <class T>
  T* place(const T& value) {
    static_assert(alignof(T) <= kAlign && sizeof(T) % kAlign == 0);
    static_assert(std::is_trivially_destructible_v<T>);
    T* placed = new (objects_) T(value);
    objects_ += sizeof(T);
    return placed;
  }

  // `convert(f)` for every `f` of `from`, one after the other.
  template <class T, class From, class Convert>
  std::span<const T> table(std::span<const From> from, Convert&& convert) {
    T* first = nullptr;
    for (const From& f : from) {
      T* placed = place<T>(convert(f));
      if (first == nullptr) first = placed;
    }
    return {first, from.size()};
  }

  std::string_view keep(std::string_view text) {
    if (text.empty()) return {};
    char* kept = reinterpret_cast<char*>(text_);
    std::memcpy(kept, text.data(), text.size());
    text_ += text.size();
    return {kept, text.size()};
  }

  std::shared_ptr<std::byte[]> release() && { return std::move(block_); }

 private:
  static constexpr std::size_t kAlign = alignof(std::string_view);
  std::shared_ptr<std::byte[]> block_;
  std::byte* objects_;
  std::byte* text_;
};

// The text fields of a ContextCopy::Request, to measure them and to point them at the copy.
template <class Request>
auto texts(Request& r) {
  return std::array{&r.method, &r.path,       &r.full_path, &r.raw_query, &r.client_ip,
                    &r.body,   &r.request_id, &r.trace_id,  &r.span_id};
}

}  // namespace

std::string_view ContextCopy::param(std::string_view key) const {
  return detail::find_param(params(), key);
}

std::optional<std::string> ContextCopy::get_query(std::string_view key) const {
  detail::Scratch decoded;
  const std::optional<std::string_view> value = detail::get_query(raw_query(), key, decoded);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::string ContextCopy::query(std::string_view key) const {
  return get_query(key).value_or("");
}

std::vector<std::string> ContextCopy::query_array(std::string_view key) const {
  detail::Scratch decoded;
  const std::vector<std::string_view> values = detail::query_array(raw_query(), key, decoded);
  return {values.begin(), values.end()};
}

std::string_view ContextCopy::header(std::string_view name) const {
  return detail::find_header(headers(), name);
}

ContextCopy Context::copy(bool with_body) const {
  check();
  ContextState& s = *state_;
  const http::Request& r = *s.request;
  using Request = ContextCopy::Request;
  using Field = std::pair<std::string_view, std::string_view>;
  // The values to copy, still views into the request's memory.
  const Request from{.method = r.method,
                     .path = s.path,
                     .full_path = s.full_path,
                     .raw_query = r.query,
                     .client_ip = client_ip(),
                     .body = with_body ? r.body : std::string_view(),
                     .request_id = s.request_id,
                     .trace_id = s.trace_id,
                     .span_id = s.span_id,
                     .params = {},
                     .headers = {},
                     .start_time = s.start};
  std::size_t text_bytes = 0;
  for (const std::string_view* text : texts(from)) text_bytes += text->size();
  for (const Param& p : s.params) text_bytes += p.key.size() + p.value.size();
  for (const http::Header& h : r.headers) text_bytes += h.name.size() + h.value.size();

  Arena arena(sizeof(Request) + s.params.size() * sizeof(Param) + r.headers.size() * sizeof(Field),
              text_bytes);
  Request* to = arena.place(from);
  for (std::string_view* text : texts(*to)) *text = arena.keep(*text);
  to->params = arena.table<Param>(std::span<const Param>(s.params), [&](const Param& p) {
    return Param{arena.keep(p.key), arena.keep(p.value)};
  });
  to->headers = arena.table<Field>(r.headers, [&](const http::Header& h) {
    return Field{arena.keep(h.name), arena.keep(h.value)};
  });

  ContextCopy copy;
  copy.request_ = std::shared_ptr<const Request>(std::move(arena).release(), to);
  copy.keys_ = s.keys.share();
  if (s.home->lifetime) copy.scope_ = *s.home->lifetime;
  return copy;
}

ContextCopy detail::CopyAccess::rebuild(const Fields& fields, std::shared_ptr<const KeyTable> keys,
                                        Scope scope) {
  using Request = ContextCopy::Request;
  using Field = std::pair<std::string_view, std::string_view>;
  const Request from{.method = fields.method,
                     .path = fields.path,
                     .full_path = fields.full_path,
                     .raw_query = fields.raw_query,
                     .client_ip = fields.client_ip,
                     .body = fields.body,
                     .request_id = fields.request_id,
                     .trace_id = fields.trace_id,
                     .span_id = fields.span_id,
                     .params = {},
                     .headers = {},
                     .start_time = fields.start_time};
  std::size_t text_bytes = 0;
  for (const std::string_view* text : texts(from)) text_bytes += text->size();
  for (const Param& p : fields.params) text_bytes += p.key.size() + p.value.size();
  for (const Field& h : fields.headers) text_bytes += h.first.size() + h.second.size();

  Arena arena(sizeof(Request) + fields.params.size() * sizeof(Param) +
                  fields.headers.size() * sizeof(Field),
              text_bytes);
  Request* to = arena.place(from);
  for (std::string_view* text : texts(*to)) *text = arena.keep(*text);
  to->params = arena.table<Param>(fields.params, [&](const Param& p) {
    return Param{arena.keep(p.key), arena.keep(p.value)};
  });
  to->headers = arena.table<Field>(fields.headers, [&](const Field& h) {
    return Field{arena.keep(h.first), arena.keep(h.second)};
  });

  ContextCopy copy;
  copy.request_ = std::shared_ptr<const Request>(std::move(arena).release(), to);
  copy.keys_ = std::move(keys);
  copy.scope_ = std::move(scope);
  return copy;
}

}  // namespace sloe
