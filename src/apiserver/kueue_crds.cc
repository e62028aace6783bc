// The Kueue CRDs as data: a few builders for the OpenAPI shapes Kueue's types use (a
// reference to another object, a resource.Quantity, a list merged by key, a condition...),
// then one function per kind that composes them after the Go type it mirrors. Bounds, enums
// and required fields are Kueue's kubebuilder markers; where Kueue checks a value with a CEL
// rule that an enum expresses (taint effects, toleration operators), the enum stands in for it.
// Patterns and defaults are published as Kueue publishes them, though shoal enforces neither.
#include "apiserver/kueue_crds.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::apiserver {

namespace json = boost::json;

namespace {

using Schema = json::object;
using Props = std::initializer_list<std::pair<std::string_view, Schema>>;
using Names = std::initializer_list<std::string_view>;

constexpr std::string_view kGroup = "kueue.x-k8s.io";

// ClusterQueueReference, ResourceFlavorReference, CohortReference, TopologyReference: the
// name of another object, a DNS subdomain.
constexpr std::string_view kDnsSubdomain =
    R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)";
// A PodSet name: a DNS label.
constexpr std::string_view kDnsLabel = R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)";
// resource.Quantity, as controller-gen writes it.
constexpr std::string_view kQuantity =
    R"(^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+)))"
    R"((([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$)";

// ---- Builders ----

// Adds keywords (bounds, default, list extensions...) to a schema.
Schema With(Schema s, json::object extra) {
  for (json::key_value_pair& kv : extra) s[kv.key()] = std::move(kv.value());
  return s;
}

Schema Doc(Schema s, std::string_view description) {
  s["description"] = description;
  return s;
}

Schema String() { return {{"type", "string"}}; }
Schema Int32() { return {{"type", "integer"}, {"format", "int32"}}; }
Schema Int64() { return {{"type", "integer"}, {"format", "int64"}}; }
Schema Boolean() { return {{"type", "boolean"}}; }
Schema Time() { return {{"type", "string"}, {"format", "date-time"}}; }

Schema Reference() { return {{"type", "string"}, {"maxLength", 253}, {"pattern", kDnsSubdomain}}; }

// An integer or a string such as "36Gi" (shoal checks the JSON type, not the syntax).
Schema Quantity() {
  return {
      {"anyOf", json::array{json::object{{"type", "integer"}}, json::object{{"type", "string"}}}},
      {"pattern", kQuantity},
      {"x-kubernetes-int-or-string", true}};
}

Schema Enum(Names values) {
  json::array allowed;
  for (std::string_view v : values) allowed.emplace_back(v);
  return {{"type", "string"}, {"enum", std::move(allowed)}};
}

Schema Array(Schema items) { return {{"type", "array"}, {"items", std::move(items)}}; }

// A list whose items are told apart by `key` (+listType=map), which each item must have.
Schema MapList(Schema items, std::string_view key) {
  json::value& required = items["required"];
  if (!required.is_array()) required = json::array();
  bool has = false;
  for (const json::value& r : required.get_array()) has = has || r == json::value(key);
  if (!has) required.get_array().emplace_back(key);
  return {{"type", "array"},
          {"items", std::move(items)},
          {"x-kubernetes-list-type", "map"},
          {"x-kubernetes-list-map-keys", json::array{key}}};
}

// map[string]T.
Schema Map(Schema values) {
  return {{"type", "object"}, {"additionalProperties", std::move(values)}};
}

Schema Object(Props properties, Names required = {}) {
  Schema s{{"type", "object"}};
  json::object props;
  for (const auto& [name, schema] : properties) props[name] = schema;
  s["properties"] = std::move(props);
  if (required.size() > 0) {
    json::array req;
    for (std::string_view r : required) req.emplace_back(r);
    s["required"] = std::move(req);
  }
  return s;
}

// Keeps fields the schema does not describe.
Schema Keep(Schema s) {
  s["x-kubernetes-preserve-unknown-fields"] = true;
  return s;
}

// A free-form object.
Schema Open() { return Keep({{"type", "object"}}); }

// ---- Types shared by the kinds ----

Schema Effect() { return Enum({"NoSchedule", "PreferNoSchedule", "NoExecute"}); }

// core/v1 Taint.
Schema Taint() {
  return Object(
      {{"key", String()}, {"value", String()}, {"effect", Effect()}, {"timeAdded", Time()}},
      {"key", "effect"});
}

// core/v1 Toleration, with the operator and effect Kueue's CEL rules allow.
Schema Toleration() {
  return Object({{"key", String()},
                 {"operator", Enum({"Equal", "Exists"})},
                 {"value", String()},
                 {"effect", Effect()},
                 {"tolerationSeconds", Int64()}});
}

