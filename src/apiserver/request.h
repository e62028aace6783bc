// Request and Response: the API server's transport-neutral view of one HTTP exchange, so that
// handlers can be driven by the HTTPS front end, by the in-process client, and by unit tests.
// Plain values; no threading concerns.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace shoal::apiserver {

// kube-apiserver's limit on a request body (3 MiB): larger ones get 413.
inline constexpr size_t kMaxBodyBytes = 3 * 1024 * 1024;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, no query
  std::map<std::string, std::string> query;
  std::string accept;
  std::string content_type;
  std::string user_agent;
  std::string body;

  // The query parameter's value, or "" when absent.
  std::string Param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
  bool Has(const std::string& name) const { return query.count(name) > 0; }
};

// A request with a JSON body (or none) that accepts JSON: what the clients (client::Transport)
// and the in-process tests and benchmarks send.
inline Request MakeRequest(std::string method, std::string path, std::string body = "",
                           std::string content_type = "application/json") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.accept = "application/json";
  return r;
}

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  // The body is `body` followed by `parts`: shared, immutable pieces (cached objects, which
  // GET and LIST send as they are) that the front end writes without first joining them
  // into one string.
  std::string body;
  std::vector<store::Bytes> parts;
  std::vector<std::pair<std::string, std::string>> headers;

  size_t BodySize() const {
    size_t n = body.size();
    for (const store::Bytes& p : parts) n += p->size();
    return n;
  }
  // The whole body as one string (for the in-process client and tests).
  std::string Text() const {
    std::string out;
    out.reserve(BodySize());
    out.append(body);
    for (const store::Bytes& p : parts) out.append(*p);
    return out;
  }
};

}  // namespace shoal::apiserver
