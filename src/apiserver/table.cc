// Server-side printing: meta.k8s.io/v1 Table responses for `kubectl get`, with the columns
// kube-apiserver's printers use (pkg/printers/internalversion) and kubectl's rules for the
// pod STATUS column.
#include <chrono>
#include <ctime>
#include <functional>

#include <boost/json.hpp>

#include "api/labels.h"
#include "api/object.h"
#include "base/clock.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

namespace {

struct Column {
  std::string name;
  std::string description;
  int priority;  // 1 = shown with -o wide only
  std::function<json::value(const json::value& obj, std::chrono::system_clock::time_point now)>
      cell;
  std::string type = "";  // "" = derived from the name (ColumnType)
};

std::chrono::system_clock::time_point ParseTime(std::string_view s) {
  return base::ParseRfc3339(s).value_or(std::chrono::system_clock::time_point{});
}

// k8s.io/apimachinery/pkg/util/duration.HumanDuration.
std::string HumanDuration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60 * 2) return base::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 10) {
    int64_t rs = s % 60;
    return rs == 0 ? base::StrCat(m, "m") : base::StrCat(m, "m", rs, "s");
  }
  if (m < 60 * 3) return base::StrCat(m, "m");
  int64_t h = s / 3600;
  if (h < 8) {
    int64_t rm = m % 60;
    return rm == 0 ? base::StrCat(h, "h") : base::StrCat(h, "h", rm, "m");
  }
  if (h < 48) return base::StrCat(h, "h");
  if (h < 24 * 8) {
    int64_t rh = h % 24;
    return rh == 0 ? base::StrCat(h / 24, "d") : base::StrCat(h / 24, "d", rh, "h");
  }
  if (h < 24 * 365 * 2) return base::StrCat(h / 24, "d");
  if (h < 24 * 365 * 8) {
    int64_t dy = (h / 24) % 365;
    return dy == 0 ? base::StrCat(h / 24 / 365, "y") : base::StrCat(h / 24 / 365, "y", dy, "d");
  }
  return base::StrCat(h / 24 / 365, "y");
}

std::string Since(std::string_view ts, std::chrono::system_clock::time_point now) {
  if (ts.empty()) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - ParseTime(ts)));
}

json::value Age(const json::value& o, std::chrono::system_clock::time_point now) {
  return json::value(Since(api::StringAt(o, "metadata.creationTimestamp"), now));
}

json::value Name(const json::value& o, std::chrono::system_clock::time_point) {
  return json::value(api::StringAt(o, "metadata.name"));
}

