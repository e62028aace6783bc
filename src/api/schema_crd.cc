// Schemas of custom resources, built from a CRD version's openAPIV3Schema (a structural
// schema, as apiextensions-apiserver requires).
#include <algorithm>

#include "api/schema.h"
#include "api/schema_internal.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

namespace internal {
namespace {

constexpr int kMaxDepth = 64;

// Keywords that shape the tree; the rest are kept in extensions for output.
bool IsStructuralKeyword(std::string_view k) {
  static constexpr std::string_view kKeys[] = {"type",
                                               "properties",
                                               "items",
                                               "additionalProperties",
                                               "required",
                                               "description",
                                               "format",
                                               "x-kubernetes-preserve-unknown-fields",
                                               "x-kubernetes-int-or-string",
                                               "nullable",
                                               "x-kubernetes-embedded-resource"};
  return std::find(std::begin(kKeys), std::end(kKeys), k) != std::end(kKeys);
}

}  // namespace

class CrdBuilder {
 public:
  CrdBuilder(SchemaArena* arena, const Schema* object_meta)
      : arena_(arena), object_meta_(object_meta) {}

  absl::StatusOr<Schema*> Build(const json::object& in, std::string& path, int depth) {
    if (depth > kMaxDepth) {
      return Error(path, base::StrCat("nested deeper than ", kMaxDepth, " levels"));
    }
    Schema* s = arena_->New();
    s->enforce_ = true;
    std::string_view type;
    if (const json::value* t = in.if_contains("type")) {
      if (!t->is_string()) return Error(path, "type must be a string");
      type = t->get_string();
    }
    bool int_or_string = BoolAt(in, "x-kubernetes-int-or-string");
    s->preserve_unknown_ = BoolAt(in, "x-kubernetes-preserve-unknown-fields");
    if (int_or_string) {
      s->type_ = SchemaType::kIntOrString;
    } else if (type == "object") {
      s->type_ = SchemaType::kObject;
    } else if (type == "array") {
      s->type_ = SchemaType::kArray;
    } else if (type == "string") {
      s->type_ = SchemaType::kString;
    } else if (type == "integer") {
      s->type_ = SchemaType::kInteger;
    } else if (type == "number") {
      s->type_ = SchemaType::kNumber;
    } else if (type == "boolean") {
      s->type_ = SchemaType::kBoolean;
    } else if (type.empty()) {
      s->type_ = SchemaType::kAny;
    } else {
      return Error(path, base::StrCat("unsupported type \"", type, "\""));
    }
    if (const json::value* d = in.if_contains("description"); d && d->is_string()) {
      s->description_ = std::string(d->get_string());
    }
    if (const json::value* f = in.if_contains("format"); f && f->is_string()) {
      s->format_ = std::string(f->get_string());
    }

    size_t base = path.size();
    if (const json::value* props = in.if_contains("properties")) {
      if (!props->is_object()) return Error(path, "properties must be an object");
      for (const auto& kv : props->get_object()) {
        if (!kv.value().is_object()) {
          return Error(base::StrCat(path, ".properties.", kv.key()), "must be a schema object");
        }
        path.append(".properties.").append(kv.key().data(), kv.key().size());
        ASSIGN_OR_RETURN(Schema * p, Build(kv.value().get_object(), path, depth + 1));
        path.resize(base);
        s->properties_.push_back({std::string(kv.key()), p});
      }
    }
    if (const json::value* items = in.if_contains("items")) {
      if (!items->is_object()) return Error(path, "items must be a schema object");
      path.append(".items");
      ASSIGN_OR_RETURN(s->items_, Build(items->get_object(), path, depth + 1));
      path.resize(base);
    }
    if (const json::value* add = in.if_contains("additionalProperties")) {
      if (add->is_bool()) {
        if (add->get_bool()) {
          Schema* any = arena_->New();
          any->type_ = SchemaType::kAny;
          s->additional_ = any;
        }
      } else if (add->is_object()) {
        path.append(".additionalProperties");
        ASSIGN_OR_RETURN(s->additional_, Build(add->get_object(), path, depth + 1));
        path.resize(base);
      } else {
        return Error(path, "additionalProperties must be a boolean or a schema object");
      }
    }
    if (const json::value* req = in.if_contains("required")) {
      if (!req->is_array()) return Error(path, "required must be an array of strings");
      for (const json::value& r : req->get_array()) {
        if (!r.is_string()) return Error(path, "required must be an array of strings");
        s->required_.emplace_back(r.get_string());
      }
    }
    if (BoolAt(in, "x-kubernetes-embedded-resource")) {
      // An embedded object carries its own apiVersion, kind and metadata.
      s->extensions_["x-kubernetes-embedded-resource"] = true;
      AddTypeMeta(s);
    }
    RETURN_IF_ERROR(Constraints(in, s, path));
    for (const auto& kv : in) {
      if (!IsStructuralKeyword(kv.key())) s->extensions_[kv.key()] = kv.value();
    }
    if (const json::value* n = in.if_contains("nullable"); n && n->is_bool() && n->get_bool()) {
      s->extensions_["nullable"] = true;
    }
    if (s->type_ == SchemaType::kAny && (!s->properties_.empty() || s->additional_ != nullptr)) {
      s->type_ = SchemaType::kObject;
    }
    Sort(s);
    return s;
  }

