// sloe::WireFormat: a ContextCopy written as versioned JSON and rebuilt answers the same
// accessors; what is not asked for stays behind; bad input is refused with a clear message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using sloe::Context;
using sloe::ContextCopy;
using sloe::json;
using sloe::WireFormat;
using sloe::WireFormatError;
using sloe::testing::Client;
using ::testing::HasSubstr;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct Tenant {
  std::string name;
  int tier = 0;
  friend bool operator==(const Tenant&, const Tenant&) = default;
};
void to_json(json& j, const Tenant& t) {
  j = json{{"name", t.name}, {"tier", t.tier}};
}
void from_json(const json& j, Tenant& t) {
  j.at("name").get_to(t.name);
  j.at("tier").get_to(t.tier);
}

// A copy of a real request: params, query, headers, keys, trace context and body.
ContextCopy copy_of_request(std::string body = "{\"qty\":3}",
                            std::function<void(Context&)> set_keys = {}) {
  sloe::Engine app;
  ContextCopy copy;
  app.post("/orders/:id/items/:item", [&](Context& c) {
    c.set("user_id", 42);
    c.set("tenant", Tenant{"acme", 2});
    c.set("secret", std::string("not for the wire"));
    if (set_keys) set_keys(c);
    copy = c.copy(true).with_timeout(1h);
    c.status(202);
  });
  Client client(app);
  client.post("/orders/7/items/x%20y?expand=1&tag=a&tag=b", body, "application/json",
              {{"X-Request-ID", "req-123"},
               {"traceparent", kTraceparent},
               {"Accept-Language", "fr"},
               {"Authorization", "Bearer secret"},
               {"X-Tag", "one"},
               {"x-tag", "two"}});
  return copy;
}

WireFormat full_format() {
  WireFormat wire;
  wire.key<int>("user_id").key<Tenant>("tenant").header("accept-language").header("X-Tag");
  wire.body(1024);
  return wire;
}