const json::array* ArrayAt(const json::value& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

int64_t IntAt(const json::value& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v && v->is_int64() ? v->get_int64() : 0;
}

// kubectl's printPod STATUS rules.
std::string PodStatus(const json::value& pod) {
  std::string reason(api::StringAt(pod, "status.phase"));
  if (std::string_view r = api::StringAt(pod, "status.reason"); !r.empty()) reason = r;
  bool initializing = false;
  if (const json::array* inits = ArrayAt(pod, "status.initContainerStatuses")) {
    size_t n_init = ArrayAt(pod, "spec.initContainers") ? ArrayAt(pod, "spec.initContainers")->size()
                                                        : inits->size();
    for (size_t i = 0; i < inits->size(); ++i) {
      const json::value& c = (*inits)[i];
      const json::value* term = api::FindPath(c, "state.terminated");
      const json::value* wait = api::FindPath(c, "state.waiting");
      if (term && IntAt(c, "state.terminated.exitCode") == 0) continue;
      if (term) {
        std::string_view r = api::StringAt(c, "state.terminated.reason");
        reason = r.empty() ? base::StrCat("Init:ExitCode:", IntAt(c, "state.terminated.exitCode"))
                           : base::StrCat("Init:", r);
      } else if (wait && !api::StringAt(c, "state.waiting.reason").empty() &&
                 api::StringAt(c, "state.waiting.reason") != "PodInitializing") {
        reason = base::StrCat("Init:", api::StringAt(c, "state.waiting.reason"));
      } else {
        reason = base::StrCat("Init:", i, "/", n_init);
      }
      initializing = true;
      break;
    }
  }
  if (!initializing) {
    bool has_running = false;
    if (const json::array* cs = ArrayAt(pod, "status.containerStatuses")) {
      for (auto it = cs->rbegin(); it != cs->rend(); ++it) {
        const json::value& c = *it;
        std::string_view wr = api::StringAt(c, "state.waiting.reason");
        if (!wr.empty()) {
          reason = wr;
        } else if (api::FindPath(c, "state.terminated")) {
          std::string_view tr = api::StringAt(c, "state.terminated.reason");
          if (!tr.empty()) {
            reason = tr;
          } else if (IntAt(c, "state.terminated.signal") != 0) {
            reason = base::StrCat("Signal:", IntAt(c, "state.terminated.signal"));
          } else {
            reason = base::StrCat("ExitCode:", IntAt(c, "state.terminated.exitCode"));
          }
        } else if (api::FindPath(c, "state.running") && c.get_object().contains("ready") &&
                   c.get_object().at("ready").is_bool() && c.get_object().at("ready").get_bool()) {
          has_running = true;
        }
      }
    }
    if (reason == "Completed" && has_running) reason = "Running";
  }
  if (!api::StringAt(pod, "metadata.deletionTimestamp").empty()) {
    reason = reason == "NodeLost" ? "Unknown" : "Terminating";
  }
  return reason;
}

json::value PodReady(const json::value& pod, std::chrono::system_clock::time_point) {
  size_t total = ArrayAt(pod, "spec.containers") ? ArrayAt(pod, "spec.containers")->size() : 0;
  size_t ready = 0;
  if (const json::array* cs = ArrayAt(pod, "status.containerStatuses")) {
    for (const json::value& c : *cs) {
      const json::value* r = api::FindPath(c, "ready");
      if (r && r->is_bool() && r->get_bool()) ++ready;
    }
  }
  return json::value(base::StrCat(ready, "/", total));
}

json::value PodRestarts(const json::value& pod, std::chrono::system_clock::time_point) {
  int64_t restarts = 0;
  if (const json::array* cs = ArrayAt(pod, "status.containerStatuses")) {
    for (const json::value& c : *cs) restarts += IntAt(c, "restartCount");
  }
  return json::value(base::StrCat(restarts));
}

json::value OrNone(std::string_view s) { return json::value(s.empty() ? "<none>" : s); }

std::string NodeStatus(const json::value& node) {
  std::string status = "Unknown";
  if (const json::array* conds = ArrayAt(node, "status.conditions")) {
    for (const json::value& c : *conds) {
      if (api::StringAt(c, "type") == "Ready") {
        status = api::StringAt(c, "status") == "True" ? "Ready" : "NotReady";
      }
    }
  }
  if (api::BoolAt(node, "spec.unschedulable")) status += ",SchedulingDisabled";
  return status;
}

std::string NodeRoles(const json::value& node) {
  std::string roles;
  if (const json::value* labels = api::FindPath(node, "metadata.labels");
      labels && labels->is_object()) {
    constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
    for (const auto& [k, v] : labels->get_object()) {
      std::string_view key(k.data(), k.size());
      if (key.substr(0, kPrefix.size()) == kPrefix && key.size() > kPrefix.size()) {
        if (!roles.empty()) roles += ",";
        roles += key.substr(kPrefix.size());
      }
    }
  }
  return roles.empty() ? "<none>" : roles;
}

std::string NodeAddress(const json::value& node, std::string_view type) {
  if (const json::array* a = ArrayAt(node, "status.addresses")) {
    for (const json::value& addr : *a) {
      if (api::StringAt(addr, "type") == type) return std::string(api::StringAt(addr, "address"));
    }
  }
  return "<none>";
}

size_t MapSize(const json::value& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v && v->is_object() ? v->get_object().size() : 0;
}

constexpr const char* kNameDesc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated.";
constexpr const char* kAgeDesc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created.";

// True if the object has status.conditions[type == `type`] with status "True".
bool ConditionTrue(const json::value& o, std::string_view type) {
  const json::array* cs = ArrayAt(o, "status.conditions");
  if (cs == nullptr) return false;
  for (const json::value& c : *cs) {
    if (api::StringAt(c, "type") == type && api::StringAt(c, "status") == "True") return true;
  }
  return false;
}

// kubectl's job STATUS column.
std::string JobStatus(const json::value& o) {
  for (const char* t : {"Complete", "Failed", "SuccessCriteriaMet", "FailureTarget"}) {
    if (ConditionTrue(o, t)) return t;
  }
  if (ConditionTrue(o, "Suspended")) return "Suspended";
  if (!api::StringAt(o, "metadata.deletionTimestamp").empty()) return "Terminating";
  return "Running";
}

std::string JobCompletions(const json::value& o) {
  int64_t succeeded = IntAt(o, "status.succeeded");
  const json::value* c = api::FindPath(o, "spec.completions");
  if (c != nullptr && c->is_int64()) return base::StrCat(succeeded, "/", c->get_int64());
  return base::StrCat(succeeded, "/1 of ", IntAt(o, "spec.parallelism"));
}

std::string JobDuration(const json::value& o, std::chrono::system_clock::time_point now) {
  std::string_view start = api::StringAt(o, "status.startTime");
  if (start.empty()) return "";
  std::string_view end = api::StringAt(o, "status.completionTime");
  auto until = end.empty() ? now : ParseTime(end);
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(until - ParseTime(start)));
}