// meta/v1 LabelSelector.
Schema LabelSelector() {
  Schema requirement =
      Object({{"key", String()},
              {"operator", String()},
              {"values", With(Array(String()), {{"x-kubernetes-list-type", "atomic"}})}},
             {"key", "operator"});
  return With(Object({{"matchLabels", Map(String())},
                      {"matchExpressions", With(Array(std::move(requirement)),
                                                {{"x-kubernetes-list-type", "atomic"}})}}),
              {{"x-kubernetes-map-type", "atomic"}});
}

// meta/v1 Condition; fields added by later versions are kept.
Schema Conditions() {
  return Doc(MapList(Keep(Object({{"type", String()},
                                  {"status", Enum({"True", "False", "Unknown"})},
                                  {"reason", String()},
                                  {"message", String()},
                                  {"lastTransitionTime", Time()},
                                  {"observedGeneration", Int64()}},
                                 {"type", "status"})),
                     "type"),
             "The latest available observations of the object's state.");
}

Schema StopPolicy() {
  return Doc(With(Enum({"None", "Hold", "HoldAndDrain"}), {{"default", "None"}}),
             "If not None, the queue is inactive: Hold lets admitted workloads finish, "
             "HoldAndDrain evicts them; reservations are cancelled either way.");
}

Schema FairSharing() {
  return Doc(Object({{"weight", With(Quantity(), {{"default", 1}})}}),
             "Properties of the queue when it takes part in fair sharing.");
}

// FlavorUsage (ClusterQueue status) or LocalQueueFlavorUsage (without `borrowed`).
Schema FlavorUsage(bool with_borrowed) {
  Schema resource = Object({{"name", String()}, {"total", Quantity()}});
  if (with_borrowed) resource["properties"].as_object()["borrowed"] = Quantity();
  return MapList(
      Object({{"name", Reference()}, {"resources", MapList(std::move(resource), "name")}},
             {"name", "resources"}),
      "name");
}

// The schema of a kind: TypeMeta, ObjectMeta, spec, and status unless `status` is empty.
Schema Root(std::string_view description, Schema spec, Schema status) {
  Schema root = Doc(Object({{"apiVersion", String()},
                            {"kind", String()},
                            {"metadata", Schema{{"type", "object"}}},
                            {"spec", std::move(spec)}}),
                    description);
  if (!status.empty()) root["properties"].as_object()["status"] = std::move(status);
  return root;
}

// ---- The kinds ----

// Kueue's WorkloadPriorityClass: a priority for queueing and preemption that does not change
// the pods' own priority; `value` and `description` sit at the top level, as in PriorityClass.
Schema WorkloadPriorityClassSchema() {
  return Doc(Object({{"apiVersion", String()},
                     {"kind", String()},
                     {"metadata", Schema{{"type", "object"}}},
                     {"value", Doc(Int32(), "The priority of the workloads that name this "
                                            "class (label kueue.x-k8s.io/priority-class).")},
                     {"description", Doc(String(), "When to use this class.")}},
                    {"value"}),
             "WorkloadPriorityClass: the priority a workload is queued and preempted with.");
}

Schema ResourceFlavorSchema() {
  Schema spec = Object({
      {"nodeLabels",
       Doc(With(Map(String()), {{"maxProperties", 8}, {"x-kubernetes-map-type", "atomic"}}),
           "Labels of the nodes this flavor stands for; a podset assigned the flavor "
           "gets them as node selector.")},
      {"nodeTaints",
       Doc(With(Array(Taint()), {{"maxItems", 8}, {"x-kubernetes-list-type", "atomic"}}),
           "Taints of the nodes this flavor stands for; a podset must tolerate them "
           "to be assigned the flavor.")},
      {"tolerations",
       Doc(With(Array(Toleration()), {{"maxItems", 8}, {"x-kubernetes-list-type", "atomic"}}),
           "Tolerations added to the pods admitted with this flavor.")},
      {"topologyName", Doc(Reference(), "The Topology of a topology-aware flavor.")},
  });
  return Root(
      "ResourceFlavor is a kind of node: the labels, taints and tolerations that quotas "
      "are given for.",
      Doc(std::move(spec), "The desired state of the ResourceFlavor."), Schema());
}

