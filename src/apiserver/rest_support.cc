// See internal/rest_support.h.
#include "apiserver/internal/rest_support.h"

#include <algorithm>
#include <optional>
#include <random>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/object.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {
// GuaranteedUpdate's pacing (AgainAfterConflict): tries at once, then the whole budget.
constexpr int kFreeRetries = 8;
constexpr auto kRetryFor = std::chrono::seconds(10);
}  // namespace

asio::awaitable<bool> AgainAfterConflict(int attempt,
                                         std::chrono::steady_clock::time_point start) {
  if (std::chrono::steady_clock::now() - start > kRetryFor) co_return false;
  if (attempt >= kFreeRetries) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const int most = std::min(20, attempt - kFreeRetries + 2);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(1, most)(rng)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return true;
}

Response JsonResponse(int code, std::string body) {
  Response r;
  r.code = code;
  r.body = std::move(body);
  return r;
}

store::Bytes ServedAs(const api::ResourceType& type, store::Bytes doc) {
  if (!type.custom || doc == nullptr) return doc;
  std::optional<std::string> converted = api::WithApiVersion(*doc, type.ApiVersion());
  return converted ? store::MakeBytes(std::move(*converted)) : doc;
}

Response StoredResponse(const api::ResourceType& type, int code, store::Bytes doc) {
  Response r;
  r.code = code;
  r.parts.push_back(ServedAs(type, std::move(doc)));
  return r;
}

std::string WithRv(const api::ResourceType& type, json::object obj, int64_t rv) {
  if (type.custom) obj["apiVersion"] = type.ApiVersion();
  json::value& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  meta.get_object()["resourceVersion"] = std::to_string(rv);
  return api::Serialize(obj);
}

absl::StatusOr<json::object> DecodeBody(const api::ResourceType& type, const Request& req,
                                        std::vector<std::string>* warnings) {
  auto mode = ParseFieldValidation(req);
  if (!mode.ok()) return mode.status();
  std::vector<std::string> duplicates;
  auto v = DecodeRequestBody(req, &duplicates);
  if (!v.ok()) {
    if (!absl::IsInvalidArgument(v.status()) || HttpCode(v.status()) != 400) return v.status();
    return BadRequest(base::StrCat(type.kind, " in version \"", type.version,
                                   "\" cannot be handled as a ", type.kind, ": ",
                                   v.status().message()));
  }
  if (!v->is_object()) {
    return BadRequest(base::StrCat(type.kind, " in version \"", type.version,
                                   "\" cannot be handled as a ", type.kind,
                                   ": the request body must be a JSON object"));
  }
  RETURN_IF_ERROR(CheckObjectFields(type, *v, duplicates, *mode, warnings));
  return std::move(v->get_object());
}

absl::StatusOr<json::object> ParseStored(const CachedObject& o) {
  auto v = api::ParseJson(*o.json);
  if (!v.ok() || !v->is_object()) return absl::InternalError("stored object does not parse");
  return std::move(v->get_object());
}

std::string RandomSuffix(size_t n) {
  // Kubernetes' generateName alphabet: no vowels, no confusable characters.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(kAlphabet[rng() % kAlphabet.size()]);
  return out;
}

bool SameObject(const json::object& obj, const json::object& old) {
  if (obj.size() != old.size()) return false;
  // Last member first: an update most often changes status or spec, which come after the
  // metadata, and a status update would otherwise compare the whole spec first.
  for (auto it = obj.rbegin(); it != obj.rend(); ++it) {
    const json::key_value_pair& kv = *it;
    const json::value* o = old.if_contains(kv.key());
    if (o == nullptr) return false;
    if (kv.key() != "metadata") {
      if (kv.value() != *o) return false;  // Boost.JSON compares objects by key, any order
      continue;
    }
    if (!kv.value().is_object() || !o->is_object()) return kv.value() == *o;
    const json::object& m = kv.value().get_object();
    const json::object& om = o->get_object();
    size_t rv = (m.contains("resourceVersion") ? 1 : 0);
    size_t orv = (om.contains("resourceVersion") ? 1 : 0);
    if (m.size() - rv != om.size() - orv) return false;
    for (const json::key_value_pair& mkv : m) {
      if (mkv.key() == "resourceVersion") continue;
      const json::value* ov = om.if_contains(mkv.key());
      if (ov == nullptr || *ov != mkv.value()) return false;
    }
  }
  return true;
}

json::object& Meta(json::object& obj) {
  json::value& m = obj["metadata"];
  if (!m.is_object()) m = json::object();
  return m.get_object();
}

Response ListResponse(const api::ResourceType& type, const ListResult& r) {
  static const store::Bytes kComma = store::MakeBytes(",");
  static const store::Bytes kEnd = store::MakeBytes("]}");
  Response resp;
  resp.body = base::StrCat("{\"kind\":\"", type.ListKind(), "\",\"apiVersion\":\"",
                           type.ApiVersion(), "\",\"metadata\":{\"resourceVersion\":\"",
                           r.revision, "\"");
  if (!r.continue_token.empty()) {
    base::StrAppend(&resp.body, ",\"continue\":\"", r.continue_token, "\"");
  }
  resp.body.append("},\"items\":[");
  resp.parts.reserve(r.items.size() * 2 + 1);
  for (size_t i = 0; i < r.items.size(); ++i) {
    if (i > 0) resp.parts.push_back(kComma);
    resp.parts.push_back(ServedAs(type, r.items[i]->json));
  }
  resp.parts.push_back(kEnd);
  return resp;
}

}  // namespace shoal::apiserver::internal
