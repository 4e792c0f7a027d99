// RESTinio reference server for bench/run: same routes and responses as sloe-demo.
// One thread, TCP_NODELAY, up to 16 pipelined requests per connection.
// Usage: restinio-bench --listen 127.0.0.1:PORT
#include <restinio/all.hpp>
#include <restinio/router/easy_parser_router.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

namespace epr = restinio::router::easy_parser_router;
using router_t = restinio::router::easy_parser_router_t;

auto make_router() {
  auto r = std::make_unique<router_t>();
  r->http_get(epr::path_to_params("/plaintext"), [](const auto& req) {
    return req->create_response()
        .append_header(restinio::http_field::server, "restinio")
        .append_header(restinio::http_field::content_type, "text/plain")
        .set_body("Hello, World!")
        .done();
  });
  r->http_get(epr::path_to_params("/json"), [](const auto& req) {
    return req->create_response()
        .append_header(restinio::http_field::server, "restinio")
        .append_header(restinio::http_field::content_type, "application/json")
        .set_body(R"({"message":"Hello, World!"})")
        .done();
  });
  r->http_get(epr::path_to_params("/user/", epr::path_fragment_p()), [](const auto& req, std::string id) {
    return req->create_response()
        .append_header(restinio::http_field::server, "restinio")
        .append_header(restinio::http_field::content_type, "text/plain")
        .set_body(std::move(id))
        .done();
  });
  r->http_post(epr::path_to_params("/echo"), [](const auto& req) {
    return req->create_response()
        .append_header(restinio::http_field::server, "restinio")
        .append_header(restinio::http_field::content_type, "application/octet-stream")
        .set_body(req->body())
        .done();
  });
  r->non_matched_request_handler([](auto req) {
    return req->create_response(restinio::status_not_found()).done();
  });
  return r;
}

struct traits_t : public restinio::default_single_thread_traits_t {
  using request_handler_t = router_t;
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8080";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen = argv[++i];
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "bad --listen " << listen << "\n";
    return 2;
  }
  std::string host = listen.substr(0, colon);
  auto port = static_cast<std::uint16_t>(std::atoi(listen.c_str() + colon + 1));

  try {
    restinio::run(restinio::on_this_thread<traits_t>()
                      .address(host)
                      .port(port)
                      .max_pipelined_requests(16)
                      .socket_options_setter([](auto& options) {
                        options.set_option(restinio::asio_ns::ip::tcp::no_delay{true});
                      })
                      .request_handler(make_router()));
  } catch (const std::exception& e) {
    std::cerr << "restinio-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