Schema ClusterQueueSchema() {
  Schema quota = Object({{"name", String()},
                         {"nominalQuota", Doc(Quantity(),
                                              "The quantity of the resource available "
                                              "to workloads admitted by this queue.")},
                         {"borrowingLimit", Doc(Quantity(),
                                                "How much more the queue may borrow "
                                                "from its cohort; none means no limit.")},
                         {"lendingLimit", Doc(Quantity(),
                                              "How much of the unused quota the queue "
                                              "may lend to its cohort.")}},
                        {"name", "nominalQuota"});
  Schema flavor = Object(
      {{"name", Reference()},
       {"resources", With(MapList(std::move(quota), "name"), {{"minItems", 1}, {"maxItems", 64}})}},
      {"name", "resources"});
  Schema group = Object(
      {{"coveredResources", With(Array(String()), {{"minItems", 1}, {"maxItems", 64}})},
       {"flavors", With(MapList(std::move(flavor), "name"), {{"minItems", 1}, {"maxItems", 64}})}},
      {"coveredResources", "flavors"});
  Schema preemption = With(
      Object(
          {{"reclaimWithinCohort",
            With(Enum({"Never", "LowerPriority", "Any"}), {{"default", "Never"}})},
           {"withinClusterQueue",
            With(Enum({"Never", "LowerPriority", "LowerOrNewerEqualPriority"}),
                 {{"default", "Never"}})},
           {"borrowWithinCohort",
            With(Object({{"policy", With(Enum({"Never", "LowerPriority"}), {{"default", "Never"}})},
                         {"maxPriorityThreshold", Int32()}}),
                 {{"default", json::object()}})}}),
      {{"default", json::object()}});
  Schema fungibility =
      With(Object({{"whenCanBorrow", With(Enum({"MayStopSearch", "TryNextFlavor", "Borrow"}),
                                          {{"default", "MayStopSearch"}})},
                   {"whenCanPreempt", With(Enum({"MayStopSearch", "TryNextFlavor", "Preempt"}),
                                           {{"default", "TryNextFlavor"}})}}),
           {{"default", json::object()}});
  Schema check_strategy =
      Object({{"admissionChecks",
               Array(Object({{"name", String()}, {"onFlavors", Array(Reference())}}, {"name"}))}});
  Schema spec = Object({
      {"resourceGroups",
       Doc(With(Array(std::move(group)), {{"maxItems", 16}, {"x-kubernetes-list-type", "atomic"}}),
           "Groups of resources, each with the flavors that provide quota for them.")},
      {"cohort", Doc(Reference(), "The cohort whose queues borrow unused quota from each other.")},
      {"queueingStrategy",
       Doc(With(Enum({"StrictFIFO", "BestEffortFIFO"}), {{"default", "BestEffortFIFO"}}),
           "StrictFIFO: an older workload that does not fit blocks newer ones; BestEffortFIFO: "
           "it does not.")},
      {"namespaceSelector", Doc(LabelSelector(),
                                "The namespaces allowed to submit workloads; "
                                "{} selects all, none selects none.")},
      {"flavorFungibility", std::move(fungibility)},
      {"preemption", Doc(std::move(preemption), "The preemption policies.")},
      {"admissionChecks", Array(String())},
      {"admissionChecksStrategy", std::move(check_strategy)},
      {"stopPolicy", StopPolicy()},
      {"fairSharing", FairSharing()},
  });
  Schema status = Keep(Object({
      {"conditions", Conditions()},
      {"flavorsReservation", Doc(FlavorUsage(true), "Quota reserved, by flavor.")},
      {"flavorsUsage", Doc(FlavorUsage(true), "Quota used by admitted workloads, by flavor.")},
      {"pendingWorkloads", Int32()},
      {"reservingWorkloads", Int32()},
      {"admittedWorkloads", Int32()},
  }));
  return Root(
      "ClusterQueue holds quota, by resource and flavor, and admits the workloads of "
      "the LocalQueues that point to it.",
      Doc(std::move(spec), "The desired state of the ClusterQueue."),
      Doc(std::move(status), "The observed state of the ClusterQueue."));
}

Schema LocalQueueSchema() {
  Schema spec = Object({
      {"clusterQueue", Doc(Reference(), "The ClusterQueue that backs this queue.")},
      {"stopPolicy", StopPolicy()},
      {"fairSharing", FairSharing()},
  });
  Schema status = Keep(Object({
      {"conditions", Conditions()},
      {"pendingWorkloads", Int32()},
      {"reservingWorkloads", Int32()},
      {"admittedWorkloads", Int32()},
      {"flavorsReservation", FlavorUsage(false)},
      {"flavorUsage", FlavorUsage(false)},
  }));
  return Root("LocalQueue is the namespaced queue users submit workloads to.",
              Doc(std::move(spec), "The desired state of the LocalQueue."),
              Doc(std::move(status), "The observed state of the LocalQueue."));
}

