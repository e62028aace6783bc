#include "agent/pod_spec.h"

#include <boost/json.hpp>

#include "api/object.h"
#include "api/quantity.h"
#include "base/strings.h"

namespace shoal::agent {

namespace json = boost::json;

namespace {

std::vector<std::string> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool Bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

const json::object* Obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

absl::StatusOr<int64_t> Gpus(const json::object& c, const std::string& field) {
  for (const char* section : {"limits", "requests"}) {
    const json::value* q = api::FindPath(c, base::StrCat("resources.", section));
    if (q == nullptr || !q->is_object()) continue;
    const json::value* g = q->get_object().if_contains("nvidia.com/gpu");
    if (g == nullptr) continue;
    std::string text = g->is_string() ? std::string(g->get_string()) : json::serialize(*g);
    auto parsed = api::Quantity::Parse(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(base::StrCat(field, ".resources.", section,
                                                     "[nvidia.com/gpu]: Invalid value: \"", text,
                                                     "\": ", parsed.status().message()));
    }
    return parsed->Value();
  }
  return 0;
}

absl::StatusOr<std::vector<ContainerSpec>> Containers(const json::object& spec,
                                                      std::string_view key) {
  std::vector<ContainerSpec> out;
  const json::value* list = spec.if_contains(key);
  if (list == nullptr || !list->is_array()) return out;
  int i = 0;
  for (const json::value& cv : list->get_array()) {
    const std::string field = base::StrCat("spec.", key, "[", i++, "]");
    if (!cv.is_object()) continue;
    const json::object& c = cv.get_object();
    ContainerSpec cs;
    cs.name = Str(c, "name");
    cs.image = Str(c, "image");
    cs.command = Strings(c, "command");
    cs.args = Strings(c, "args");
    cs.working_dir = Str(c, "workingDir");
    auto gpus = Gpus(c, field);
    if (!gpus.ok()) return gpus.status();
    cs.gpus = *gpus;
    for (const char* r : {"cpu", "memory"}) {
      const json::value* q = api::FindPath(c, base::StrCat("resources.limits.", r));
      if (q == nullptr || !q->is_string()) continue;
      auto parsed = api::Quantity::Parse(std::string(q->get_string()));
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(base::StrCat(
            field, ".resources.limits.", r, ": Invalid value: \"", q->get_string(), "\""));
      }
      if (std::string_view(r) == "cpu") {
        cs.cpu_limit_milli = parsed->MilliValue();
      } else {
        cs.memory_limit_bytes = parsed->Value();
      }
    }
    if (const json::value* env = c.if_contains("env"); env && env->is_array()) {
      for (const json::value& ev : env->get_array()) {
        if (!ev.is_object()) continue;
        const json::object& e = ev.get_object();
        EnvVarSpec var;
        var.name = Str(e, "name");
        var.value = Str(e, "value");
        if (const json::object* from = Obj(e, "valueFrom")) {
          if (const json::object* f = Obj(*from, "fieldRef")) {
            var.source = EnvVarSpec::Source::kField;
            var.ref = Str(*f, "fieldPath");
          } else if (const json::object* f = Obj(*from, "configMapKeyRef")) {
            var.source = EnvVarSpec::Source::kConfigMap;
            var.ref = Str(*f, "name");
            var.key = Str(*f, "key");
            var.optional = Bool(*f, "optional");
          } else if (const json::object* f = Obj(*from, "secretKeyRef")) {
            var.source = EnvVarSpec::Source::kSecret;
            var.ref = Str(*f, "name");
            var.key = Str(*f, "key");
            var.optional = Bool(*f, "optional");
          }
        }
        cs.env.push_back(std::move(var));
      }
    }
    if (const json::value* mounts = c.if_contains("volumeMounts"); mounts && mounts->is_array()) {
      for (const json::value& mv : mounts->get_array()) {
        if (!mv.is_object()) continue;
        cs.mounts.push_back({.volume = Str(mv.get_object(), "name"),
                             .path = Str(mv.get_object(), "mountPath"),
                             .read_only = Bool(mv.get_object(), "readOnly")});
      }
    }
    out.push_back(std::move(cs));
  }
  return out;
}

}  // namespace

