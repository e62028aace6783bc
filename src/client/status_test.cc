#include "client/status.h"

#include <gtest/gtest.h>

#include "apiserver/errors.h"

namespace shoal::client {
namespace {

Response Make(int code, std::string body) {
  Response r;
  r.code = code;
  r.body = std::move(body);
  return r;
}

// A Status body as the API edge writes it.
Response FromServer(const absl::Status& st) {
  return Make(apiserver::HttpCode(st), apiserver::StatusJson(st));
}

TEST(StatusFromResponseTest, SuccessIsOk) {
  EXPECT_TRUE(StatusFromResponse(Make(200, "{}")).ok());
  EXPECT_TRUE(StatusFromResponse(Make(201, "{}")).ok());
  EXPECT_TRUE(StatusFromResponse(Make(204, "")).ok());
}

TEST(StatusFromResponseTest, MapsCodesAndKeepsTheMessage) {
  absl::Status st = StatusFromResponse(FromServer(apiserver::NotFound("pods", "p1")));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "pods \"p1\" not found");

  struct Case {
    absl::Status server;
    absl::StatusCode want;
  } cases[] = {
      {apiserver::AlreadyExists("pods", "p1"), absl::StatusCode::kAlreadyExists},
      {apiserver::ConflictModified("pods", "p1"), absl::StatusCode::kAborted},
      {apiserver::BadRequest("bad"), absl::StatusCode::kInvalidArgument},
      {apiserver::Invalid("Pod", "p1", {{"FieldValueRequired", "Required value", "spec"}}),
       absl::StatusCode::kInvalidArgument},
      {apiserver::UnsupportedMediaType("no"), absl::StatusCode::kInvalidArgument},
      {apiserver::Gone("too old"), absl::StatusCode::kOutOfRange},
      {apiserver::Forbidden("no"), absl::StatusCode::kPermissionDenied},
      {absl::UnauthenticatedError("who"), absl::StatusCode::kUnauthenticated},
      {absl::ResourceExhaustedError("slow down"), absl::StatusCode::kResourceExhausted},
      {absl::InternalError("oops"), absl::StatusCode::kInternal},
      {absl::UnavailableError("later"), absl::StatusCode::kUnavailable},
      {absl::DeadlineExceededError("timeout"), absl::StatusCode::kUnavailable},  // 504
  };
  for (const Case& c : cases) {
    absl::Status st = StatusFromResponse(FromServer(c.server));
    EXPECT_EQ(st.code(), c.want) << c.server;
    EXPECT_EQ(st.message(), c.server.message()) << c.server;
  }
}

TEST(StatusFromResponseTest, BodiesThatAreNotAStatus) {
  absl::Status st = StatusFromResponse(Make(503, "upstream down\n"));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(st.message(), "upstream down");
  st = StatusFromResponse(Make(404, ""));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "HTTP 404");
  st = StatusFromResponse(Make(409, R"({"kind":"Pod"})"));
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(st.message(), R"({"kind":"Pod"})");
  EXPECT_EQ(StatusFromResponse(Make(302, "")).code(), absl::StatusCode::kUnavailable);
}

TEST(StatusFromResponseTest, ReadsTheSharedParts) {
  Response r = Make(404, "");
  r.parts.push_back(std::make_shared<const std::string>(
      R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
      R"("message":"gone away","reason":"NotFound","code":404})"));
  absl::Status st = StatusFromResponse(r);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "gone away");
}

}  // namespace
}  // namespace shoal::client