// The value at a printer column's JSONPath (".spec.replicas", ".status.conditions[0].type",
// `.status.conditions[?(@.type=="Ready")].status`), or nullptr.
const json::value* JsonPathValue(const json::value& root, std::string_view path) {
  if (!path.empty() && path.front() == '{' && path.back() == '}') {
    path = path.substr(1, path.size() - 2);
  }
  const json::value* cur = &root;
  size_t i = 0;
  while (i < path.size() && cur != nullptr) {
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      std::string_view key = path.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
      cur = cur->is_object() ? cur->get_object().if_contains(key) : nullptr;
      i = end == std::string_view::npos ? path.size() : end;
    } else if (path.substr(i).starts_with("[?(@.")) {
      // A filter, [?(@.field=="value")]: the first list item whose field has that value.
      size_t end = path.find(")]", i);
      if (end == std::string_view::npos) return nullptr;
      std::string_view cond = path.substr(i + 5, end - i - 5);  // field=="value"
      size_t eq = cond.find("==");
      if (eq == std::string_view::npos) return nullptr;
      std::string_view field = cond.substr(0, eq);
      std::string_view want = cond.substr(eq + 2);
      if (want.size() >= 2 && (want.front() == '"' || want.front() == '\'') &&
          want.back() == want.front()) {
        want = want.substr(1, want.size() - 2);
      }
      const json::value* found = nullptr;
      if (cur->is_array()) {
        for (const json::value& item : cur->get_array()) {
          if (api::StringAt(item, field) == want) {
            found = &item;
            break;
          }
        }
      }
      cur = found;
      i = end + 2;
    } else if (path[i] == '[') {
      size_t end = path.find(']', i);
      if (end == std::string_view::npos) return nullptr;
      size_t index = 0;
      for (char c : path.substr(i + 1, end - i - 1)) {
        if (c < '0' || c > '9') return nullptr;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      cur = cur->is_array() && index < cur->get_array().size() ? &cur->get_array()[index]
                                                              : nullptr;
      i = end + 1;
    } else {
      return nullptr;
    }
  }
  return cur;
}

// A cell of a CRD printer column, typed as apiextensions-apiserver's table convertor does.
json::value CustomCell(const api::ResourceType::PrinterColumn& col, const json::value& obj,
                       std::chrono::system_clock::time_point now) {
  const json::value* v = JsonPathValue(obj, col.json_path);
  if (v == nullptr || v->is_null()) return nullptr;
  if (col.type == "date" && v->is_string()) {
    return json::value(HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(
        now - ParseTime(std::string_view(v->get_string())))));
  }
  if (col.type == "string") {
    return v->is_string() ? *v : json::value(json::serialize(*v));
  }
  return *v;
}

std::string JoinContainers(const json::value& job, std::string_view field) {
  std::string out;
  if (const json::array* cs = ArrayAt(job, "spec.template.spec.containers")) {
    for (const json::value& c : *cs) {
      if (!out.empty()) out += ",";
      out += api::StringAt(c, field);
    }
  }
  return out;
}

