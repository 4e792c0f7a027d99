#include <gtest/gtest.h>
#include <sloe/async/task.hpp>
#include <sloe/sloe.hpp>
#include <sloe/testing/client.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include "../support/captured_log.hpp"

namespace {

using sloe::Context;
using sloe::testing::Client;

std::string multipart(std::initializer_list<std::string> parts) {
  std::string body;
  for (const std::string& part : parts) body += "--BOUNDARY\r\n" + part + "\r\n";
  return body + "--BOUNDARY--\r\n";
}
constexpr std::string_view kMultipartType = "multipart/form-data; boundary=BOUNDARY";

TEST(Form, UrlencodedFieldsAreDecodedAndTheQueryIsNotPartOfThem) {
  sloe::Engine app;
  app.post("/form", [](Context& c) {
    auto tags = c.post_form_array("tag");
    c.json(200, {{"name", c.post_form("name")},
                 {"missing", c.default_post_form("missing", "fallback")},
                 {"empty", c.get_post_form("empty").value_or("absent")},
                 {"only_in_query", c.get_post_form("q").value_or("absent")},
                 {"tags", static_cast<std::int64_t>(tags.size())},
                 {"second_tag", tags.size() > 1 ? tags[1] : ""}});
  });
  Client client(app);
  auto r = client.post("/form?q=1", "name=J%C3%BCrgen+M&empty=&tag=a&tag=b%26c",
                       "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"empty":"","missing":"fallback","name":"Jürgen M",)"
                    R"("only_in_query":"absent","second_tag":"b&c","tags":2})");
}

TEST(Form, OnlyPostPutAndPatchBodiesOfAFormTypeAreForms) {
  sloe::Engine app;
  auto answer = [](Context& c) { c.string(200, std::string(c.default_post_form("a", "none"))); };
  app.post("/f", answer);
  app.put("/f", answer);
  app.patch("/f", answer);
  app.del("/f", answer);
  Client client(app);
  const std::string_view form = "application/x-www-form-urlencoded";
  EXPECT_EQ(client.post("/f", "a=1", form).body, "1");
  EXPECT_EQ(client.put("/f", "a=2", form).body, "2");
  EXPECT_EQ(client.patch("/f", "a=3", form).body, "3");
  EXPECT_EQ(client.request("DELETE", "/f", "a=4", {{"Content-Type", std::string(form)}}).body,
            "none");
  EXPECT_EQ(client.post("/f", "a=5", "application/json").body, "none");
  EXPECT_EQ(client.post("/f", "a=6", "Application/X-WWW-Form-Urlencoded; charset=utf-8").body, "6");
}

TEST(Form, MapsCollectBracketedKeysLikeGin) {
  sloe::Engine app;
  app.post("/maps", [](Context& c) {
    auto query = c.query_map("ids");
    auto form = c.post_form_map("names");
    c.json(200, {{"query_a", query["a"]},
                 {"query_b", query["b"]},
                 {"query_size", static_cast<std::int64_t>(query.size())},
                 {"form_first", form["first"]},
                 {"form_size", static_cast<std::int64_t>(form.size())}});
  });
  Client client(app);
  auto r = client.post("/maps?ids[a]=1&ids[b]=hello%20world&ids[a]=2&ids[]=x&idsx[c]=3&ids=4",
                       "names[first]=thinkerou&names[second]=tianou&other[first]=no",
                       "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body, R"({"form_first":"thinkerou","form_size":2,"query_a":"1",)"
                    R"("query_b":"hello world","query_size":2})");
}

TEST(Form, MultipartFieldsAndFiles) {
  sloe::Engine app;
  app.post("/upload", [](Context& c) {
    auto avatar = c.form_file("avatar");
    auto photos = c.form_files("photos");
    if (!avatar) {
      c.string(400, "no avatar");
      return;
    }
    c.json(200, {{"title", c.post_form("title")},
                 {"filename", avatar->filename},
                 {"type", avatar->content_type},
                 {"size", static_cast<std::int64_t>(avatar->content.size())},
                 {"photos", static_cast<std::int64_t>(photos.size())},
                 {"second_photo", photos.size() > 1 ? photos[1].filename : ""},
                 {"none", c.form_file("none").has_value()}});
  });
  Client client(app);
  const std::string bytes("\x89PNG\r\n\x1a\n\0\0--BOUNDAR", 19);
  auto r = client.post(
      "/upload",
      multipart({"Content-Disposition: form-data; name=\"title\"\r\n\r\nMy trip",
                 "Content-Disposition: form-data; name=\"avatar\"; filename=\"C/me.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n" +
                     bytes,
                 "Content-Disposition: form-data; name=\"photos\"; filename=\"1.jpg\"\r\n\r\n1",
                 "Content-Disposition: form-data; name=\"photos\"; filename=\"2.jpg\"\r\n\r\n2"}),
      kMultipartType);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"filename":"me.png","none":false,"photos":2,"second_photo":"2.jpg",)"
                    R"("size":19,"title":"My trip","type":"image/png"})");
}