Schema WorkloadSchema() {
  Schema topology_request = Object({{"required", String()},
                                    {"preferred", String()},
                                    {"podIndexLabel", String()},
                                    {"subGroupIndexLabel", String()},
                                    {"subGroupCount", Int32()}});
  Schema pod_set = Object(
      {{"name", With(String(), {{"maxLength", 63}, {"pattern", kDnsLabel}, {"default", "main"}})},
       {"template", Doc(Open(), "The pod template (a PodTemplateSpec).")},
       {"count", Doc(With(Int32(), {{"minimum", 0}, {"default", 1}}), "The number of pods.")},
       {"minCount", Doc(With(Int32(), {{"minimum", 1}}),
                        "The fewest pods acceptable under partial admission.")},
       {"topologyRequest", std::move(topology_request)}},
      {"name", "count", "template"});
  Schema spec = Object(
      {{"podSets",
        Doc(With(MapList(std::move(pod_set), "name"), {{"minItems", 1}, {"maxItems", 8}}),
            "Sets of identical pods, each a pod template and a count.")},
       {"queueName", Doc(Reference(), "The LocalQueue the workload is submitted to.")},
       {"priorityClassName", Reference()},
       {"priority", Int32()},
       {"priorityClassSource",
        With(Enum({"kueue.x-k8s.io/workloadpriorityclass", "scheduling.k8s.io/priorityclass", ""}),
             {{"default", ""}})},
       {"active", Doc(With(Boolean(), {{"default", true}}),
                      "Whether the workload may be admitted; false evicts it.")},
       {"maximumExecutionTimeSeconds", With(Int32(), {{"minimum", 1}})}},
      {"podSets"});
  Schema assignment = Object({{"name", String()},
                              {"flavors", Map(Reference())},
                              {"resourceUsage", Map(Quantity())},
                              {"count", With(Int32(), {{"minimum", 0}})},
                              {"topologyAssignment", Open()},
                              {"delayedTopologyRequest", String()}});
  Schema admission = Doc(Object({{"clusterQueue", Reference()},
                                 {"podSetAssignments", MapList(std::move(assignment), "name")}}),
                         "How the workload was admitted: the ClusterQueue and the flavors "
                         "assigned to each podset.");
  Schema status = Keep(Object({
      {"admission", std::move(admission)},
      {"requeueState", Object({{"count", With(Int32(), {{"minimum", 0}})}, {"requeueAt", Time()}})},
      {"conditions", Conditions()},
      {"reclaimablePods",
       MapList(Object({{"name", String()}, {"count", With(Int32(), {{"minimum", 0}})}}, {"count"}),
               "name")},
      {"admissionChecks",
       MapList(Keep(Object({{"name", String()},
                            {"state", Enum({"Pending", "Ready", "Retry", "Rejected"})},
                            {"lastTransitionTime", Time()},
                            {"message", String()}})),
               "name")},
      {"resourceRequests",
       MapList(Object({{"name", String()}, {"resources", Map(Quantity())}}), "name")},
      {"accumulatedPastExexcutionTimeSeconds", Int32()},
  }));
  return Root(
      "Workload is the unit of admission: a job's pods, as sets of identical pods, "
      "queued in a LocalQueue.",
      Doc(std::move(spec), "The desired state of the Workload."),
      Doc(std::move(status), "The observed state of the Workload."));
}

// ---- The definitions ----

json::object Column(std::string_view name, std::string_view type, std::string_view path,
                    std::string_view description, int priority = 0) {
  json::object c{{"name", name}, {"type", type}, {"jsonPath", path}, {"description", description}};
  if (priority != 0) c["priority"] = priority;
  return c;
}

json::object Age(std::string_view description) {
  return Column("Age", "date", ".metadata.creationTimestamp", description);
}

struct Definition {
  std::string_view kind;
  std::string_view plural;
  std::string_view singular;
  bool namespaced;
  Names short_names;
  bool status_subresource;
  json::array columns;
  Schema schema;
};