absl::StatusOr<PodSpecView> PodSpecFromJson(const json::object& pod) {
  PodSpecView v;
  v.ns = std::string(api::StringAt(pod, "metadata.namespace"));
  v.name = std::string(api::StringAt(pod, "metadata.name"));
  v.uid = std::string(api::StringAt(pod, "metadata.uid"));
  v.node_name = std::string(api::StringAt(pod, "spec.nodeName"));
  const json::object* spec = Obj(pod, "spec");
  if (spec == nullptr) return v;
  if (std::string p = Str(*spec, "restartPolicy"); !p.empty()) v.restart_policy = p;
  if (const json::value* g = spec->if_contains("terminationGracePeriodSeconds");
      g != nullptr && g->is_int64()) {
    v.grace_seconds = g->get_int64();
  }
  auto init = Containers(*spec, "initContainers");
  if (!init.ok()) return init.status();
  v.init_containers = *std::move(init);
  auto main = Containers(*spec, "containers");
  if (!main.ok()) return main.status();
  v.containers = *std::move(main);
  if (const json::value* vols = spec->if_contains("volumes"); vols && vols->is_array()) {
    for (const json::value& vv : vols->get_array()) {
      if (!vv.is_object()) continue;
      const json::object& vo = vv.get_object();
      VolumeSpec vs;
      vs.name = Str(vo, "name");
      const json::object* src = nullptr;
      if (Obj(vo, "emptyDir") != nullptr) {
        vs.kind = VolumeSpec::Kind::kEmptyDir;
      } else if ((src = Obj(vo, "configMap")) != nullptr) {
        vs.kind = VolumeSpec::Kind::kConfigMap;
        vs.source = Str(*src, "name");
      } else if ((src = Obj(vo, "secret")) != nullptr) {
        vs.kind = VolumeSpec::Kind::kSecret;
        vs.source = Str(*src, "secretName");
      }
      if (src != nullptr) {
        vs.optional = Bool(*src, "optional");
        if (const json::value* items = src->if_contains("items"); items && items->is_array()) {
          for (const json::value& it : items->get_array()) {
            if (it.is_object()) {
              vs.items.emplace_back(Str(it.get_object(), "key"), Str(it.get_object(), "path"));
            }
          }
        }
      }
      v.volumes.push_back(std::move(vs));
    }
  }
  return v;
}

std::string ExpandVars(std::string_view text, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {  // "$$" escapes a "$"
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] == '(') {
      size_t close = text.find(')', i + 2);
      if (close != std::string_view::npos) {
        auto it = vars.find(std::string(text.substr(i + 2, close - i - 2)));
        if (it != vars.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<std::string> FieldValue(const json::object& pod, std::string_view path,
                                      const std::string& node_ip) {
  auto bracket = [&](std::string_view prefix) -> std::optional<std::string> {
    // metadata.labels['key'] (Kubernetes quotes the key).
    if (!path.starts_with(prefix) || !path.ends_with("']")) return std::nullopt;
    std::string key(path.substr(prefix.size(), path.size() - prefix.size() - 2));
    const json::value* m = api::FindPath(pod, prefix.substr(0, prefix.size() - 2));
    if (m == nullptr || !m->is_object()) return std::string();
    const json::value* v = m->get_object().if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (path == "metadata.name" || path == "metadata.namespace" || path == "metadata.uid" ||
      path == "spec.nodeName" || path == "spec.serviceAccountName") {
    return std::string(api::StringAt(pod, path));
  }
  if (path == "status.podIP" || path == "status.hostIP") return node_ip;  // host network
  if (auto v = bracket("metadata.labels['")) return v;
  if (auto v = bracket("metadata.annotations['")) return v;
  return std::nullopt;
}

}  // namespace shoal::agent
