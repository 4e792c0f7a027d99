#include "http/date.hpp"

#include <chrono>
#include <span>

namespace sloe::http {

namespace {

constexpr std::string_view kDayNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kLastSecondOf9999 = 253402300799;

// The parts of an HTTP-date, checked against the calendar only in seconds_since_epoch().
struct DateFields {
  int year = 0;
  unsigned month = 0;  // 1..12
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
};

// Reads an HTTP-date left to right; every read consumes only on success.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : rest_(text) {}

  bool literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }

  // The position in `names` of the name the text starts with.
  bool name(std::span<const std::string_view> names, unsigned& index) {
    for (unsigned i = 0; i < names.size(); ++i) {
      if (literal(names[i])) {
        index = i;
        return true;
      }
    }
    return false;
  }

  bool digits(std::size_t count, unsigned& value) {
    if (rest_.size() < count) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = rest_[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    rest_.remove_prefix(count);
    return true;
  }

  bool month(DateFields& fields) {
    unsigned index = 0;
    if (!name(kMonthNames, index)) return false;
    fields.month = index + 1;
    return true;
  }

  // time-of-day = hour ":" minute ":" second
  bool time_of_day(DateFields& fields) {
    return digits(2, fields.hour) && literal(":") && digits(2, fields.minute) && literal(":") &&
           digits(2, fields.second);
  }

  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

std::optional<std::int64_t> seconds_since_epoch(const DateFields& fields) {
  using namespace std::chrono;
  const year_month_day date{year{fields.year}, month{fields.month}, day{fields.day}};
  // Second 60 is a leap second (RFC 9110 §5.6.7); it counts as the next minute's first.
  if (!date.ok() || fields.hour > 23 || fields.minute > 59 || fields.second > 60) {
    return std::nullopt;
  }
  return std::int64_t{sys_days{date}.time_since_epoch().count()} * kSecondsPerDay +
         fields.hour * 3600 + fields.minute * 60 + fields.second;
}

// IMF-fixdate = day-name "," SP 2DIGIT SP month SP 4DIGIT SP time-of-day SP "GMT"
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) {
  DateReader in(text);
  DateFields fields;
  unsigned day_name = 0, year = 0;
  const bool ok = in.name(kDayNames, day_name) && in.literal(", ") && in.digits(2, fields.day) &&
                  in.literal(" ") && in.month(fields) && in.literal(" ") && in.digits(4, year) &&
                  in.literal(" ") && in.time_of_day(fields) && in.literal(" GMT") && in.at_end();
  if (!ok) return std::nullopt;
  fields.year = static_cast<int>(year);
  return seconds_since_epoch(fields);
}

// rfc850-date = day-name-l "," SP 2DIGIT "-" month "-" 2DIGIT SP time-of-day SP "GMT"
std::optional<std::int64_t> parse_rfc850_date(std::string_view text) {
  DateReader in(text);
  DateFields fields;
  unsigned day_name = 0, year = 0;
  const bool ok = in.name(kLongDayNames, day_name) && in.literal(", ") &&
                  in.digits(2, fields.day) && in.literal("-") && in.month(fields) &&
                  in.literal("-") && in.digits(2, year) && in.literal(" ") &&
                  in.time_of_day(fields) && in.literal(" GMT") && in.at_end();
  if (!ok) return std::nullopt;
  fields.year = static_cast<int>(year >= 69 ? 1900 + year : 2000 + year);
  return seconds_since_epoch(fields);
}

// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP 4DIGIT
std::optional<std::int64_t> parse_asctime_date(std::string_view text) {
  DateReader in(text);
  DateFields fields;
  unsigned day_name = 0, year = 0;
  const bool ok = in.name(kDayNames, day_name) && in.literal(" ") && in.month(fields) &&
                  in.literal(" ") &&
                  ((in.literal(" ") && in.digits(1, fields.day)) || in.digits(2, fields.day)) &&
                  in.literal(" ") && in.time_of_day(fields) && in.literal(" ") &&
                  in.digits(4, year) && in.at_end();
  if (!ok) return std::nullopt;
  fields.year = static_cast<int>(year);
  return seconds_since_epoch(fields);
}

void put_digits(char* out, unsigned value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::optional<ImfFixdate> format_imf_fixdate(std::int64_t unix_seconds) {
  using namespace std::chrono;
  if (unix_seconds < 0 || unix_seconds > kLastSecondOf9999) return std::nullopt;
  const sys_days days{std::chrono::days{unix_seconds / kSecondsPerDay}};
  const year_month_day date{days};
  const auto second_of_day = static_cast<unsigned>(unix_seconds % kSecondsPerDay);

  ImfFixdate out;
  char* p = out.text.data();
  const std::string_view day_name = kDayNames[weekday{days}.c_encoding()];
  const std::string_view month_name = kMonthNames[unsigned{date.month()} - 1];
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  day_name.copy(p, 3);
  p[3] = ',';
  p[4] = ' ';
  put_digits(p + 5, unsigned{date.day()}, 2);
  p[7] = ' ';
  month_name.copy(p + 8, 3);
  p[11] = ' ';
  put_digits(p + 12, static_cast<unsigned>(int{date.year()}), 4);
  p[16] = ' ';
  put_digits(p + 17, second_of_day / 3600, 2);
  p[19] = ':';
  put_digits(p + 20, second_of_day / 60 % 60, 2);
  p[22] = ':';
  put_digits(p + 23, second_of_day % 60, 2);
  std::string_view(" GMT").copy(p + 25, 4);
  return out;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  if (auto seconds = parse_imf_fixdate(text)) return seconds;
  if (auto seconds = parse_rfc850_date(text)) return seconds;
  return parse_asctime_date(text);
}

}  // namespace sloe::http
