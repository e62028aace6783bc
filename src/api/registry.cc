#include "api/registry.h"

#include <algorithm>
#include <mutex>

namespace shoal::api {

std::string ResourceType::KeyPrefix() const {
  return "/registry/" + (group.empty() ? std::string("core") : group) + "/" + plural + "/";
}

std::string ResourceType::Key(std::string_view ns, std::string_view name) const {
  std::string key = KeyPrefix();
  if (namespaced) {
    key.append(ns);
    key.push_back('/');
  }
  key.append(name);
  return key;
}

const Registry& Registry::Default() {
  static const Registry* registry = [] {
    std::vector<ResourceType> t;
    t.push_back({.group = "", .version = "v1", .kind = "Namespace", .plural = "namespaces",
                 .singular = "namespace", .namespaced = false, .short_names = {"ns"},
                 .has_status = true, .selectable_fields = {"status.phase"}});
    t.push_back({.group = "", .version = "v1", .kind = "Node", .plural = "nodes",
                 .singular = "node", .namespaced = false, .short_names = {"no"},
                 .has_status = true, .create_keeps_status = true,
                 .selectable_fields = {"spec.unschedulable"}});
    t.push_back({.group = "", .version = "v1", .kind = "Pod", .plural = "pods", .singular = "pod",
                 .short_names = {"po"}, .categories = {"all"}, .has_status = true,
                 .has_binding = true, .has_eviction = true,
                 .selectable_fields = {"spec.nodeName", "spec.restartPolicy",
                                       "spec.schedulerName", "spec.serviceAccountName",
                                       "spec.hostNetwork", "status.phase", "status.podIP",
                                       "status.nominatedNodeName"},
                 .index_field = "spec.nodeName"});
    t.push_back({.group = "", .version = "v1", .kind = "Event", .plural = "events",
                 .singular = "event", .short_names = {"ev"},
                 .selectable_fields = {"involvedObject.kind", "involvedObject.namespace",
                                       "involvedObject.name", "involvedObject.uid",
                                       "involvedObject.apiVersion",
                                       "involvedObject.resourceVersion",
                                       "involvedObject.fieldPath", "reason", "reportingComponent",
                                       "source", "type"}});
    t.push_back({.group = "", .version = "v1", .kind = "ConfigMap", .plural = "configmaps",
                 .singular = "configmap", .short_names = {"cm"}});
    t.push_back({.group = "", .version = "v1", .kind = "Secret", .plural = "secrets",
                 .singular = "secret", .selectable_fields = {"type"}});
    t.push_back({.group = "coordination.k8s.io", .version = "v1", .kind = "Lease",
                 .plural = "leases", .singular = "lease"});
    t.push_back({.group = "batch", .version = "v1", .kind = "Job", .plural = "jobs",
                 .singular = "job", .categories = {"all"}, .has_status = true,
                 .uses_generation = true});
    t.push_back({.group = "scheduling.k8s.io", .version = "v1", .kind = "PriorityClass",
                 .plural = "priorityclasses", .singular = "priorityclass", .namespaced = false,
                 .short_names = {"pc"}});
    // The PodGroup of the Kubernetes scheduler-plugins coscheduling plugin (gangs).
    t.push_back({.group = "scheduling.x-k8s.io", .version = "v1alpha1", .kind = "PodGroup",
                 .plural = "podgroups", .singular = "podgroup", .short_names = {"pg", "pgs"},
                 .has_status = true, .uses_generation = true});
    t.push_back({.group = "apiextensions.k8s.io", .version = "v1",
                 .kind = "CustomResourceDefinition", .plural = "customresourcedefinitions",
                 .singular = "customresourcedefinition", .namespaced = false,
                 .short_names = {"crd", "crds"}, .categories = {"api-extensions"},
                 .has_status = true, .uses_generation = true});
    return new Registry(std::move(t));
  }();
  return *registry;
}

Registry::Registry(std::vector<ResourceType> types) {
  for (ResourceType& t : types) Add(std::move(t));
}

Registry::Registry(const Registry& other) {
  for (const ResourceType* t : other.Types()) Add(*t);
}

const ResourceType* Registry::Add(ResourceType type) {
  std::unique_lock lock(mu_);
  ++generation_;
  all_.push_back(std::make_unique<const ResourceType>(std::move(type)));
  const ResourceType* added = all_.back().get();
  for (const ResourceType*& t : served_) {
    if (t->group == added->group && t->version == added->version &&
        t->plural == added->plural) {
      t = added;
      return added;
    }
  }
  served_.push_back(added);
  return added;
}

void Registry::Remove(std::string_view group, std::string_view version,
                      std::string_view plural) {
  std::unique_lock lock(mu_);
  ++generation_;
  std::erase_if(served_, [&](const ResourceType* t) {
    return t->group == group && t->version == version && t->plural == plural;
  });
}

const ResourceType* Registry::Find(std::string_view group, std::string_view version,
                                   std::string_view plural) const {
  std::shared_lock lock(mu_);
  for (const ResourceType* t : served_) {
    if (t->group == group && t->version == version && t->plural == plural) return t;
  }
  return nullptr;
}

const ResourceType* Registry::FindByKey(std::string_view key) const {
  // "/registry/<group>/<plural>/...": compare segments without building strings.
  constexpr std::string_view kRoot = "/registry/";
  if (key.substr(0, kRoot.size()) != kRoot) return nullptr;
  std::string_view rest = key.substr(kRoot.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::string_view group = rest.substr(0, slash);
  if (group == "core") group = "";
  rest = rest.substr(slash + 1);
  std::string_view plural = rest.substr(0, rest.find('/'));
  if (plural.size() == rest.size()) return nullptr;  // no object name after the plural
  std::shared_lock lock(mu_);
  for (const ResourceType* t : served_) {
    if (t->group == group && t->plural == plural) return t;
  }
  return nullptr;
}

uint64_t Registry::generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

std::vector<const ResourceType*> Registry::Types() const {
  std::shared_lock lock(mu_);
  return served_;
}

std::vector<std::string> Registry::Groups() const {
  std::vector<std::string> out;
  for (const ResourceType* t : Types()) {
    if (std::find(out.begin(), out.end(), t->group) == out.end()) out.push_back(t->group);
  }
  return out;
}

std::vector<std::string> Registry::Versions(std::string_view group) const {
  std::vector<std::string> out;
  for (const ResourceType* t : Types()) {
    if (t->group == group && std::find(out.begin(), out.end(), t->version) == out.end()) {
      out.push_back(t->version);
    }
  }
  return out;
}

}  // namespace shoal::api