// metav1.FormatLabelSelector: the selector as api::LabelSelector's canonical text
// (requirements sorted by key), "<none>" when it selects everything or is unreadable.
std::string FormatSelector(const json::value* sel) {
  if (sel == nullptr || !sel->is_object()) return "<none>";
  std::vector<api::LabelRequirement> reqs;
  auto add = [&reqs](std::string key, api::SelectorOperator op, std::vector<std::string> values) {
    auto r = api::LabelRequirement::Create(std::move(key), op, std::move(values));
    if (r.ok()) reqs.push_back(std::move(*r));
  };
  if (const json::value* ml = sel->get_object().if_contains("matchLabels");
      ml != nullptr && ml->is_object()) {
    for (const auto& [k, v] : ml->get_object()) {
      add(std::string(k), api::SelectorOperator::kEquals,
          {v.is_string() ? std::string(v.get_string()) : std::string()});
    }
  }
  if (const json::array* me = ArrayAt(*sel, "matchExpressions")) {
    for (const json::value& e : *me) {
      std::vector<std::string> values;
      if (const json::array* vs = ArrayAt(e, "values")) {
        for (const json::value& v : *vs) {
          if (v.is_string()) values.emplace_back(v.get_string());
        }
      }
      std::string_view op = api::StringAt(e, "operator");
      std::string key(api::StringAt(e, "key"));
      if (op == "In") add(key, api::SelectorOperator::kIn, values);
      else if (op == "NotIn") add(key, api::SelectorOperator::kNotIn, values);
      else if (op == "Exists") add(key, api::SelectorOperator::kExists, {});
      else if (op == "DoesNotExist") add(key, api::SelectorOperator::kDoesNotExist, {});
    }
  }
  std::string out = api::LabelSelector::FromRequirements(std::move(reqs)).String();
  return out.empty() ? "<none>" : out;
}

