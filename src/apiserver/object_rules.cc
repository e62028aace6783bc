// Per-type object rules, following kube-apiserver's registry strategies: body checks against
// the URL, defaulting (SetDefaults_Pod and friends), validation of names, labels and
// quantities, and the server-owned metadata on create and update.
#include <algorithm>
#include <random>

#include <boost/json.hpp>

#include "base/strings.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "api/object.h"
#include "api/quantity.h"
#include "api/validation.h"
#include "apiserver/errors.h"
#include "apiserver/internal/object_rules.h"
#include "apiserver/internal/rest.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

namespace {

std::string NewUid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  // RFC 4122 version 4.
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                         b >> 48, b & 0xffffffffffffULL);
}

}  // namespace

json::object& Obj(json::object& parent, std::string_view key) {
  json::value& v = parent[key];
  if (!v.is_object()) v = json::object();
  return v.get_object();
}

namespace {

std::string CannotHandle(const api::ResourceType& type, base::AnyView why) {
  return base::StrCat(type.kind, " in version \"", type.version, "\" cannot be handled as a ",
                      type.kind, ": ", why);
}

// The quantities in a resource map (requests, limits, capacity...) must parse.
absl::Status CheckQuantities(const api::ResourceType& type, const json::value* map,
                             std::string_view field) {
  if (map == nullptr) return absl::OkStatus();
  if (!map->is_object()) {
    return BadRequest(CannotHandle(type, base::StrCat(field, " must be an object")));
  }
  for (const auto& [k, v] : map->get_object()) {
    auto q = api::QuantityFromJson(v);
    if (!q.ok()) return BadRequest(CannotHandle(type, q.status().message()));
  }
  return absl::OkStatus();
}

absl::Status CheckStringMap(const api::ResourceType& type, const json::object& meta,
                            std::string_view field) {
  auto it = meta.find(field);
  if (it == meta.end() || it->value().is_null()) return absl::OkStatus();
  if (!it->value().is_object()) {
    return BadRequest(CannotHandle(
        type, base::StrCat("json: cannot unmarshal ", json::to_string(it->value().kind()),
                           " into Go struct field ObjectMeta.metadata.", field,
                           " of type map[string]string")));
  }
  for (const auto& [k, v] : it->value().get_object()) {
    if (!v.is_string()) {
      return BadRequest(CannotHandle(
          type, base::StrCat("json: cannot unmarshal ", json::to_string(v.kind()),
                             " into Go struct field ObjectMeta.metadata.", field,
                             " of type string")));
    }
  }
  return absl::OkStatus();
}

void DefaultContainer(json::object& c) {
  if (!c.contains("terminationMessagePath")) c["terminationMessagePath"] = "/dev/termination-log";
  if (!c.contains("terminationMessagePolicy")) c["terminationMessagePolicy"] = "File";
  if (!c.contains("imagePullPolicy")) {
    std::string image = c.contains("image") && c["image"].is_string()
                            ? std::string(c["image"].get_string())
                            : "";
    size_t slash = image.rfind('/');
    std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
    bool latest = last.find(':') == std::string::npos || last.ends_with(":latest");
    if (image.find('@') != std::string::npos) latest = false;
    c["imagePullPolicy"] = latest ? "Always" : "IfNotPresent";
  }
  json::object& res = Obj(c, "resources");
  // Limits without requests default the requests (SetDefaults_ResourceRequirements).
  // Boost.JSON's non-const operator[] may reallocate even for an existing key, so the limits
  // are copied before the requests object is touched.
  if (const json::value* lim = res.if_contains("limits"); lim != nullptr && lim->is_object()) {
    json::object limits = lim->get_object();
    json::object& req = Obj(res, "requests");
    for (const auto& [k, v] : limits) {
      if (!req.contains(k)) req[k] = v;
    }
  }
}

std::string QosClass(const json::object& spec) {
  bool any = false, guaranteed = true;
  auto scan = [&](const json::value* list) {
    if (list == nullptr || !list->is_array()) return;
    for (const json::value& c : list->get_array()) {
      const json::value* req = api::FindPath(c, "resources.requests");
      const json::value* lim = api::FindPath(c, "resources.limits");
      bool has_req = req && req->is_object() && !req->get_object().empty();
      bool has_lim = lim && lim->is_object() && !lim->get_object().empty();
      if (has_req || has_lim) any = true;
      for (const char* r : {"cpu", "memory"}) {
        const json::value* l = lim && lim->is_object() ? lim->get_object().if_contains(r) : nullptr;
        const json::value* q = req && req->is_object() ? req->get_object().if_contains(r) : nullptr;
        if (l == nullptr || (q != nullptr && *q != *l)) guaranteed = false;
      }
    }
  };
  scan(spec.if_contains("containers"));
  scan(spec.if_contains("initContainers"));
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace

// SetDefaults_PodSpec and the container defaults: for pods and for pod templates.
void DefaultPodSpec(json::object& spec) {
  if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
  if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
  if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
  if (!spec.contains("securityContext")) spec["securityContext"] = json::object();
  for (const char* list : {"containers", "initContainers"}) {
    if (json::value* l = spec.if_contains(list); l != nullptr && l->is_array()) {
      for (json::value& c : l->get_array()) {
        if (c.is_object()) DefaultContainer(c.get_object());
      }
    }
  }
}

namespace {

// SetDefaults_Pod's spec part (scheme defaulting: it applies to every write).
void DefaultPod(json::object& obj) {
  DefaultPodSpec(Obj(obj, "spec"));
  json::object& spec = Obj(obj, "spec");
  if (!spec.contains("enableServiceLinks")) spec["enableServiceLinks"] = true;
}

}  // namespace

// Whether `obj` is sent to one of Kueue's queues (a non-empty label
// kueue.x-k8s.io/queue-name): such Jobs start suspended and such pods gated, as Kueue's
// webhooks make them.
bool Queued(const json::object& obj) {
  const json::value* l = api::FindPath(obj, "metadata.labels");
  if (l == nullptr || !l->is_object()) return false;
  const json::value* q = l->get_object().if_contains("kueue.x-k8s.io/queue-name");
  return q != nullptr && q->is_string() && !q->get_string().empty();
}

namespace {

// What a new pod gets after field tracking: the DefaultTolerationSeconds admission plugin's
// tolerations (not-ready / unreachable nodes for 300 s) and the strategy's initial status.
void PreparePod(json::object& obj) {
  json::object& spec = Obj(obj, "spec");
  json::value& tol = spec["tolerations"];
  if (!tol.is_array()) tol = json::array();
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    bool has = false;
    for (const json::value& t : tol.get_array()) {
      // An empty key (operator Exists) tolerates every taint, as kube's admission counts it.
      std::string_view k = api::StringAt(t, "key");
      if ((k == key || k.empty()) && (api::StringAt(t, "effect").empty() ||
                                      api::StringAt(t, "effect") == "NoExecute")) {
        has = true;
      }
    }
    if (!has) {
      tol.get_array().push_back(json::object{{"key", key}, {"operator", "Exists"},
                                             {"effect", "NoExecute"}, {"tolerationSeconds", 300}});
    }
  }
  // A queued pod waits behind a scheduling gate until the queue controller admits it.
  if (Queued(obj)) {
    json::value& gates = Obj(obj, "spec")["schedulingGates"];
    if (!gates.is_array()) gates = json::array();
    json::object gate{{"name", "kueue.x-k8s.io/admission"}};
    if (std::find(gates.get_array().begin(), gates.get_array().end(), json::value(gate)) ==
        gates.get_array().end()) {
      gates.get_array().push_back(std::move(gate));
    }
  }
  std::string qos = QosClass(Obj(obj, "spec"));
  obj["status"] = json::object{{"phase", "Pending"}, {"qosClass", qos}};
}

// A request above its limit is invalid (ValidateResourceRequirements).
void CheckRequestsWithinLimits(const json::value& container, const std::string& path,
                               std::vector<Cause>& causes) {
  const json::value* req = api::FindPath(container, "resources.requests");
  const json::value* lim = api::FindPath(container, "resources.limits");
  if (req == nullptr || lim == nullptr || !req->is_object() || !lim->is_object()) return;
  for (const auto& [name, rv] : req->get_object()) {
    const json::value* lv = lim->get_object().if_contains(name);
    if (lv == nullptr || !lv->is_string() || !rv.is_string()) continue;
    auto r = api::Quantity::Parse(std::string_view(rv.get_string()));
    auto l = api::Quantity::Parse(std::string_view(lv->get_string()));
    if (r.ok() && l.ok() && *r > *l) {
      std::string_view n(name.data(), name.size());
      causes.push_back({"FieldValueInvalid",
                        base::StrCat("Invalid value: \"", std::string_view(rv.get_string()),
                                     "\": must be less than or equal to ", n, " limit of ",
                                     std::string_view(lv->get_string())),
                        base::StrCat(path, ".resources.requests[", n, "]")});
    }
  }
}

absl::Status ValidatePod(const api::ResourceType& type, const json::object& obj,
                         const std::string& name, std::vector<Cause>& causes) {
  const json::value* containers = api::FindPath(obj, "spec.containers");
  if (containers == nullptr || !containers->is_array() || containers->get_array().empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.containers"});
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (const char* list : {"initContainers", "containers"}) {
    const json::value* l = api::FindPath(obj, base::StrCat("spec.", list));
    if (l == nullptr) continue;
    if (!l->is_array()) {
      return BadRequest(CannotHandle(type, base::StrCat("spec.", list, " must be an array")));
    }
    size_t i = 0;
    for (const json::value& c : l->get_array()) {
      std::string path = base::StrCat("spec.", list, "[", i++, "]");
      if (!c.is_object()) {
        return BadRequest(CannotHandle(type, base::StrCat(path, " must be an object")));
      }
      std::string cname(api::StringAt(c, "name"));
      if (cname.empty()) {
        causes.push_back({"FieldValueRequired", "Required value", path + ".name"});
      } else if (auto st = api::ValidateDns1123Label(cname); !st.ok()) {
        causes.push_back({"FieldValueInvalid",
                          base::StrCat("Invalid value: \"", cname, "\": ", st.message()),
                          path + ".name"});
      } else if (std::find(names.begin(), names.end(), cname) != names.end()) {
        causes.push_back({"FieldValueDuplicate", base::StrCat("Duplicate value: \"", cname, "\""),
                          path + ".name"});
      } else {
        names.push_back(cname);
      }
      if (api::StringAt(c, "image").empty()) {
        causes.push_back({"FieldValueRequired", "Required value", path + ".image"});
      }
      for (const char* r : {"requests", "limits"}) {
        if (auto st = CheckQuantities(type, api::FindPath(c, base::StrCat("resources.", r)),
                                      base::StrCat(path, ".resources.", r));
            !st.ok()) {
          return st;
        }
      }
      CheckRequestsWithinLimits(c, path, causes);
    }
  }
  (void)name;
  return absl::OkStatus();
}

// Secret.stringData is write-only: its entries are merged into data (base64) and it is never
// stored or returned, as in kube-apiserver's Secret conversion.
absl::Status FoldSecretStringData(const api::ResourceType& type, json::object& obj) {
  auto it = obj.find("stringData");
  if (it == obj.end()) return absl::OkStatus();
  if (it->value().is_null()) {
    obj.erase(it);
    return absl::OkStatus();
  }
  if (!it->value().is_object()) {
    return BadRequest(CannotHandle(type, "json: cannot unmarshal into Go struct field "
                                         "Secret.stringData of type map[string]string"));
  }
  json::object string_data = it->value().get_object();
  obj.erase("stringData");
  json::object& data = Obj(obj, "data");
  for (const auto& [k, v] : string_data) {
    if (!v.is_string()) {
      return BadRequest(CannotHandle(type, base::StrCat("json: cannot unmarshal ",
                                                        json::to_string(v.kind()),
                                                        " into Go struct field Secret.stringData "
                                                        "of type string")));
    }
    std::string_view s(v.get_string());
    data[k] = absl::Base64Escape(absl::string_view(s.data(), s.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckBody(const api::ResourceType& type, const RequestInfo& info, json::object& obj,
                       bool is_create) {
  auto api_version = obj.find("apiVersion");
  if (api_version != obj.end()) {
    if (!api_version->value().is_string()) {
      return BadRequest(CannotHandle(type, "apiVersion must be a string"));
    }
    if (api_version->value().get_string() != type.ApiVersion()) {
      return BadRequest(base::StrCat("the API version in the data (",
                                     std::string_view(api_version->value().get_string()),
                                     ") does not match the expected API version (",
                                     type.ApiVersion(), ")"));
    }
  } else {
    obj["apiVersion"] = type.ApiVersion();
  }
  auto kind = obj.find("kind");
  if (kind != obj.end()) {
    if (!kind->value().is_string()) return BadRequest(CannotHandle(type, "kind must be a string"));
    if (kind->value().get_string() != type.kind) {
      return BadRequest(base::StrCat("the kind in the data (",
                                     std::string_view(kind->value().get_string()),
                                     ") does not match the expected kind (", type.kind, ")"));
    }
  } else {
    obj["kind"] = type.kind;
  }
  auto meta_it = obj.find("metadata");
  if (meta_it != obj.end() && !meta_it->value().is_object()) {
    return BadRequest(CannotHandle(type, "metadata must be an object"));
  }
  json::object& meta = Obj(obj, "metadata");
  for (const char* f : {"name", "namespace", "generateName", "resourceVersion", "uid"}) {
    if (meta.contains(f) && !meta[f].is_string() && !meta[f].is_null()) {
      return BadRequest(CannotHandle(
          type, base::StrCat("json: cannot unmarshal ", json::to_string(meta[f].kind()),
                             " into Go struct field ObjectMeta.metadata.", f, " of type string")));
    }
  }
  RETURN_IF_ERROR(CheckStringMap(type, meta, "labels"));
  RETURN_IF_ERROR(CheckStringMap(type, meta, "annotations"));
  std::string ns(api::StringAt(obj, "metadata.namespace"));
  if (type.namespaced) {
    if (ns.empty()) {
      meta["namespace"] = info.ns;
    } else if (ns != info.ns) {
      return BadRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
  } else if (!ns.empty()) {
    meta.erase("namespace");
  }
  if (!is_create) {
    std::string_view name = api::StringAt(obj, "metadata.name");
    if (name.empty()) {
      meta["name"] = info.name;
    } else if (name != info.name) {
      return BadRequest(base::StrCat("the name of the object (", name,
                                     ") does not match the name on the URL (", info.name, ")"));
    }
  }
  return absl::OkStatus();
}

// Adds a cause if the integer at `path` is present and not an integer in [min, max]; with
// `required`, also if it is absent.
void CheckInt(const json::object& obj, std::string_view path, int64_t min, int64_t max,
              bool required, std::vector<Cause>& causes) {
  const json::value* v = api::FindPath(obj, path);
  if (v == nullptr || v->is_null()) {
    if (required) causes.push_back({"FieldValueRequired", "Required value", std::string(path)});
    return;
  }
  if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max) {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: ", json::serialize(*v),
                                   ": must be an integer between ", min, " and ", max),
                      std::string(path)});
  }
}

// Kubernetes reserves values above one billion for the built-in system- classes.
constexpr int64_t kHighestUserPriority = 1000000000;

void ValidatePriorityClass(const json::object& obj, const std::string& name,
                           std::vector<Cause>& causes) {
  bool system = name == "system-cluster-critical" || name == "system-node-critical";
  if (!system && name.rfind("system-", 0) == 0) {
    causes.push_back({"FieldValueForbidden",
                      "Forbidden: priority class names with 'system-' prefix are reserved",
                      "metadata.name"});
  }
  CheckInt(obj, "value", -2147483648LL, system ? 2000001000 : kHighestUserPriority, true,
           causes);
  if (const json::value* g = obj.if_contains("globalDefault"); g != nullptr && !g->is_bool() &&
                                                                !g->is_null()) {
    causes.push_back({"FieldValueInvalid", "Invalid value: must be a boolean", "globalDefault"});
  }
  std::string_view policy = api::StringAt(obj, "preemptionPolicy");
  if (!policy.empty() && policy != "PreemptLowerPriority" && policy != "Never") {
    causes.push_back(
        UnsupportedValue("preemptionPolicy", policy, {"Never", "PreemptLowerPriority"}));
  }
}

void ValidatePodGroup(const json::object& obj, std::vector<Cause>& causes) {
  CheckInt(obj, "spec.minMember", 0, 2147483647, false, causes);
  CheckInt(obj, "spec.scheduleTimeoutSeconds", 0, 2147483647, false, causes);
}

absl::Status Validate(const api::ResourceType& type, const json::object& obj) {
  std::string name(api::StringAt(obj, "metadata.name"));
  std::vector<Cause> causes;
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name"});
  } else {
    absl::Status st = type.plural == "namespaces" ? api::ValidateDns1123Label(name)
                                                  : api::ValidateDns1123Subdomain(name);
    if (!st.ok()) {
      causes.push_back({"FieldValueInvalid",
                        base::StrCat("Invalid value: \"", name, "\": ", st.message()),
                        "metadata.name"});
    }
  }
  if (const json::value* labels = api::FindPath(obj, "metadata.labels");
      labels != nullptr && labels->is_object()) {
    for (const auto& [k, v] : labels->get_object()) {
      std::string_view key(k.data(), k.size());
      if (auto st = api::ValidateLabelKey(key); !st.ok()) {
        causes.push_back({"FieldValueInvalid",
                          base::StrCat("Invalid value: \"", key, "\": ", st.message()),
                          "metadata.labels"});
      }
      std::string_view value = v.is_string() ? std::string_view(v.get_string()) : "";
      if (auto st = api::ValidateLabelValue(value); !st.ok()) {
        causes.push_back({"FieldValueInvalid",
                          base::StrCat("Invalid value: \"", value, "\": ", st.message()),
                          base::StrCat("metadata.labels")});
      }
    }
  }
  if (const json::value* ann = api::FindPath(obj, "metadata.annotations");
      ann != nullptr && ann->is_object()) {
    size_t total = 0;
    for (const auto& [k, v] : ann->get_object()) {
      std::string_view key(k.data(), k.size());
      total += key.size() + (v.is_string() ? v.get_string().size() : 0);
      if (auto st = api::ValidateLabelKey(key); !st.ok()) {
        causes.push_back({"FieldValueInvalid",
                          base::StrCat("Invalid value: \"", key, "\": ", st.message()),
                          "metadata.annotations"});
      }
    }
    if (total > 256 * 1024) {
      causes.push_back({"FieldValueTooLong", "Too long: must have at most 262144 bytes",
                        "metadata.annotations"});
    }
  }
  if (type.custom) {  // custom resources: their schema is checked by the caller
    return causes.empty() ? absl::OkStatus() : Invalid(type.kind, name, causes);
  }
  if (type.plural == "pods") RETURN_IF_ERROR(ValidatePod(type, obj, name, causes));
  if (type.plural == "jobs") ValidateJob(obj, causes);
  if (type.plural == "priorityclasses") ValidatePriorityClass(obj, name, causes);
  if (type.plural == "podgroups") {
    ValidatePodGroup(obj, causes);
    RETURN_IF_ERROR(CheckQuantities(type, api::FindPath(obj, "spec.minResources"),
                                    "spec.minResources"));
  }
  if (type.plural == "customresourcedefinitions") ValidateCrd(obj, causes);
  if (type.plural == "nodes") {
    for (const char* f : {"status.capacity", "status.allocatable"}) {
      RETURN_IF_ERROR(CheckQuantities(type, api::FindPath(obj, f), f));
    }
  }
  if (!causes.empty()) return Invalid(type.kind, name, causes);
  return absl::OkStatus();
}

absl::Status ApplyDefaults(const api::ResourceType& type, json::object& obj) {
  if (type.custom) return absl::OkStatus();
  if (type.group.empty()) {
    if (type.plural == "pods") DefaultPod(obj);
    if (type.plural == "secrets") {
      RETURN_IF_ERROR(FoldSecretStringData(type, obj));
      const json::value* t = obj.if_contains("type");
      if (t == nullptr || (t->is_string() && t->get_string().empty())) obj["type"] = "Opaque";
    }
    if (type.plural == "namespaces") {
      std::string name(api::StringAt(obj, "metadata.name"));
      if (!name.empty()) Obj(Obj(obj, "metadata"), "labels")["kubernetes.io/metadata.name"] = name;
    }
  } else if (type.group == "batch" && type.plural == "jobs") {
    DefaultJob(obj);
  } else if (type.plural == "priorityclasses" && !obj.contains("preemptionPolicy")) {
    obj["preemptionPolicy"] = "PreemptLowerPriority";
  }
  return absl::OkStatus();
}

absl::Status PrepareForCreate(const api::ResourceType& type, json::object& obj,
                              const std::string& now) {
  // boost::json::object::erase moves the last member into the hole and inserts may
  // reallocate, so member references are re-fetched after every structural change.
  if (type.has_status && !type.create_keeps_status) obj.erase("status");
  {
    json::object& meta = Obj(obj, "metadata");
    for (const char* f : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "selfLink"}) {
      meta.erase(f);
    }
    if (!type.uses_generation) meta.erase("generation");
  }
  json::object& meta = Obj(obj, "metadata");
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = now;
  if (type.uses_generation) meta["generation"] = 1;
  if (type.custom) return Validate(type, obj);
  if (type.plural == "namespaces") {
    Obj(obj, "spec")["finalizers"] = json::array{"kubernetes"};
    obj["status"] = json::object{{"phase", "Active"}};
  }
  if (type.plural == "nodes") Obj(obj, "spec");  // kube always returns `spec: {}`
  if (type.plural == "pods") PreparePod(obj);
  if (type.plural == "jobs") PrepareJob(obj);
  if (type.plural == "customresourcedefinitions") CompleteCrd(obj, now);
  return Validate(type, obj);
}

// Whether every item of the list `items` (absent: none) is also in the list `in`.
bool AllIn(const json::value* items, const json::value* in) {
  if (items == nullptr || !items->is_array()) return true;
  for (const json::value& item : items->get_array()) {
    if (in == nullptr || !in->is_array() ||
        std::find(in->get_array().begin(), in->get_array().end(), item) ==
            in->get_array().end()) {
      return false;
    }
  }
  return true;
}

// Pod updates may change only the images, activeDeadlineSeconds, tolerations (additions) and
// schedulingGates (removals) of the spec (ValidatePodUpdate).
absl::Status ValidatePodUpdate(const api::ResourceType& type, const json::object& old,
                               const json::object& obj) {
  const json::value* os = old.if_contains("spec");
  const json::value* ns = obj.if_contains("spec");
  if (os == nullptr || ns == nullptr || !os->is_object() || !ns->is_object()) {
    return absl::OkStatus();
  }
  json::object a = os->get_object(), b = ns->get_object();
  for (json::object* spec : {&a, &b}) {
    spec->erase("activeDeadlineSeconds");
    for (const char* list : {"containers", "initContainers"}) {
      if (json::value* l = spec->if_contains(list); l != nullptr && l->is_array()) {
        for (json::value& c : l->get_array()) {
          if (c.is_object()) c.get_object().erase("image");
        }
      }
    }
  }
  // Tolerations may only be added (the old ones must all still be there); scheduling gates
  // may only be removed. While the pod is still gated, its nodeSelector may gain entries
  // (kube's mutable scheduling directives, which Kueue uses to place an admitted pod).
  bool tolerations_ok = AllIn(a.if_contains("tolerations"), b.if_contains("tolerations"));
  bool gates_ok = AllIn(b.if_contains("schedulingGates"), a.if_contains("schedulingGates"));
  const json::value* old_gates = a.if_contains("schedulingGates");
  bool gated = old_gates != nullptr && old_gates->is_array() && !old_gates->get_array().empty();
  bool selector_ok = true;
  if (gated) {
    const json::value* was = a.if_contains("nodeSelector");
    const json::value* now = b.if_contains("nodeSelector");
    if (was != nullptr && was->is_object()) {
      for (const auto& [k, v] : was->get_object()) {
        const json::value* n = now != nullptr && now->is_object()
                                   ? now->get_object().if_contains(k)
                                   : nullptr;
        selector_ok = selector_ok && n != nullptr && *n == v;
      }
    }
  }
  for (json::object* spec : {&a, &b}) {
    spec->erase("tolerations");
    spec->erase("schedulingGates");
    if (gated) spec->erase("nodeSelector");
  }
  if (a == b && tolerations_ok && gates_ok && selector_ok) return absl::OkStatus();
  return Invalid(
      type.kind, api::StringAt(obj, "metadata.name"),
      {{"FieldValueForbidden",
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.schedulingGates` (only removals)",
        "spec"}});
}

absl::Status ValidateUpdate(const api::ResourceType& type, const json::object& old,
                            const json::object& obj, const std::string& subresource) {
  if (type.custom || !subresource.empty()) return absl::OkStatus();
  if (type.group.empty() && type.plural == "pods") return ValidatePodUpdate(type, old, obj);
  if (type.group == "batch" && type.plural == "jobs") return ValidateJobUpdate(type, old, obj);
  return absl::OkStatus();
}

absl::Status PrepareForUpdate(const api::ResourceType& type, const json::object& old,
                              json::object& obj, const std::string& subresource) {
  if (subresource == "status") {
    // Writes to /status change only the status (ResetObjectMetaForStatus + spec reset).
    json::value status = obj.contains("status") ? obj["status"] : json::value(nullptr);
    obj = old;
    if (status.is_null()) {
      obj.erase("status");
    } else {
      obj["status"] = std::move(status);
    }
    Obj(obj, "metadata").erase("resourceVersion");
    return absl::OkStatus();
  }
  json::object& meta = Obj(obj, "metadata");
  const json::value* old_meta_v = old.if_contains("metadata");
  json::object old_meta = old_meta_v && old_meta_v->is_object() ? old_meta_v->get_object()
                                                                : json::object();
  for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "name", "namespace"}) {
    if (old_meta.contains(f)) {
      meta[f] = old_meta[f];
    } else {
      meta.erase(f);
    }
  }
  meta.erase("resourceVersion");
  meta.erase("selfLink");
  if (!type.custom && type.plural == "priorityclasses") {
    const json::value* was = old.if_contains("value");
    const json::value* now = obj.if_contains("value");
    if (was != nullptr && (now == nullptr || *now != *was)) {
      return Invalid(type.kind, api::StringAt(obj, "metadata.name"),
                     {{"FieldValueForbidden", "Forbidden: may not be changed in an update.",
                       "value"}});
    }
  }
  if (type.has_status) {
    // Writes to the main resource ignore status.
    if (old.contains("status")) {
      obj["status"] = old.at("status");
    } else {
      obj.erase("status");
    }
  }
  if (type.uses_generation) {
    json::object a = obj, b = old;
    a.erase("metadata");
    a.erase("status");
    b.erase("metadata");
    b.erase("status");
    int64_t gen = old_meta.contains("generation") && old_meta["generation"].is_int64()
                      ? old_meta["generation"].get_int64()
                      : 1;
    if (a != b) ++gen;
    Obj(obj, "metadata")["generation"] = gen;  // `meta` may have moved (status erase)
  }
  return absl::OkStatus();
}

}  // namespace shoal::apiserver::internal