TEST(ContextCopyWire, RoundTripAnswersTheSameAccessors) {
  ContextCopy original = copy_of_request();
  ASSERT_EQ(original.request_id(), "req-123");
  WireFormat wire = full_format();
  std::string text = wire.encode(original);
  ContextCopy copy = wire.decode(text);

  EXPECT_EQ(copy.method(), "POST");
  EXPECT_EQ(copy.path(), original.path());
  EXPECT_EQ(copy.full_path(), "/orders/:id/items/:item");
  EXPECT_EQ(copy.param("id"), "7");
  EXPECT_EQ(copy.param("item"), original.param("item"));
  EXPECT_EQ(copy.params().size(), 2u);
  EXPECT_EQ(copy.raw_query(), "expand=1&tag=a&tag=b");
  EXPECT_EQ(copy.query("expand"), "1");
  EXPECT_EQ(copy.query_array("tag"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(copy.header("Accept-Language"), "fr");
  EXPECT_EQ(copy.header("X-TAG"), "one");
  ASSERT_EQ(copy.headers().size(), 3u);
  EXPECT_EQ(copy.headers()[2].second, "two");
  EXPECT_EQ(copy.header("Authorization"), "") << "headers travel only when named";
  EXPECT_EQ(copy.request_id(), "req-123");
  EXPECT_EQ(copy.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(copy.span_id(), original.span_id());
  EXPECT_EQ(copy.client_ip(), original.client_ip());
  EXPECT_EQ(copy.body(), "{\"qty\":3}");
  ASSERT_NE(copy.get<int>("user_id"), nullptr);
  EXPECT_EQ(*copy.get<int>("user_id"), 42);
  ASSERT_NE(copy.get<Tenant>("tenant"), nullptr);
  EXPECT_EQ(*copy.get<Tenant>("tenant"), (Tenant{"acme", 2}));
  EXPECT_EQ(copy.get<std::string>("secret"), nullptr) << "keys travel only when registered";

  // Deadline and start time cross as wall-clock milliseconds: equal to within that rounding
  // (plus the moments between reading the two clocks).
  ASSERT_TRUE(copy.scope().deadline().has_value());
  auto deadline_gap = *copy.scope().deadline() - *original.scope().deadline();
  EXPECT_LT(std::chrono::abs(deadline_gap), 50ms);
  EXPECT_LT(std::chrono::abs(copy.start_time() - original.start_time()), 50ms);
  EXPECT_FALSE(copy.scope().cancelled());

  // The rebuilt copy writes the same document again: the form is stable.
  json again = json::parse(wire.encode(copy));
  json first = json::parse(text);
  for (const char* field : {"v", "method", "path", "route", "params", "query", "headers", "keys",
                            "request_id", "trace", "client_ip", "body"}) {
    EXPECT_EQ(again[field], first[field]) << field;
  }
  EXPECT_EQ(first["v"], 1);
}

TEST(ContextCopyWire, BinaryTextSurvivesAsBase64) {
  std::string binary("\xff\x00\xfe bin", 7);
  ContextCopy original = copy_of_request(binary);
  WireFormat wire = full_format();
  json doc = wire.to_json(original);
  ASSERT_TRUE(doc["body"].is_object());
  EXPECT_TRUE(doc["body"].contains("base64"));
  ContextCopy copy = wire.from_json(json::parse(doc.dump()));
  EXPECT_EQ(copy.body(), binary);
}

TEST(ContextCopyWire, BodyTravelsOnlyWhenAskedForAndWithinItsCap) {
  ContextCopy original = copy_of_request(std::string(100, 'b'));
  WireFormat no_body;
  EXPECT_FALSE(no_body.to_json(original).contains("body"));
  EXPECT_EQ(no_body.decode(full_format().encode(original)).body(), "")
      << "a reader that did not ask for the body leaves it behind";

  WireFormat small;
  small.body(99);
  try {
    small.encode(original);
    FAIL() << "a body over the cap was written";
  } catch (const WireFormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("100 bytes, over the cap of 99"));
  }
  try {
    small.decode(full_format().encode(original));
    FAIL() << "a body over the cap was read";
  } catch (const WireFormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the body has 100 bytes, over the cap of 99"));
  }
  WireFormat exact;
  exact.body(100);
  EXPECT_EQ(exact.decode(exact.encode(original)).body().size(), 100u);
}

TEST(ContextCopyWire, KeyOfAnotherTypeIsRefused) {
  ContextCopy original = copy_of_request();
  WireFormat as_string;
  as_string.key<std::string>("user_id");
  try {
    as_string.encode(original);
    FAIL() << "an int key was written as a string";
  } catch (const WireFormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("key \"user_id\""));
    EXPECT_THAT(e.what(), HasSubstr("holds a int, registered as std::"));
  }
  // Reading: the document says "user_id": 42, the reader registered it as a Tenant.
  WireFormat as_tenant;
  as_tenant.key<Tenant>("user_id");
  try {
    as_tenant.decode(full_format().encode(original));
    FAIL() << "a number was read as a Tenant";
  } catch (const WireFormatError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the key \"user_id\" does not convert to"));
    EXPECT_THAT(e.what(), HasSubstr("Tenant"));
  }
}

TEST(ContextCopyWire, IntegerKeysMustHoldAnIntegerThatFits) {
  struct Case {
    const char* keys;
    const char* message;  // empty: accepted
  };
  const Case cases[] = {
      {R"({"n": 7})", ""},
      {R"({"n": -2147483648})", ""},
      {R"({"n": 2147483648})", "out of range"},
      {R"({"n": 18446744073709551615})", "out of range"},
      {R"({"n": 1e30})", "not an integer"},
      {R"({"n": 1.5})", "not an integer"},
      {R"({"n": "7"})", "not an integer"},
  };
  WireFormat wire;
  wire.key<int>("n");
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.keys);
    std::string text =
        std::string(R"({"v": 1, "method": "GET", "path": "/", "keys": )") + tc.keys + "}";
    if (*tc.message == '\0') {
      EXPECT_NE(wire.decode(text).get<int>("n"), nullptr);
      continue;
    }
    try {
      wire.decode(text);
      ADD_FAILURE() << "accepted";
    } catch (const WireFormatError& e) {
      EXPECT_THAT(e.what(), HasSubstr("the key \"n\" does not convert to int"));
      EXPECT_THAT(e.what(), HasSubstr(tc.message));
    }
  }
}

