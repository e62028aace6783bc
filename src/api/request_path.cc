#include "api/request_path.h"

#include <vector>

#include "base/strings.h"

namespace shoal::api {

ApiPath ParseApiPath(std::string_view path) {
  std::vector<std::string_view> segs;
  for (size_t start = 0; start < path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  size_t i = 0;
  std::string_view group;
  if (segs.size() >= 2 && segs[0] == "api") {
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    group = segs[1];
    i = 3;
  } else {
    return {};
  }
  std::string_view ns;
  if (segs.size() >= i + 3 && segs[i] == "namespaces") {  // a namespaced resource
    ns = segs[i + 1];
    i += 2;
  }
  if (i >= segs.size()) return {};
  ApiPath out;
  out.group = std::string(group);
  out.ns = std::string(ns);
  out.resource = std::string(segs[i]);
  out.named = i + 1 < segs.size();
  if (i + 2 < segs.size()) out.subresource = std::string(segs[i + 2]);
  return out;
}

std::string ResourceOfPath(std::string_view path) {
  ApiPath p = ParseApiPath(path);
  if (p.subresource.empty()) return p.resource;
  return base::StrCat(p.resource, "/", p.subresource);
}

}  // namespace shoal::api
