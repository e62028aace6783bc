// Request body decoding: JSON, YAML and Kubernetes protobuf, chosen by Content-Type.
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "api/protobuf.h"
#include "api/schema.h"
#include "api/yaml.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

absl::StatusOr<json::value> DecodeRequestBody(const Request& req,
                                              std::vector<std::string>* duplicates) {
  if (req.body.size() > kMaxBodyBytes) {
    return TooLarge(base::StrCat("Request entity too large: limit is ", kMaxBodyBytes));
  }
  std::string_view ct = std::string_view(req.content_type).substr(0, req.content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (ct.empty() || ct == "application/json" || ct == "*/*") {
    return api::ParseJsonWithDuplicates(req.body, duplicates);
  }
  if (ct == "application/yaml") return api::ParseYaml(req.body, duplicates);
  if (ct == "application/vnd.kubernetes.protobuf") {
    absl::StatusOr<json::object> obj = api::DecodeKubernetesProtobuf(req.body);
    if (!obj.ok()) {
      if (absl::IsUnimplemented(obj.status())) return UnsupportedMediaType(obj.status().message());
      return obj.status();
    }
    return json::value(std::move(*obj));
  }
  return UnsupportedMediaType(
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json, application/yaml, application/vnd.kubernetes.protobuf");
}

}  // namespace shoal::apiserver::internal
