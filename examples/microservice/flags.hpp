#pragma once
// The command line of sloe-microservice. A bad flag prints the usage on stderr and exits with
// status 2, so that a mistyped deployment fails at once instead of serving with defaults.

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace microservice {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct Flags {
  std::string listen;             // required
  std::string jwt_secret;         // required: HS256 needs at least 32 bytes
  std::optional<HostPort> redis;  // shares the rate limit between instances
  std::string otlp_endpoint;      // empty: spans are not exported
  double rate = 10;               // tokens per second, per client IP
  std::int64_t burst = 20;        // requests at once after a quiet spell
  std::string cors_origin;        // empty: no CORS
  std::optional<std::pair<std::string, std::string>> basic_auth;  // user, password
  std::optional<std::chrono::milliseconds> timeout;               // for /api/*
};

inline void usage(std::FILE* out) {
  std::fputs(
      "usage: sloe-microservice --listen HOST:PORT --jwt-secret S [--redis HOST:PORT]\n"
      "                         [--otlp-endpoint URL] [--rate N --burst N]\n"
      "                         [--cors-origin ORIGIN] [--basic-auth USER:PASS]\n"
      "                         [--timeout DURATION]\n"
      "  --listen HOST:PORT     address to serve on (port 0 picks a free one)\n"
      "  --jwt-secret S         HS256 secret of the bearer tokens (at least 32 bytes)\n"
      "  --redis HOST:PORT      keep the rate limit buckets in Redis, shared by instances\n"
      "  --otlp-endpoint URL    export spans to this OpenTelemetry collector (http://...)\n"
      "  --rate N               POST /api/orders per second and client IP (default 10)\n"
      "  --burst N              requests a client may make at once (default 20)\n"
      "  --cors-origin ORIGIN   let pages from ORIGIN call /api/* (e.g. http://localhost:3000)\n"
      "  --basic-auth USER:PASS mount GET /admin/tasks behind this account\n"
      "  --timeout DURATION     answer /api/* requests 503 after DURATION (500ms, 1s, 2m)\n"
      "  --help                 this text\n",
      out);
}

[[noreturn]] inline void bad_flags(std::string_view why) {
  std::fprintf(stderr, "sloe-microservice: %.*s\n", static_cast<int>(why.size()), why.data());
  usage(stderr);
  std::exit(2);
}

/// The whole of `text` as a number, or nullopt ("10x", "" and overflows are not numbers).
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// "500ms", "1s", "2m", "1h": a positive whole number and its unit.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return std::nullopt;
  auto count = parse_number<std::int64_t>(text.substr(0, digits));
  std::string_view unit = text.substr(digits);
  // Bounded so that the multiplication below cannot overflow.
  if (!count || *count <= 0 || *count > 1'000'000'000) return std::nullopt;
  if (unit == "ms") return std::chrono::milliseconds(*count);
  if (unit == "s") return std::chrono::seconds(*count);
  if (unit == "m") return std::chrono::minutes(*count);
  if (unit == "h") return std::chrono::hours(*count);
  return std::nullopt;
}

/// "host:port", split at the last ':' so that "[::1]:6379" keeps its brackets' colons. Port 0
/// is allowed: it means "pick one" to --listen (and nothing useful to --redis).
inline std::optional<HostPort> parse_host_port(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto port = parse_number<std::uint16_t>(text.substr(colon + 1));
  if (!port) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return HostPort{std::string(host), *port};
}

inline Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) bad_flags(std::string(arg) + " needs a value");
      return argv[++i];
    };
    auto invalid = [&](std::string_view text, std::string_view expected) {
      bad_flags(std::string(arg) + ": '" + std::string(text) + "' is not " + std::string(expected));
    };
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else if (arg == "--listen") {
      std::string_view text = value();
      if (!parse_host_port(text)) invalid(text, "HOST:PORT");
      flags.listen = text;
    } else if (arg == "--jwt-secret") {
      flags.jwt_secret = value();
    } else if (arg == "--redis") {
      std::string_view text = value();
      flags.redis = parse_host_port(text);
      if (!flags.redis || flags.redis->port == 0) invalid(text, "HOST:PORT");
    } else if (arg == "--otlp-endpoint") {
      std::string_view text = value();
      // sloe's exporter speaks plain HTTP only; refuse https:// rather than fail at export.
      if (!text.starts_with("http://")) invalid(text, "an http:// URL");
      flags.otlp_endpoint = text;
    } else if (arg == "--rate") {
      std::string_view text = value();
      auto rate = parse_number<double>(text);
      if (!rate || !std::isfinite(*rate) || *rate <= 0) invalid(text, "a positive number");
      flags.rate = *rate;
    } else if (arg == "--burst") {
      std::string_view text = value();
      auto burst = parse_number<std::int64_t>(text);
      if (!burst || *burst < 1) invalid(text, "a positive whole number");
      flags.burst = *burst;
    } else if (arg == "--cors-origin") {
      flags.cors_origin = value();
    } else if (arg == "--basic-auth") {
      std::string_view text = value();
      std::size_t colon = text.find(':');
      if (colon == std::string_view::npos || colon == 0) invalid(text, "USER:PASS");
      flags.basic_auth.emplace(text.substr(0, colon), text.substr(colon + 1));
    } else if (arg == "--timeout") {
      std::string_view text = value();
      flags.timeout = parse_duration(text);
      if (!flags.timeout) invalid(text, "a duration such as 500ms, 1s or 2m");
    } else {
      bad_flags("unknown option " + std::string(arg));
    }
  }
  if (flags.listen.empty()) bad_flags("--listen is required");
  if (flags.jwt_secret.empty()) bad_flags("--jwt-secret is required");
  // JwtVerifier would refuse it too, but with an exception at start-up instead of the usage.
  if (flags.jwt_secret.size() < 32) bad_flags("--jwt-secret must be at least 32 bytes for HS256");
  return flags;
}

}  // namespace microservice