json::object Crd(const Definition& d) {
  json::array short_names;
  for (std::string_view n : d.short_names) short_names.emplace_back(n);
  json::array versions;
  // Both versions share the schema; with the None conversion only apiVersion changes.
  for (std::string_view version : {"v1beta1", "v1beta2"}) {
    json::object v{{"name", version},
                   {"served", true},
                   {"storage", version == "v1beta1"},
                   {"schema", json::object{{"openAPIV3Schema", d.schema}}},
                   {"additionalPrinterColumns", d.columns}};
    if (d.status_subresource) v["subresources"] = json::object{{"status", json::object()}};
    versions.push_back(std::move(v));
  }
  std::string list_kind = std::string(d.kind) + "List";
  std::string name = std::string(d.plural) + "." + std::string(kGroup);
  return json::object{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", json::object{{"name", name}}},
      {"spec", json::object{{"group", kGroup},
                            {"names", json::object{{"plural", d.plural},
                                                   {"singular", d.singular},
                                                   {"kind", d.kind},
                                                   {"listKind", list_kind},
                                                   {"shortNames", std::move(short_names)},
                                                   {"categories", json::array{"kueue"}}}},
                            {"scope", d.namespaced ? "Namespaced" : "Cluster"},
                            {"versions", std::move(versions)},
                            {"conversion", json::object{{"strategy", "None"}}}}}};
}

}  // namespace

std::vector<json::object> KueueCrds() {
  std::vector<json::object> out;
  out.push_back(Crd({.kind = "ResourceFlavor",
                     .plural = "resourceflavors",
                     .singular = "resourceflavor",
                     .namespaced = false,
                     .short_names = {"flavor", "flavors", "rf"},
                     .status_subresource = false,
                     .columns = {Age("Time this resource flavor was created")},
                     .schema = ResourceFlavorSchema()}));
  out.push_back(
      Crd({.kind = "ClusterQueue",
           .plural = "clusterqueues",
           .singular = "clusterqueue",
           .namespaced = false,
           .short_names = {"cq"},
           .status_subresource = true,
           .columns = {Column("Cohort", "string", ".spec.cohort",
                              "Cohort that this ClusterQueue belongs to"),
                       Column("Strategy", "string", ".spec.queueingStrategy",
                              "The queueing strategy used to prioritize workloads", 1),
                       Column("Pending Workloads", "integer", ".status.pendingWorkloads",
                              "Number of pending workloads"),
                       Column("Admitted Workloads", "integer", ".status.admittedWorkloads",
                              "Number of admitted workloads that haven't finished yet"),
                       // shoal's addition: the usage of the first flavor's first resource
                       // (the GPUs of a GPU queue), and what of it is borrowed.
                       Column("Usage", "string", ".status.flavorsUsage[0].resources[0].total",
                              "Quota in use of the first resource of the first flavor"),
                       Column("Borrowed", "string",
                              ".status.flavorsUsage[0].resources[0].borrowed",
                              "Part of that usage borrowed from the cohort", 1)},
           .schema = ClusterQueueSchema()}));
  out.push_back(Crd(
      {.kind = "LocalQueue",
       .plural = "localqueues",
       .singular = "localqueue",
       .namespaced = true,
       .short_names = {"queue", "queues", "lq"},
       .status_subresource = true,
       .columns = {Column("ClusterQueue", "string", ".spec.clusterQueue", "Backing ClusterQueue"),
                   Column("Pending Workloads", "integer", ".status.pendingWorkloads",
                          "Number of pending workloads"),
                   Column("Admitted Workloads", "integer", ".status.admittedWorkloads",
                          "Number of admitted workloads that haven't finished yet.")},
       .schema = LocalQueueSchema()}));
  // Kueue's JSONPaths, single quotes included (kubectl's JSONPath takes either quote).
  out.push_back(Crd(
      {.kind = "Workload",
       .plural = "workloads",
       .singular = "workload",
       .namespaced = true,
       .short_names = {"wl"},
       .status_subresource = true,
       .columns = {Column("Queue", "string", ".spec.queueName",
                          "Name of the queue this workload was submitted to"),
                   Column("Reserved in", "string", ".status.admission.clusterQueue",
                          "Name of the ClusterQueue where the workload is reserving quota"),
                   Column("Admitted", "string", ".status.conditions[?(@.type=='Admitted')].status",
                          "Admission status"),
                   Column("Finished", "string", ".status.conditions[?(@.type=='Finished')].status",
                          "Workload finished"),
                   Age("Time this workload was created")},
       .schema = WorkloadSchema()}));
  out.push_back(Crd({.kind = "WorkloadPriorityClass",
                     .plural = "workloadpriorityclasses",
                     .singular = "workloadpriorityclass",
                     .namespaced = false,
                     .short_names = {},
                     .status_subresource = false,
                     .columns = {Column("Value", "integer", ".value", "The priority value"),
                                 Age("Time this class was created")},
                     .schema = WorkloadPriorityClassSchema()}));
  return out;
}

}  // namespace shoal::apiserver