TEST(ContextCopyWire, UnregisteredKeysAreSkippedBothWays) {
  ContextCopy original = copy_of_request();
  WireFormat only_user;
  only_user.key<int>("user_id");
  json doc = only_user.to_json(original);
  EXPECT_EQ(doc["keys"], (json{{"user_id", 42}}));
  // A reader that knows fewer keys (or headers) than the writer skips the others.
  WireFormat reader;
  ContextCopy copy = reader.decode(full_format().encode(original));
  EXPECT_EQ(copy.get<int>("user_id"), nullptr);
  EXPECT_EQ(copy.get<Tenant>("tenant"), nullptr);
  EXPECT_TRUE(copy.headers().empty());
}

TEST(ContextCopyWire, BadInputIsRefusedWithWhatIsWrong) {
  struct Case {
    const char* name;
    std::string text;
    const char* message;
  };
  const Case cases[] = {
      {"not JSON", "{\"v\": 1, ", "it is not JSON"},
      {"not an object", "[1, 2]", "must be a JSON object, not array"},
      {"no version", R"({"method": "GET", "path": "/"})", "the version field \"v\" is missing"},
      {"version as text", R"({"v": "1", "method": "GET", "path": "/"})",
       "field \"v\" must be an integer, not string"},
      {"future version", R"({"v": 2, "method": "GET", "path": "/"})",
       "version 2 is not supported (this build reads version 1)"},
      {"old version", R"({"v": 0})", "version 0 is not supported"},
      {"no method", R"({"v": 1, "path": "/"})", "the field \"method\" is missing"},
      {"path as number", R"({"v": 1, "method": "GET", "path": 5})",
       "field \"path\" must be a string"},
      {"bad base64", R"({"v": 1, "method": "GET", "path": {"base64": "@@@@"}})",
       "field \"path\" holds invalid base64"},
      {"params not pairs", R"({"v": 1, "method": "GET", "path": "/", "params": [["id"]]})",
       "field \"params\" must be an array of [name, value] pairs"},
      {"headers not an array", R"({"v": 1, "method": "GET", "path": "/", "headers": {}})",
       "field \"headers\" must be an array of pairs"},
      {"keys not an object", R"({"v": 1, "method": "GET", "path": "/", "keys": []})",
       "field \"keys\" must be an object"},
      {"deadline as text", R"({"v": 1, "method": "GET", "path": "/", "deadline_ms": "soon"})",
       "field \"deadline_ms\" must be an integer"},
      {"deadline past the clocks",
       R"({"v": 1, "method": "GET", "path": "/", "deadline_ms": 9223372036854775807})",
       "field \"deadline_ms\" is out of range"},
      {"start before 1970", R"({"v": 1, "method": "GET", "path": "/", "started_ms": -5})",
       "field \"started_ms\" is out of range"},
  };
  WireFormat wire = full_format();
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    try {
      wire.decode(tc.text);
      ADD_FAILURE() << "accepted";
    } catch (const WireFormatError& e) {
      EXPECT_THAT(e.what(), HasSubstr(tc.message));
      EXPECT_THAT(e.what(), HasSubstr("sloe: cannot read a job's request"));
    }
  }
}

TEST(ContextCopyWire, MinimalDocumentAndPassedDeadline) {
  WireFormat wire;
  ContextCopy copy = wire.decode(R"({"v": 1, "method": "GET", "path": "/x", "unknown": true})");
  EXPECT_EQ(copy.method(), "GET");
  EXPECT_EQ(copy.path(), "/x");
  EXPECT_EQ(copy.request_id(), "");
  EXPECT_FALSE(copy.scope().deadline().has_value());

  // A deadline already passed gives a scope born cancelled: the job should not start.
  ContextCopy late = wire.decode(R"({"v": 1, "method": "GET", "path": "/", "deadline_ms": 1000})");
  EXPECT_TRUE(late.scope().cancelled());
  EXPECT_EQ(late.scope().reason(), sloe::CancelReason::deadline_exceeded);

  // The rebuilt scope is a child of the parent given: cancelling the parent reaches it.
  sloe::Scope parent = sloe::Scope::background().with_cancel();
  ContextCopy child = wire.decode(R"({"v": 1, "method": "GET", "path": "/"})", parent);
  parent.cancel();
  EXPECT_TRUE(child.scope().cancelled());
}

}  // namespace
