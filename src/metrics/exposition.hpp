#pragma once
// The pieces of Prometheus' text exposition format 0.0.4 that need care: which names are
// valid, how label values and help texts are escaped, how numbers are spelled.

#include <span>
#include <string>
#include <string_view>

namespace sloe::metrics_text {

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
bool is_metric_name(std::string_view name) noexcept;
/// `[a-zA-Z_][a-zA-Z0-9_]*`; names starting with `__` are Prometheus' own and refused too.
bool is_label_name(std::string_view name) noexcept;

/// Throws std::invalid_argument unless `upper_bounds` can be a histogram's `le` buckets: at least
/// one, finite, strictly increasing (+Inf is implicit).
void check_upper_bounds(std::span<const double> upper_bounds);

/// `text` with every byte sequence that is not valid UTF-8 replaced by U+FFFD: Prometheus
/// refuses a scrape with invalid UTF-8 in a label value.
std::string to_valid_utf8(std::string_view text);

/// Appends a label value's escaped form: backslash, double quote and line feed become `\\`,
/// `\"` and `\n`.
void append_label_value(std::string& out, std::string_view value);
/// Appends a HELP text's escaped form: backslash and line feed become `\\` and `\n`.
void append_help(std::string& out, std::string_view help);
/// Appends a sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, or the shortest
/// decimal that reads back as the same double.
void append_value(std::string& out, double value);

}  // namespace sloe::metrics_text