std::vector<Column> ColumnsFor(const api::ResourceType& type) {
  using TP = std::chrono::system_clock::time_point;
  const std::string& p = type.plural;
  if (type.custom) {
    std::vector<Column> cols{{"Name", kNameDesc, 0, Name}};
    for (const api::ResourceType::PrinterColumn& pc : type.printer_columns) {
      cols.push_back({pc.name, pc.description, pc.priority,
                      [pc](const json::value& o, TP now) { return CustomCell(pc, o, now); },
                      pc.type == "date" ? "date" : pc.type});
    }
    if (type.printer_columns.empty()) cols.push_back({"Age", kAgeDesc, 0, Age});
    return cols;
  }
  if (p == "customresourcedefinitions") {
    return {{"Name", kNameDesc, 0, Name},
            {"Created At", "The time the definition was created.", 0,
             [](const json::value& o, TP) {
               return json::value(api::StringAt(o, "metadata.creationTimestamp"));
             },
             "date"}};
  }
  if (p == "pods") {
    return {
        {"Name", kNameDesc, 0, Name},
        {"Ready", "The aggregate readiness state of this pod for accepting traffic.", 0, PodReady},
        {"Status", "The aggregate status of the containers in this pod.", 0,
         [](const json::value& o, TP) { return json::value(PodStatus(o)); }},
        {"Restarts", "The number of times the containers in this pod have been restarted.", 0,
         PodRestarts},
        {"Age", kAgeDesc, 0, Age},
        {"IP", "IP address allocated to the pod.", 1,
         [](const json::value& o, TP) { return OrNone(api::StringAt(o, "status.podIP")); }},
        {"Node", "The node the pod is bound to.", 1,
         [](const json::value& o, TP) { return OrNone(api::StringAt(o, "spec.nodeName")); }},
        {"Nominated Node", "The node the pod is nominated to run on after preemption.", 1,
         [](const json::value& o, TP) {
           return OrNone(api::StringAt(o, "status.nominatedNodeName"));
         }},
        {"Readiness Gates", "The readiness gates of the pod.", 1,
         [](const json::value& o, TP) {
           const json::array* g = ArrayAt(o, "spec.readinessGates");
           return json::value(g == nullptr || g->empty() ? "<none>"
                                                         : base::StrCat("0/", g->size()));
         }},
    };
  }
  if (p == "nodes") {
    return {
        {"Name", kNameDesc, 0, Name},
        {"Status", "The status of the node", 0,
         [](const json::value& o, TP) { return json::value(NodeStatus(o)); }},
        {"Roles", "The roles of the node", 0,
         [](const json::value& o, TP) { return json::value(NodeRoles(o)); }},
        {"Age", kAgeDesc, 0, Age},
        {"Version", "Kubelet Version reported by the node.", 0,
         [](const json::value& o, TP) {
           return json::value(api::StringAt(o, "status.nodeInfo.kubeletVersion"));
         }},
        {"Internal-IP", "The node's internal address.", 1,
         [](const json::value& o, TP) { return json::value(NodeAddress(o, "InternalIP")); }},
        {"External-IP", "The node's external address.", 1,
         [](const json::value& o, TP) { return json::value(NodeAddress(o, "ExternalIP")); }},
        {"OS-Image", "OS Image reported by the node.", 1,
         [](const json::value& o, TP) {
           return json::value(api::StringAt(o, "status.nodeInfo.osImage"));
         }},
        {"Kernel-Version", "Kernel Version reported by the node.", 1,
         [](const json::value& o, TP) {
           return json::value(api::StringAt(o, "status.nodeInfo.kernelVersion"));
         }},
        {"Container-Runtime", "Container runtime reported by the node.", 1,
         [](const json::value& o, TP) {
           return json::value(api::StringAt(o, "status.nodeInfo.containerRuntimeVersion"));
         }},
    };
  }
  if (p == "namespaces") {
    return {{"Name", kNameDesc, 0, Name},
            {"Status", "The status of the namespace", 0,
             [](const json::value& o, TP) {
               return json::value(api::StringAt(o, "status.phase"));
             }},
            {"Age", kAgeDesc, 0, Age}};
  }
  if (p == "events") {
    return {
        {"Last Seen", "Time of the last occurrence.", 0,
         [](const json::value& o, TP now) {
           std::string_view t = api::StringAt(o, "lastTimestamp");
           if (t.empty()) t = api::StringAt(o, "eventTime");
           if (t.empty()) t = api::StringAt(o, "metadata.creationTimestamp");
           return json::value(Since(t, now));
         }},
        {"Type", "Type of the event.", 0,
         [](const json::value& o, TP) { return json::value(api::StringAt(o, "type")); }},
        {"Reason", "Short reason for the event.", 0,
         [](const json::value& o, TP) { return json::value(api::StringAt(o, "reason")); }},
        {"Object", "The object the event is about.", 0,
         [](const json::value& o, TP) {
           std::string kind(api::StringAt(o, "involvedObject.kind"));
           for (char& c : kind) c = static_cast<char>(std::tolower(c));
           return json::value(base::StrCat(kind, "/", api::StringAt(o, "involvedObject.name")));
         }},
        {"Message", "Message of the event.", 0,
         [](const json::value& o, TP) { return json::value(api::StringAt(o, "message")); }},
    };
  }
  if (p == "configmaps") {
    return {{"Name", kNameDesc, 0, Name},
            {"Data", "Number of data entries.", 0,
             [](const json::value& o, TP) {
               return json::value(static_cast<int64_t>(MapSize(o, "data") + MapSize(o, "binaryData")));
             }},
            {"Age", kAgeDesc, 0, Age}};
  }
  if (p == "secrets") {
    return {{"Name", kNameDesc, 0, Name},
            {"Type", "The type of the secret", 0,
             [](const json::value& o, TP) { return json::value(api::StringAt(o, "type")); }},
            {"Data", "Number of data entries.", 0,
             [](const json::value& o, TP) {
               return json::value(static_cast<int64_t>(MapSize(o, "data")));
             }},
            {"Age", kAgeDesc, 0, Age}};
  }
  if (p == "leases") {
    return {{"Name", kNameDesc, 0, Name},
            {"Holder", "The holder of the lease.", 0,
             [](const json::value& o, TP) {
               return json::value(api::StringAt(o, "spec.holderIdentity"));
             }},
            {"Age", kAgeDesc, 0, Age}};
  }
  if (p == "jobs") {
    return {{"Name", kNameDesc, 0, Name},
            {"Status", "Status of the job.", 0,
             [](const json::value& o, TP) { return json::value(JobStatus(o)); }},
            {"Completions", "The completed pods of the job, out of the desired count.", 0,
             [](const json::value& o, TP) { return json::value(JobCompletions(o)); }},
            {"Duration", "Time the job took (or has taken so far) to complete.", 0,
             [](const json::value& o, TP now) { return json::value(JobDuration(o, now)); }},
            {"Age", kAgeDesc, 0, Age},
            {"Containers", "Names of each container in the template.", 1,
             [](const json::value& o, TP) { return json::value(JoinContainers(o, "name")); }},
            {"Images", "Images referenced by each container in the template.", 1,
             [](const json::value& o, TP) { return json::value(JoinContainers(o, "image")); }},
            {"Selector", "Selector of the pods the job counts.", 1,
             [](const json::value& o, TP) {
               return json::value(FormatSelector(api::FindPath(o, "spec.selector")));
             }}};
  }
  if (p == "priorityclasses") {
    return {{"Name", kNameDesc, 0, Name},
            {"Value", "The priority of the pods of this class.", 0,
             [](const json::value& o, TP) { return json::value(IntAt(o, "value")); }},
            {"Global-Default", "Whether this class is the default for pods without one.", 0,
             [](const json::value& o, TP) {
               return json::value(api::BoolAt(o, "globalDefault"));
             }},
            {"Age", kAgeDesc, 0, Age}};
  }
  if (p == "podgroups") {
    return {{"Name", kNameDesc, 0, Name},
            {"Phase", "The scheduling phase of the gang.", 0,
             [](const json::value& o, TP) { return json::value(api::StringAt(o, "status.phase")); }},
            {"MinMember", "Pods that must be placed together.", 0,
             [](const json::value& o, TP) { return json::value(IntAt(o, "spec.minMember")); }},
            {"Running", "Pods of the gang running.", 0,
             [](const json::value& o, TP) { return json::value(IntAt(o, "status.running")); }},
            {"Age", kAgeDesc, 0, Age}};
  }
  return {{"Name", kNameDesc, 0, Name}, {"Age", kAgeDesc, 0, Age}};
}

