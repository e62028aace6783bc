// Schema nodes, schema sets, and the parser of the built-in definitions (schema_data.h).
#include "api/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "api/schema_data.h"
#include "api/schema_internal.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

const Schema* Schema::FindProperty(std::string_view name) const {
  auto it = std::lower_bound(properties_.begin(), properties_.end(), name,
                             [](const Property& p, std::string_view n) { return p.name < n; });
  if (it == properties_.end() || it->name != name) return nullptr;
  return it->schema;
}

std::shared_ptr<const Schema> SchemaSet::ForKind(std::string_view group, std::string_view version,
                                                 std::string_view kind) const {
  for (const KindSchema& k : kinds_) {
    if (k.gvk.group == group && k.gvk.version == version && k.gvk.kind == kind) return k.schema;
  }
  return nullptr;
}

const Schema* SchemaSet::Definition(std::string_view name) const {
  auto it = arena_->definitions.find(name);
  return it == arena_->definitions.end() ? nullptr : it->second;
}

std::vector<KindSchema> SchemaSet::KindsOf(std::string_view group, std::string_view version) const {
  std::vector<KindSchema> out;
  for (const KindSchema& k : kinds_) {
    if (k.gvk.group == group && k.gvk.version == version) out.push_back(k);
  }
  return out;
}

namespace internal {
namespace {

constexpr std::string_view kObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

// Splits on `sep`; absl::StrSplit would need absl::string_view, which is not std::string_view
// in Debian's Abseil (see base/strings.h).
std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty = false) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    std::string_view piece = s.substr(0, at);
    if (!piece.empty() || !skip_empty) out.push_back(piece);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

// Parses one definition text after another into one arena. Named types are created on first
// mention (definitions may come after their use, or in another text) and must all be defined
// by the end.
class DefinitionParser {
 public:
  explicit DefinitionParser(SchemaArena* arena) : arena_(arena) {}