TEST(Form, UploadedFilesAreSavedByteForByte) {
  const auto directory = std::filesystem::temp_directory_path() / "sloe-form-test";
  std::filesystem::create_directories(directory);
  sloe::Engine app;
  app.post("/save", [&](Context& c) {
    auto file = c.form_file("file");
    c.save_uploaded_file(*file, (directory / std::string(file->filename)).string());
    c.string(200, "saved {}", file->filename);
  });
  app.post("/nowhere", [](Context& c) {
    try {
      c.save_uploaded_file(*c.form_file("file"), "/nonexistent-dir/x");
    } catch (const std::system_error& e) {
      c.string(500, e.what());
    }
  });
  Client client(app);
  const std::string content("binary\0\r\ndata", 13);
  const std::string body = multipart(
      {"Content-Disposition: form-data; name=\"file\"; filename=\"../up.bin\"\r\n\r\n" + content});
  EXPECT_EQ(client.post("/save", body, kMultipartType).body, "saved up.bin");
  std::ifstream saved(directory / "up.bin", std::ios::binary);
  std::stringstream read;
  read << saved.rdbuf();
  EXPECT_EQ(read.str(), content);
  std::filesystem::remove_all(directory);

  auto failed = client.post("/nowhere", body, kMultipartType);
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("cannot save the uploaded file \"up.bin\" to /nonexistent-dir/x"),
            std::string::npos)
      << failed.body;
}

// "evil.sh\0.txt" must not pass a ".txt" check and then be written as "evil.sh".
TEST(Form, UploadedFileNamesLoseControlBytesBeforeTheHandlerAndTheFilesystemSeeThem) {
  using namespace std::string_literals;
  const auto directory =
      std::filesystem::temp_directory_path() / fmt::format("sloe-form-names-{}", ::getpid());
  std::filesystem::create_directories(directory);
  sloe::Engine app;
  app.post("/save", [&](Context& c) {
    auto file = c.form_file("file");
    if (!file->filename.ends_with(".txt")) return c.string(400, "only .txt");
    c.save_uploaded_file(*file, (directory / std::string(file->filename)).string());
    c.string(200, "{}", file->filename);
  });
  Client client(app);
  struct Case {
    std::string filename;  // as sent
    std::string saved;
  };
  const Case cases[] = {
      {"evil.sh\0.txt"s, "evil.sh.txt"},
      {"line\rbreak.txt", "linebreak.txt"},
      {"tab\tand\x7f del.txt", "taband del.txt"},
      {"../..\0/x\x01.txt"s, "x.txt"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.saved);
    const std::string body =
        multipart({"Content-Disposition: form-data; name=\"file\"; "
                   "filename=\"" +
                   test.filename + "\"\r\n\r\ncontent"});
    auto r = client.post("/save", body, kMultipartType);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, test.saved);
    EXPECT_TRUE(std::filesystem::exists(directory / test.saved));
  }
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++files;
  EXPECT_EQ(files, std::size(cases));
  EXPECT_FALSE(std::filesystem::exists(directory / "evil.sh"));
  std::filesystem::remove_all(directory);
}

TEST(Form, SaveUploadedFileRefusesAPathWithANul) {
  using namespace std::string_literals;
  const auto directory =
      std::filesystem::temp_directory_path() / fmt::format("sloe-form-nul-{}", ::getpid());
  std::filesystem::create_directories(directory);
  sloe::Engine app;
  app.post("/save", [&](Context& c) {
    try {
      // A path built from something other than the file name, e.g. a query parameter.
      c.save_uploaded_file(*c.form_file("file"),
                           (directory / ("evil.sh\0"s + std::string(c.query("ext")))).string());
      c.string(200, "saved");
    } catch (const std::system_error& e) {
      c.string(500, "{}", e.code() == std::errc::invalid_argument);
    }
  });
  Client client(app);
  const std::string body =
      multipart({"Content-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx"});
  auto r = client.post("/save?ext=.txt", body, kMultipartType);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "true");
  EXPECT_TRUE(std::filesystem::is_empty(directory));
  std::filesystem::remove_all(directory);
}