const char* ColumnType(std::string_view n) {
  if (n == "Data" || n == "Value" || n == "MinMember" || n == "Running") return "integer";
  if (n == "Global-Default") return "boolean";
  return "string";
}

}  // namespace

bool WantsTable(const Request& req) {
  return req.accept.find("as=Table") != std::string::npos;
}

std::string TableJson(const api::ResourceType& type, const std::vector<ObjectPtr>& items,
                      int64_t rv, const std::string& continue_token, bool with_columns,
                      const std::string& include_object, const base::Clock& clock) {
  std::vector<Column> cols = ColumnsFor(type);
  auto now = clock.Now();
  json::object meta{{"resourceVersion", std::to_string(rv)}};
  if (!continue_token.empty()) meta["continue"] = continue_token;
  json::object table{{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", meta}};
  if (with_columns) {
    json::array defs;
    for (const Column& c : cols) {
      defs.push_back(json::object{{"name", c.name},
                                  {"type", c.type.empty() ? ColumnType(c.name) : c.type},
                                  {"format", c.name == "Name" ? "name" : ""},
                                  {"description", c.description},
                                  {"priority", c.priority}});
    }
    table["columnDefinitions"] = std::move(defs);
  } else {
    table["columnDefinitions"] = nullptr;
  }
  json::array rows;
  for (const ObjectPtr& item : items) {
    auto parsed = api::ParseJson(*item->json);
    if (!parsed.ok()) continue;
    json::array cells;
    for (const Column& c : cols) cells.push_back(c.cell(*parsed, now));
    json::object row{{"cells", std::move(cells)}};
    if (include_object == "Object") {
      row["object"] = *parsed;
    } else if (include_object != "None") {
      const json::value* m = api::FindPath(*parsed, "metadata");
      row["object"] = json::object{{"kind", "PartialObjectMetadata"},
                                   {"apiVersion", "meta.k8s.io/v1"},
                                   {"metadata", m ? *m : json::object()}};
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return json::serialize(table);
}

}  // namespace shoal::apiserver::internal
