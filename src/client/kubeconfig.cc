#include "client/kubeconfig.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/status_macros.h"

namespace shoal::client {

namespace {

using Item = std::map<std::string, std::string, std::less<>>;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A scalar as YAML reads it: "double quoted" (with \" \\ escapes), 'single quoted' ('' is a
// quote), or plain (up to a " #" comment).
std::string Unquote(std::string_view v) {
  v = Trim(v);
  std::string out;
  if (!v.empty() && v.front() == '"') {
    for (size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) {
        ++i;
        out.push_back(v[i] == 'n' ? '\n' : v[i] == 't' ? '\t' : v[i]);
      } else {
        out.push_back(v[i]);
      }
    }
    return out;
  }
  if (!v.empty() && v.front() == '\'') {
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] == '\'') {
        if (i + 1 < v.size() && v[i + 1] == '\'') {
          out.push_back('\'');
          ++i;
          continue;
        }
        break;
      }
      out.push_back(v[i]);
    }
    return out;
  }
  size_t comment = v.find(" #");
  return std::string(Trim(v.substr(0, comment)));
}

// Splits "key: value" (value may be empty). False if the line is not a mapping entry.
bool SplitEntry(std::string_view line, std::string_view* key, std::string_view* value) {
  size_t colon = line.find(':');
  while (colon != std::string_view::npos && colon + 1 < line.size() && line[colon + 1] != ' ') {
    colon = line.find(':', colon + 1);  // "https://..." inside a key is not a separator
  }
  if (colon == std::string_view::npos) return false;
  *key = Trim(line.substr(0, colon));
  *value = colon + 1 < line.size() ? Trim(line.substr(colon + 1)) : std::string_view();
  return !key->empty();
}

const Item* FindByName(const std::vector<Item>& items, std::string_view name) {
  for (const Item& i : items) {
    auto it = i.find("name");
    if (it != i.end() && it->second == name) return &i;
  }
  return nullptr;
}

std::string Get(const Item& item, std::string_view key) {
  auto it = item.find(key);
  return it == item.end() ? std::string() : it->second;
}

}  // namespace

absl::StatusOr<Kubeconfig> ParseKubeconfig(base::AnyView text) {
  std::map<std::string, std::vector<Item>, std::less<>> sections;
  std::string current_context;
  std::string section;
  std::istringstream in{text.str()};
  std::string raw;
  while (std::getline(in, raw)) {
    std::string_view line = raw;
    std::string_view body = Trim(line);
    if (body.empty() || body.front() == '#') continue;
    size_t indent = line.find_first_not_of(' ');
    std::string_view key, value;
    const bool item_start = body.substr(0, 2) == "- " || body == "-";
    // Top-level keys start at column 0; list items may too ("clusters:\n- name: ...").
    if (indent == 0 && !item_start) {
      if (!SplitEntry(body, &key, &value)) continue;
      section = std::string(key);
      if (key == "current-context") current_context = Unquote(value);
      continue;
    }
    if (section != "clusters" && section != "users" && section != "contexts") continue;
    std::vector<Item>& items = sections[section];
    if (item_start) {
      items.emplace_back();
      body = Trim(body.substr(1));
      if (body.empty()) continue;
    }
    if (items.empty() || !SplitEntry(body, &key, &value) || value.empty()) continue;
    // Nested maps are flattened to their leaf keys: the fields read here are unique per item.
    items.back()[std::string(key)] = Unquote(value);
  }

  const std::vector<Item>& clusters = sections["clusters"];
  const std::vector<Item>& users = sections["users"];
  const std::vector<Item>& contexts = sections["contexts"];
  const Item* cluster = nullptr;
  const Item* user = nullptr;
  if (!contexts.empty()) {
    const Item* ctx = current_context.empty() && contexts.size() == 1
                          ? &contexts.front()
                          : FindByName(contexts, current_context);
    if (ctx == nullptr) {
      return absl::InvalidArgumentError(
          base::StrCat("kubeconfig: current-context \"", current_context, "\" is not defined"));
    }
    cluster = FindByName(clusters, Get(*ctx, "cluster"));
    user = FindByName(users, Get(*ctx, "user"));
    if (cluster == nullptr) {
      return absl::InvalidArgumentError(base::StrCat(
          "kubeconfig: cluster \"", Get(*ctx, "cluster"), "\" of the current context is not defined"));
    }
    if (user == nullptr) {
      return absl::InvalidArgumentError(base::StrCat(
          "kubeconfig: user \"", Get(*ctx, "user"), "\" of the current context is not defined"));
    }
  } else {
    if (clusters.empty() || users.empty()) {
      return absl::InvalidArgumentError("kubeconfig: no contexts, clusters or users defined");
    }
    cluster = &clusters.front();
    user = &users.front();
  }

  Kubeconfig kc;
  kc.server = Get(*cluster, "server");
  if (kc.server.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(base::StrCat(
        "kubeconfig: cluster server: Invalid value: \"", kc.server, "\": must be an https:// URL"));
  }
  std::string ca_data = Get(*cluster, "certificate-authority-data");
  if (!ca_data.empty() && !absl::Base64Unescape(ca_data, &kc.ca_pem)) {
    return absl::InvalidArgumentError(
        "kubeconfig: certificate-authority-data: Invalid value: not valid base64");
  }
  if (ca_data.empty()) kc.ca_pem = Get(*cluster, "certificate-authority");  // a path, see below
  kc.token = Get(*user, "token");
  if (kc.token.empty()) {
    return absl::InvalidArgumentError(
        "kubeconfig: user token: Required value (only bearer-token users are supported)");
  }
  return kc;
}

absl::StatusOr<Kubeconfig> ReadKubeconfig(const std::string& path) {
  auto read = [](const std::string& p, std::string* out) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    *out = ss.str();
    return true;
  };
  std::string text;
  if (!read(path, &text)) {
    return absl::NotFoundError(base::StrCat("cannot read kubeconfig ", path));
  }
  ASSIGN_OR_RETURN(Kubeconfig kc, ParseKubeconfig(text));
  // `certificate-authority` is a file path, relative to the kubeconfig's folder.
  if (!kc.ca_pem.empty() && kc.ca_pem.find("-----BEGIN") == std::string::npos) {
    std::filesystem::path ca(kc.ca_pem);
    if (ca.is_relative()) ca = std::filesystem::path(path).parent_path() / ca;
    if (!read(ca.string(), &kc.ca_pem)) {
      return absl::NotFoundError(
          base::StrCat("kubeconfig: cannot read certificate-authority ", ca.string()));
    }
  }
  return kc;
}

}  // namespace shoal::client