  absl::Status Parse(std::string_view text, std::string_view text_name) {
    int line_no = 0;
    for (std::string_view raw : internal::Split(text, '\n')) {
      ++line_no;
      std::string_view line = Trim(raw);
      if (line.empty() || line.front() == '#') continue;
      bool indented = raw.front() == ' ';
      absl::Status st = indented ? Field(line) : TopLevel(line);
      if (!st.ok()) {
        return absl::InvalidArgumentError(
            base::StrCat(text_name, " line ", line_no, ": ", st.message(), ": ", line));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish() {
    for (const auto& [name, node] : arena_->definitions) {
      if (!defined_.contains(name)) {
        return absl::InvalidArgumentError(base::StrCat("type ", name, " is used, not defined"));
      }
      std::sort(
          node->properties_.begin(), node->properties_.end(),
          [](const Schema::Property& a, const Schema::Property& b) { return a.name < b.name; });
      for (size_t i = 1; i < node->properties_.size(); ++i) {
        if (node->properties_[i].name == node->properties_[i - 1].name) {
          return absl::InvalidArgumentError(
              base::StrCat("field ", node->properties_[i].name, " twice in ", name));
        }
      }
      for (const std::string& r : node->required_) {
        if (node->FindProperty(r) == nullptr) {
          return absl::InvalidArgumentError(base::StrCat("required ", r, " not in ", name));
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Line {
    std::vector<std::string_view> words;
    std::string_view description;
  };

  static Line Split(std::string_view line) {
    Line out;
    size_t bar = line.find(" |");
    if (bar != std::string_view::npos) {
      out.description = Trim(line.substr(bar + 2));
      line = line.substr(0, bar);
    }
    for (std::string_view w : internal::Split(line, ' ', true)) {
      out.words.push_back(w);
    }
    return out;
  }

  Schema* Named(std::string_view full_name) {
    auto it = arena_->definitions.find(full_name);
    if (it != arena_->definitions.end()) return it->second;
    Schema* s = arena_->New();
    s->name_ = std::string(full_name);
    s->type_ = SchemaType::kObject;
    arena_->definitions.emplace(s->name_, s);
    return s;
  }

  std::string FullName(std::string_view word) const {
    static const std::map<std::string_view, std::string_view> kAliases = {
        {"meta", "io.k8s.apimachinery.pkg.apis.meta.v1"},
        {"core", "io.k8s.api.core.v1"},
        {"resource", "io.k8s.apimachinery.pkg.api.resource"},
        {"intstr", "io.k8s.apimachinery.pkg.util.intstr"},
        {"runtime", "io.k8s.apimachinery.pkg.runtime"},
    };
    if (word == "Quantity") return "io.k8s.apimachinery.pkg.api.resource.Quantity";
    if (word == "IntOrString") return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    size_t dot = word.find('.');
    if (dot == std::string_view::npos) return base::StrCat(package_, ".", word);
    auto alias = kAliases.find(word.substr(0, dot));
    if (alias != kAliases.end()) return base::StrCat(alias->second, word.substr(dot));
    return std::string(word);
  }

  // A node for a field or element type.
  absl::StatusOr<Schema*> TypeNode(std::string_view word) {
    if (word.empty()) return absl::InvalidArgumentError("missing type");
    Schema* s = arena_->New();
    if (word.starts_with("[]")) {
      s->type_ = SchemaType::kArray;
      auto items = TypeNode(word.substr(2));
      if (!items.ok()) return items.status();
      s->items_ = *items;
      return s;
    }
    if (word.starts_with("{}")) {
      s->type_ = SchemaType::kObject;
      auto values = TypeNode(word.substr(2));
      if (!values.ok()) return values.status();
      s->additional_ = *values;
      return s;
    }
    struct Scalar {
      std::string_view word;
      SchemaType type;
      std::string_view format;
    };
    static constexpr Scalar kScalars[] = {
        {"string", SchemaType::kString, ""},      {"int32", SchemaType::kInteger, "int32"},
        {"int64", SchemaType::kInteger, "int64"}, {"integer", SchemaType::kInteger, ""},
        {"bool", SchemaType::kBoolean, ""},       {"double", SchemaType::kNumber, "double"},
        {"number", SchemaType::kNumber, ""},      {"byte", SchemaType::kString, "byte"},
    };
    for (const Scalar& sc : kScalars) {
      if (word == sc.word) {
        s->type_ = sc.type;
        s->format_ = std::string(sc.format);
        return s;
      }
    }
    if (word == "any") {
      s->type_ = SchemaType::kObject;
      s->preserve_unknown_ = true;
      return s;
    }
    s->ref_ = Named(FullName(word));
    s->type_ = s->ref_->type_;
    return s;
  }

  // Applies `key=value` flags (and bare `req`, `preserve`) to a node. `parent` gets `req`.
  absl::Status Flags(Schema* s, std::span<const std::string_view> words, Schema* parent,
                     std::string_view field) {
    for (std::string_view w : words) {
      size_t eq = w.find('=');
      std::string_view key = w.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : w.substr(eq + 1);
      if (w == "req" && parent != nullptr) {
        parent->required_.emplace_back(field);
      } else if (w == "preserve") {
        s->preserve_unknown_ = true;
      } else if (key == "merge") {
        s->extensions_["x-kubernetes-patch-merge-key"] = value;
      } else if (key == "strategy") {
        s->extensions_["x-kubernetes-patch-strategy"] = value;
      } else if (key == "list") {
        s->extensions_["x-kubernetes-list-type"] = value;
      } else if (key == "map") {
        s->extensions_["x-kubernetes-map-type"] = value;
      } else if (key == "keys" || key == "enum") {
        json::array values;
        for (std::string_view v : internal::Split(value, ',')) values.emplace_back(v);
        s->extensions_[key == "keys" ? "x-kubernetes-list-map-keys" : "enum"] = std::move(values);
      } else if (key == "format") {
        s->format_ = std::string(value);
      } else if (key == "gvk" && parent == nullptr) {
        for (std::string_view g : internal::Split(value, ',')) {
          std::vector<std::string_view> parts = internal::Split(g, '/');
          if (parts.size() != 3) return absl::InvalidArgumentError("gvk is group/version/kind");
          s->gvks_.push_back({std::string(parts[0]), std::string(parts[1]), std::string(parts[2])});
        }
      } else {
        return absl::InvalidArgumentError(base::StrCat("unknown flag ", w));
      }
    }
    return absl::OkStatus();
  }

  absl::Status TopLevel(std::string_view line) {
    Line l = Split(line);
    if (l.words.size() == 2 && l.words[0] == "package") {
      package_ = std::string(l.words[1]);
      current_ = nullptr;
      return absl::OkStatus();
    }
    if (l.words.size() < 2 || l.words[0] != "type") {
      return absl::InvalidArgumentError("expected `type NAME` or `package NAME`");
    }
    if (package_.empty()) return absl::InvalidArgumentError("type before package");
    std::string name = FullName(l.words[1]);
    if (!defined_.insert(name).second) return absl::InvalidArgumentError("defined twice");
    current_ = Named(name);
    current_->description_ = std::string(l.description);
    size_t next = 2;
    if (next < l.words.size() && l.words[next].find('=') == std::string_view::npos) {
      std::string_view base = l.words[next++];
      if (base == "string") {
        current_->type_ = SchemaType::kString;
      } else if (base == "quantity") {
        current_->type_ = SchemaType::kQuantity;
      } else if (base == "int-or-string") {
        current_->type_ = SchemaType::kIntOrString;
      } else if (base == "object") {
        current_->type_ = SchemaType::kObject;
        current_->preserve_unknown_ = true;
      } else {
        return absl::InvalidArgumentError(base::StrCat("unknown base type ", base));
      }
    }
    return Flags(current_, std::span(l.words).subspan(next), nullptr, "");
  }

  absl::Status AddField(std::string_view name, std::string_view type,
                        std::span<const std::string_view> flags, std::string_view description) {
    auto node = TypeNode(type);
    if (!node.ok()) return node.status();
    (*node)->description_ = std::string(description);
    if (absl::Status st = Flags(*node, flags, current_, name); !st.ok()) return st;
    current_->properties_.push_back({std::string(name), *node});
    return absl::OkStatus();
  }

  absl::Status Field(std::string_view line) {
    if (current_ == nullptr) return absl::InvalidArgumentError("field outside a type");
    if (current_->type_ != SchemaType::kObject || current_->preserve_unknown_) {
      return absl::InvalidArgumentError("fields in a scalar or free-form type");
    }
    if (line == "+typemeta") {
      RETURN_IF_ERROR(AddField("apiVersion", "string", {},
                               "Version of the schema the object is written in, e.g. v1 or "
                               "batch/v1. The server converts it as needed."));
      return AddField("kind", "string", {},
                      "Kind of the object, in CamelCase, e.g. Pod. Set by clients; the server "
                      "infers it from the URL when absent.");
    }
    if (line == "+objectmeta") {
      return AddField("metadata", "meta.ObjectMeta", {},
                      "Standard object metadata: name, namespace, labels, annotations, owners.");
    }
    Line l = Split(line);
    if (l.words.size() < 2) return absl::InvalidArgumentError("expected `name type`");
    return AddField(l.words[0], l.words[1], std::span(l.words).subspan(2), l.description);
  }

  SchemaArena* arena_;
  std::string package_;
  Schema* current_ = nullptr;
  std::set<std::string, std::less<>> defined_;
};

absl::StatusOr<std::shared_ptr<const SchemaSet>> SchemaBuilder::ParseDefinitions(
    const std::vector<const char*>& texts) {
  auto arena = std::make_shared<SchemaArena>();
  DefinitionParser parser(arena.get());
  for (size_t i = 0; i < texts.size(); ++i) {
    RETURN_IF_ERROR(parser.Parse(texts[i], base::StrCat("text ", i)));
  }
  RETURN_IF_ERROR(parser.Finish());
  // A reference node copies its definition's type when it is made, which may be before the
  // definition's own line was read; fix them up now that every type is known.
  for (const std::unique_ptr<Schema>& node : arena->nodes) {
    if (node->ref_ != nullptr) node->type_ = node->ref_->type_;
  }
  if (arena->definitions.find(kObjectMeta) == arena->definitions.end()) {
    return absl::InvalidArgumentError("no ObjectMeta definition");
  }
  auto set = std::make_shared<SchemaSet>();
  for (const auto& [name, node] : arena->definitions) {
    for (const GroupVersionKind& gvk : node->gvks_) {
      set->kinds_.push_back({gvk, std::shared_ptr<const Schema>(arena, node)});
    }
  }
  std::stable_sort(set->kinds_.begin(), set->kinds_.end(),
                   [](const KindSchema& a, const KindSchema& b) {
                     return std::tie(a.gvk.group, a.gvk.version, a.gvk.kind) <
                            std::tie(b.gvk.group, b.gvk.version, b.gvk.kind);
                   });
  set->arena_ = std::move(arena);
  return std::shared_ptr<const SchemaSet>(std::move(set));
}

namespace {
const std::shared_ptr<const SchemaSet>& BuiltinSet() {
  static const std::shared_ptr<const SchemaSet>* set = [] {
    auto parsed =
        SchemaBuilder::ParseDefinitions({kSchemaDataMeta, kSchemaDataPodSpec, kSchemaDataVolumes,
                                         kSchemaDataCore, kSchemaDataGroups, kSchemaDataCrd});
    if (!parsed.ok()) {
      // The definitions are compiled in: a parse error is a build defect, not input.
      std::fprintf(stderr, "shoal: built-in schemas: %s\n",
                   std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return new std::shared_ptr<const SchemaSet>(std::move(*parsed));
  }();
  return *set;
}
}  // namespace

std::shared_ptr<const SchemaArena> SchemaBuilder::ArenaOf(const SchemaSet& set) {
  return set.arena_;
}

}  // namespace internal

const SchemaSet& BuiltinSchemas() { return *internal::BuiltinSet(); }

}  // namespace shoal::api
