// OpenAPI output: v3 components (what kubectl explain reads) and a swagger 2.0 document, in the
// shapes kube-apiserver publishes.
#include <set>
#include <vector>

#include "api/schema.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

namespace {

enum class Dialect { kV2, kV3 };

// The name of a kind's top-level definition; a schema made without one is named like a CRD's.
std::string DefinitionName(const KindSchema& k) {
  if (!k.schema->Resolved().name().empty()) return k.schema->Resolved().name();
  return base::StrCat(k.gvk.group.empty() ? "io.k8s.api.core" : k.gvk.group, ".", k.gvk.version,
                      ".", k.gvk.kind);
}

class Emitter {
 public:
  explicit Emitter(Dialect d)
      : dialect_(d), prefix_(d == Dialect::kV3 ? "#/components/schemas/" : "#/definitions/") {}

  // Emits every definition reachable from the kinds.
  json::object Definitions(std::span<const KindSchema> kinds) {
    json::object out;
    for (const KindSchema& k : kinds) {
      if (k.schema == nullptr) continue;
      const Schema& root = k.schema->Resolved();
      std::string name = DefinitionName(k);
      json::object& def = Slot(out, name, root);
      // A definition can serve several kinds (DeleteOptions); list only those asked for, once.
      json::array& gvks = def["x-kubernetes-group-version-kind"].is_array()
                              ? def["x-kubernetes-group-version-kind"].get_array()
                              : def["x-kubernetes-group-version-kind"].emplace_array();
      json::object gvk{{"group", k.gvk.group}, {"kind", k.gvk.kind}, {"version", k.gvk.version}};
      bool present = false;
      for (const json::value& g : gvks) present = present || g == gvk;
      if (!present) gvks.push_back(std::move(gvk));
    }
    // Referenced definitions, breadth first; Node() appends what it meets.
    for (size_t i = 0; i < pending_.size(); ++i) {
      const Schema* def = pending_[i];
      if (!out.contains(def->name())) Slot(out, def->name(), *def);
    }
    return out;
  }

 private:
  json::object& Slot(json::object& out, const std::string& name, const Schema& def) {
    json::value& slot = out[name];
    if (!slot.is_object()) slot = Node(def, /*definition=*/true);
    return slot.get_object();
  }

  void Want(const Schema* def) {
    if (seen_.insert(def).second) pending_.push_back(def);
  }

  json::object Ref(const Schema& node) {
    const Schema& def = *node.ref();
    Want(&def);
    std::string target = prefix_ + def.name();
    bool plain = node.description().empty() && node.extensions().empty();
    if (plain) return json::object{{"$ref", target}};
    json::object o;
    if (dialect_ == Dialect::kV3) {
      // OpenAPI 3.0 ignores siblings of $ref; Kubernetes wraps the ref in allOf.
      o["allOf"] = json::array{json::object{{"$ref", target}}};
    } else {
      o["$ref"] = target;
    }
    if (!node.description().empty()) o["description"] = node.description();
    for (const auto& kv : node.extensions()) o[kv.key()] = kv.value();
    return o;
  }

  json::object Node(const Schema& node, bool definition) {
    if (node.ref() != nullptr) return Ref(node);
    json::object o;
    if (!node.description().empty()) o["description"] = node.description();
    switch (node.type()) {
      case SchemaType::kAny:
        break;
      case SchemaType::kObject:
        o["type"] = "object";
        break;
      case SchemaType::kArray:
        o["type"] = "array";
        break;
      case SchemaType::kString:
        o["type"] = "string";
        break;
      case SchemaType::kInteger:
        o["type"] = "integer";
        break;
      case SchemaType::kNumber:
        o["type"] = "number";
        break;
      case SchemaType::kBoolean:
        o["type"] = "boolean";
        break;
      case SchemaType::kIntOrString:
        if (dialect_ == Dialect::kV3) {
          o["oneOf"] =
              json::array{json::object{{"type", "integer"}}, json::object{{"type", "string"}}};
        } else {
          o["type"] = "string";
        }
        if (definition) {
          o["format"] = "int-or-string";
        } else {
          o["x-kubernetes-int-or-string"] = true;
        }
        break;
      case SchemaType::kQuantity:
        if (dialect_ == Dialect::kV3) {
          o["oneOf"] =
              json::array{json::object{{"type", "string"}}, json::object{{"type", "number"}}};
        } else {
          o["type"] = "string";
        }
        break;
    }
    if (!node.format().empty()) o["format"] = node.format();
    if (!node.properties().empty()) {
      json::object props;
      for (const Schema::Property& p : node.properties()) props[p.name] = Node(*p.schema, false);
      o["properties"] = std::move(props);
    }
    if (!node.required().empty()) {
      json::array req;
      for (const std::string& r : node.required()) req.emplace_back(r);
      o["required"] = std::move(req);
    }
    if (node.items() != nullptr) o["items"] = Node(*node.items(), false);
    if (node.additional_properties() != nullptr) {
      o["additionalProperties"] = Node(*node.additional_properties(), false);
    }
    if (node.preserve_unknown_fields()) o["x-kubernetes-preserve-unknown-fields"] = true;
    for (const auto& kv : node.extensions()) o[kv.key()] = kv.value();
    return o;
  }

  Dialect dialect_;
  std::string prefix_;
  std::set<const Schema*> seen_;
  std::vector<const Schema*> pending_;
};

}  // namespace

json::object OpenApiV3Schemas(std::span<const KindSchema> kinds) {
  return Emitter(Dialect::kV3).Definitions(kinds);
}

json::object OpenApiV3Schemas(const SchemaSet& set, std::string_view group,
                              std::string_view version) {
  std::vector<KindSchema> kinds = set.KindsOf(group, version);
  return OpenApiV3Schemas(kinds);
}

json::object OpenApiV2Document(std::span<const KindSchema> kinds) {
  return json::object{
      {"swagger", "2.0"},
      {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
      {"paths", json::object()},
      {"definitions", Emitter(Dialect::kV2).Definitions(kinds)},
  };
}

json::object OpenApiV2Document(const SchemaSet& set) { return OpenApiV2Document(set.kinds()); }

}  // namespace shoal::api
