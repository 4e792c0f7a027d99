#pragma once
// Escaping client data for log lines, so a request cannot forge, split or hide log lines
// (`%0a` in a path, ANSI escapes in a header, NUL bytes that end a line for some readers).
//
// The rule is nginx's access-log escaping: every byte below 0x20, 0x7F and above (so also
// every byte of a UTF-8 sequence), `"` and `\` is written as `\xHH` (upper-case hex); all
// other bytes are kept. The output is printable ASCII and the escaping is reversible, since a
// literal backslash is escaped too. Bytes >= 0x80 are escaped, like nginx does, because a log
// line cannot otherwise tell valid UTF-8 from raw 8-bit control bytes, invalid sequences or
// bidirectional overrides; a UTF-8 path reads as `/caf\xC3\xA9`.

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace sloe {

/// Appends `text` to `out`, escaped by the rule above.
void append_log_escaped(std::string& out, std::string_view text);

/// Appends `text` to `out` as the inside of a JSON string, by the same rule: `"` and `\` as
/// `\"` and `\\`, every other escaped byte as `\u00hh`, so the output is ASCII and valid JSON
/// whatever the client sent (a byte >= 0x80 reads as the code point of the same value, as the
/// text rule writes it as `\xHH`).
void append_json_log_escaped(std::string& out, std::string_view text);

/// `text` escaped by the rule above.
std::string log_escape(std::string_view text);

/// Whether `text` has a byte that the rule above escapes.
bool needs_log_escape(std::string_view text) noexcept;

/// A view formatted escaped; see `log_escaped`.
struct LogEscaped {
  std::string_view text;
};

/// Wraps client data for a log call without copying it first:
/// `spdlog::info("login by {}", sloe::log_escaped(user))`. Format specs for strings (width,
/// alignment) apply to the escaped text. `ContextCopy`'s `log`/`info`/`warn`/`error` wrap
/// their string arguments this way on their own.
inline LogEscaped log_escaped(std::string_view text) noexcept {
  return LogEscaped{text};
}

}  // namespace sloe

template <>
struct fmt::formatter<sloe::LogEscaped> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const sloe::LogEscaped& value, FormatContext& ctx) const -> decltype(ctx.out()) {
    // Most logged values need nothing escaped; they are formatted without a copy.
    if (!sloe::needs_log_escape(value.text)) {
      return fmt::formatter<std::string_view>::format(value.text, ctx);
    }
    std::string escaped = sloe::log_escape(value.text);
    return fmt::formatter<std::string_view>::format(escaped, ctx);
  }
};