TEST(Form, AMalformedMultipartBodyIsA400ThatSaysWhy) {
  sloe::Engine app;
  app.post("/upload", [](Context& c) { c.string(200, std::string(c.post_form("title"))); });
  Client client(app);
  auto no_boundary = client.post("/upload", "whatever", "multipart/form-data");
  EXPECT_EQ(no_boundary.status, 400);
  EXPECT_NE(no_boundary.body.find("no valid boundary"), std::string::npos) << no_boundary.body;
  auto cut = client.post("/upload", "--BOUNDARY\r\nContent-Disposition: form-data; name=title\r\n",
                         kMultipartType);
  EXPECT_EQ(cut.status, 400);
  EXPECT_NE(cut.body.find("malformed multipart/form-data body"), std::string::npos) << cut.body;
}

struct Login {
  std::string user;
  std::string password;
  int attempts = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Login, user, password, attempts)

TEST(Binding, BindJsonFillsAStructOrAnswers400WithTheReason) {
  sloe::Engine app;
  app.post("/login", [](Context& c) {
    auto login = c.bind_json<Login>();
    c.json(200, {{"user", login.user}, {"attempts", login.attempts}});
  });
  app.post("/lenient", [](Context& c) {
    try {
      c.string(200, c.bind_json<Login>().user);
    } catch (const sloe::BadRequest&) {
      c.string(200, "anonymous");  // Gin's ShouldBindJSON: the handler decides
    }
  });
  Client client(app);
  auto ok = client.post("/login", R"({"user":"manu","password":"123","attempts":2})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"attempts":2,"user":"manu"})");

  auto missing = client.post("/login", R"({"user":"manu"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("key 'password' not found"), std::string::npos) << missing.body;
  auto wrong_type = client.post("/login", R"({"user":"manu","password":1,"attempts":2})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("type must be string"), std::string::npos) << wrong_type.body;
  auto not_json = client.post("/login", "user=manu");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("not the JSON this route expects"), std::string::npos);
  EXPECT_EQ(client.post("/lenient", "{").body, "anonymous");
}

TEST(Binding, BadRequestIsA400EverywhereAndOtherExceptionsKeepTheRequestId) {
  sloe::test::CapturedLog log;
  sloe::Engine app;
  app.get("/plain", [](Context& c) {
    c.header("X-Half", "1");
    throw sloe::BadRequest("page must be a number");
  });
  app.get("/coro", [](Context&) -> sloe::Task<> {
    throw sloe::BadRequest("coroutines too");
    co_return;
  });
  app.get("/crash", [](Context&) { throw std::runtime_error("disk on fire"); });
  auto recovered = app.group("/recovered", sloe::recovery());
  recovered.get("/bad", [](Context&) { throw sloe::BadRequest("recovery lets 400s through"); });
  recovered.get("/crash", [](Context&) { throw std::runtime_error("recovered"); });
  Client client(app);

  auto plain = client.get("/plain");
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(plain.body, "page must be a number");
  EXPECT_EQ(plain.header("X-Half"), "");
  EXPECT_NE(plain.header("X-Request-ID"), "");
  EXPECT_EQ(client.get("/coro").status, 400);
  EXPECT_EQ(client.get("/coro").body, "coroutines too");
  auto bad = client.get("/recovered/bad");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "recovery lets 400s through");

  auto crash = client.get("/crash", {{"X-Request-ID", "trace-me-42"}});
  EXPECT_EQ(crash.status, 500);
  EXPECT_EQ(crash.body, "internal server error");
  EXPECT_EQ(crash.header("X-Request-ID"), "trace-me-42");
  auto recovered_crash = client.get("/recovered/crash");
  EXPECT_EQ(recovered_crash.status, 500);
  EXPECT_EQ(recovered_crash.body, crash.body) << "recovery() answers as the engine does";

  const std::string text = log.text();
  EXPECT_NE(text.find("disk on fire"), std::string::npos) << text;
  EXPECT_EQ(text.find("page must be a number"), std::string::npos)
      << "a client's mistake is not a server error: " << text;
}

}  // namespace