  // apiVersion and kind (strings) and metadata (ObjectMeta), replacing what the schema says.
  void AddTypeMeta(Schema* s) {
    auto set = [&](std::string_view name, Schema* node) {
      auto it = std::find_if(s->properties_.begin(), s->properties_.end(),
                             [&](const Schema::Property& p) { return p.name == name; });
      if (it != s->properties_.end()) {
        it->schema = node;
      } else {
        s->properties_.push_back({std::string(name), node});
      }
    };
    for (std::string_view name : {"apiVersion", "kind"}) {
      Schema* str = arena_->New();
      str->type_ = SchemaType::kString;
      str->description_ = name == "apiVersion" ? "Version of the schema the object is written in."
                                               : "Kind of the object, in CamelCase.";
      set(name, str);
    }
    Schema* meta = arena_->New();
    meta->ref_ = object_meta_;
    meta->type_ = SchemaType::kObject;
    meta->description_ = "Standard object metadata.";
    set("metadata", meta);
    if (s->type_ == SchemaType::kAny) s->type_ = SchemaType::kObject;
    Sort(s);
  }

 private:
  static absl::Status Error(std::string_view path, std::string_view what) {
    return absl::InvalidArgumentError(base::StrCat("openAPIV3Schema", path, ": ", what));
  }

  static bool BoolAt(const json::object& in, std::string_view key) {
    const json::value* v = in.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
  }

  static void Sort(Schema* s) {
    std::sort(s->properties_.begin(), s->properties_.end(),
              [](const Schema::Property& a, const Schema::Property& b) { return a.name < b.name; });
  }

  absl::Status Constraints(const json::object& in, Schema* s, const std::string& path) {
    auto number = [&](std::string_view key, std::optional<double>* out) -> absl::Status {
      const json::value* v = in.if_contains(key);
      if (v == nullptr) return absl::OkStatus();
      if (!v->is_number()) return Error(path, base::StrCat(key, " must be a number"));
      *out = v->to_number<double>();
      return absl::OkStatus();
    };
    auto count = [&](std::string_view key, std::optional<int64_t>* out) -> absl::Status {
      const json::value* v = in.if_contains(key);
      if (v == nullptr) return absl::OkStatus();
      if (!v->is_int64() && !v->is_uint64()) {
        return Error(path, base::StrCat(key, " must be a non-negative integer"));
      }
      *out = v->is_int64() ? v->get_int64() : static_cast<int64_t>(v->get_uint64());
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(number("minimum", &s->minimum_));
    RETURN_IF_ERROR(number("maximum", &s->maximum_));
    s->exclusive_minimum_ = BoolAt(in, "exclusiveMinimum");
    s->exclusive_maximum_ = BoolAt(in, "exclusiveMaximum");
    RETURN_IF_ERROR(count("minLength", &s->min_length_));
    RETURN_IF_ERROR(count("maxLength", &s->max_length_));
    RETURN_IF_ERROR(count("minItems", &s->min_items_));
    RETURN_IF_ERROR(count("maxItems", &s->max_items_));
    RETURN_IF_ERROR(count("minProperties", &s->min_properties_));
    RETURN_IF_ERROR(count("maxProperties", &s->max_properties_));
    if (const json::value* e = in.if_contains("enum")) {
      if (!e->is_array()) return Error(path, "enum must be an array");
      s->enum_ = e->get_array();
    }
    return absl::OkStatus();
  }

  SchemaArena* arena_;
  const Schema* object_meta_;
};

namespace {

// "stable.example.com" -> "com.example.stable".
std::string ReverseDomain(std::string_view group) {
  std::string out;
  while (!group.empty()) {
    size_t dot = group.rfind('.');
    std::string_view label = dot == std::string_view::npos ? group : group.substr(dot + 1);
    if (!out.empty()) out.push_back('.');
    out.append(label);
    group = dot == std::string_view::npos ? std::string_view() : group.substr(0, dot);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Schema>> SchemaBuilder::FromCrd(const json::object& root,
                                                                     std::string_view group,
                                                                     std::string_view version,
                                                                     std::string_view kind) {
  const SchemaSet& builtin = BuiltinSchemas();
  const Schema* object_meta = builtin.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  auto arena = std::make_shared<SchemaArena>();
  arena->parent = ArenaOf(builtin);
  CrdBuilder builder(arena.get(), object_meta);
  std::string path;
  ASSIGN_OR_RETURN(Schema * top, builder.Build(root, path, 0));
  if (top->type_ != SchemaType::kObject && top->type_ != SchemaType::kAny) {
    return absl::InvalidArgumentError("openAPIV3Schema: type must be object at the root");
  }
  builder.AddTypeMeta(top);
  top->name_ = base::StrCat(ReverseDomain(group), ".", version, ".", kind);
  top->gvks_.push_back({std::string(group), std::string(version), std::string(kind)});
  arena->definitions.emplace(top->name_, top);
  return std::shared_ptr<const Schema>(std::move(arena), top);
}

}  // namespace internal

absl::StatusOr<std::shared_ptr<const Schema>> SchemaFromCrd(const json::object& open_api_v3_schema,
                                                            std::string_view group,
                                                            std::string_view version,
                                                            std::string_view kind) {
  return internal::SchemaBuilder::FromCrd(open_api_v3_schema, group, version, kind);
}

}  // namespace shoal::api
