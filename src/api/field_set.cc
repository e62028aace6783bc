#include "api/field_set.h"

#include <algorithm>
#include <utility>

#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Path elements

namespace {

int TypeRank(std::string_view pe) {
  switch (pe.empty() ? '\0' : pe[0]) {
    case 'f': return 0;
    case 'k': return 1;
    case 'v': return 2;
    case 'i': return 3;
    default: return 4;
  }
}

// structured-merge-diff's value.Compare order: floats and ints by value, then strings, bools,
// lists, maps, null.
int ValueRank(const json::value& v) {
  if (v.is_number()) return 0;
  if (v.is_string()) return 1;
  if (v.is_bool()) return 2;
  if (v.is_array()) return 3;
  if (v.is_object()) return 4;
  return 5;
}

int CompareValues(const json::value& a, const json::value& b) {
  int ra = ValueRank(a), rb = ValueRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: {
      if (a.is_double() || b.is_double()) {
        double x = a.to_number<double>(), y = b.to_number<double>();
        return x < y ? -1 : (x > y ? 1 : 0);
      }
      if (a.is_int64() && b.is_int64()) {
        return a.get_int64() < b.get_int64() ? -1 : (a.get_int64() > b.get_int64() ? 1 : 0);
      }
      double x = a.to_number<double>(), y = b.to_number<double>();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case 1: {
      int c = std::string_view(a.get_string()).compare(std::string_view(b.get_string()));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case 2:
      return a.get_bool() == b.get_bool() ? 0 : (a.get_bool() ? 1 : -1);
    case 5:
      return 0;
    default: {
      std::string x = json::serialize(a), y = json::serialize(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
  }
}

json::value ParseOrNull(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  return ec ? json::value() : v;
}

// Compares two serialized JSON texts without parsing when they first differ inside a string
// (the usual case: keys by name or type); false when that cannot be decided this way.
bool FastCompareJson(std::string_view x, std::string_view y, int* out) {
  size_t n = std::min(x.size(), y.size());
  size_t i = 0;
  bool in_string = false;
  for (; i < n && x[i] == y[i]; ++i) {
    if (x[i] == '\\') return false;
    if (x[i] == '"') in_string = !in_string;
  }
  if (i == n || !in_string || x[i] == '\\' || y[i] == '\\') return false;
  // The string that ends first (its closing quote) is the smaller, as Go compares strings.
  if (x[i] == '"') {
    *out = -1;
  } else if (y[i] == '"') {
    *out = 1;
  } else {
    *out = static_cast<unsigned char>(x[i]) < static_cast<unsigned char>(y[i]) ? -1 : 1;
  }
  return true;
}

// Kubernetes' PathElement.Compare on serialized elements.
int ComparePe(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  int ta = TypeRank(a), tb = TypeRank(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  std::string_view x = a.substr(2), y = b.substr(2);
  if (int fast = 0; (ta == 1 || ta == 2) && FastCompareJson(x, y, &fast)) return fast;
  switch (ta) {
    case 0: {
      int c = x.compare(y);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case 1: {  // key field lists: by name, then value, field by field; shorter first
      json::value jx = ParseOrNull(x), jy = ParseOrNull(y);
      if (!jx.is_object() || !jy.is_object()) return x < y ? -1 : 1;
      const json::object& ox = jx.get_object();
      const json::object& oy = jy.get_object();
      auto ix = ox.begin(), iy = oy.begin();
      for (; ix != ox.end() && iy != oy.end(); ++ix, ++iy) {
        int c = std::string_view(ix->key()).compare(std::string_view(iy->key()));
        if (c != 0) return c < 0 ? -1 : 1;
        if (int v = CompareValues(ix->value(), iy->value()); v != 0) return v;
      }
      if (ix == ox.end() && iy == oy.end()) return x < y ? -1 : (x > y ? 1 : 0);
      return ix == ox.end() ? -1 : 1;
    }
    case 2: {
      int c = CompareValues(ParseOrNull(x), ParseOrNull(y));
      if (c != 0) return c;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case 3: {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      return x < y ? -1 : 1;
    }
    default:
      return a < b ? -1 : 1;
  }
}

// Go's %q-like rendering of a key or set value in a printed path.
void AppendValueString(std::string& out, const json::value& v) { out += json::serialize(v); }

void AppendPrinted(std::string& out, std::string_view pe) {
  std::string_view body = pe.substr(std::min<size_t>(2, pe.size()));
  switch (TypeRank(pe)) {
    case 0:
      out += '.';
      out += body;
      return;
    case 1: {
      out += '[';
      json::value k = ParseOrNull(body);
      bool first = true;
      if (k.is_object()) {
        for (const auto& [name, val] : k.get_object()) {
          if (!first) out += ',';
          first = false;
          out += std::string_view(name);
          out += '=';
          AppendValueString(out, val);
        }
      }
      out += ']';
      return;
    }
    case 2:
      out += "[=";
      out += body;
      out += ']';
      return;
    case 3:
      out += '[';
      out += body;
      out += ']';
      return;
    default:
      out += pe;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FieldSet

FieldSet::FieldSet(const FieldSet&) = default;
FieldSet::FieldSet(FieldSet&&) noexcept = default;
FieldSet& FieldSet::operator=(const FieldSet&) = default;
FieldSet& FieldSet::operator=(FieldSet&&) noexcept = default;
FieldSet::~FieldSet() = default;

struct FieldSetOps {
  static std::vector<FieldSet::Node>& Nodes(FieldSet& s) { return s.children_; }
};

namespace {

using Node = FieldSet::Node;

bool NodeLess(const Node& a, const Node& b) { return ComparePe(a.pe, b.pe) < 0; }

void SortNodes(std::vector<Node>& nodes) {
  if (!std::is_sorted(nodes.begin(), nodes.end(), NodeLess)) {
    std::sort(nodes.begin(), nodes.end(), NodeLess);
  }
}

}  // namespace

absl::StatusOr<FieldSet> FieldSet::FromJson(const json::value& fields_v1) {
  const json::object* o = fields_v1.if_object();
  if (o == nullptr) return absl::InvalidArgumentError("fieldsV1 must be a JSON object");
  FieldSet out;
  out.children_.reserve(o->size());
  for (const auto& [k, v] : *o) {
    std::string_view pe(k);
    if (pe == ".") continue;  // the parent's own membership
    if (pe.size() < 2 || pe[1] != ':' || TypeRank(pe) > 3) {
      return absl::InvalidArgumentError(
          base::StrCat("fieldsV1: invalid path element \"", pe, "\""));
    }
    const json::object* child = v.if_object();
    if (child == nullptr) {
      return absl::InvalidArgumentError(
          base::StrCat("fieldsV1: the value of \"", pe, "\" must be a JSON object"));
    }
    Node n;
    n.pe = std::string(pe);
    n.member = child->empty() || child->contains(".");
    ASSIGN_OR_RETURN(n.children, FromJson(v));
    if (!n.member && n.children.empty()) continue;
    out.children_.push_back(std::move(n));
  }
  SortNodes(out.children_);
  // Duplicate elements can only come from equal keys spelled differently; merge them.
  for (size_t i = 1; i < out.children_.size();) {
    if (ComparePe(out.children_[i - 1].pe, out.children_[i].pe) == 0) {
      Node n = std::move(out.children_[i]);
      out.children_.erase(out.children_.begin() + static_cast<std::ptrdiff_t>(i));
      out.children_[i - 1].member |= n.member;
      out.children_[i - 1].children = out.children_[i - 1].children.Union(n.children);
    } else {
      ++i;
    }
  }
  return out;
}

json::object FieldSet::ToJson() const {
  json::object out;
  out.reserve(children_.size());
  for (const Node& n : children_) {
    json::object child = n.children.ToJson();
    if (n.member && !child.empty()) {
      json::object with_self;
      with_self.reserve(child.size() + 1);
      with_self.emplace(".", json::object());
      for (auto& [k, v] : child) with_self.emplace(k, std::move(v));
      child = std::move(with_self);
    }
    out.emplace(n.pe, std::move(child));
  }
  return out;
}

bool FieldSet::operator==(const FieldSet& other) const {
  if (children_.size() != other.children_.size()) return false;
  for (size_t i = 0; i < children_.size(); ++i) {
    const Node& a = children_[i];
    const Node& b = other.children_[i];
    if (a.pe != b.pe || a.member != b.member || !(a.children == b.children)) return false;
  }
  return true;
}

const FieldSet::Node* FieldSet::Find(std::string_view pe) const {
  // Sets are small (tens of elements); a scan avoids parsing keys to compare them.
  for (const Node& n : children_) {
    if (n.pe == pe) return &n;
  }
  return nullptr;
}

void FieldSet::Attach(std::string_view pe, bool member, FieldSet children) {
  if (!member && children.empty()) return;
  for (Node& n : children_) {
    if (n.pe == pe) {
      n.member |= member;
      n.children = n.children.empty() ? std::move(children) : n.children.Union(children);
      return;
    }
  }
  Node n{std::string(pe), member, std::move(children)};
  auto it = std::lower_bound(children_.begin(), children_.end(), n, NodeLess);
  children_.insert(it, std::move(n));
}

void FieldSet::Insert(const std::vector<std::string_view>& elements) {
  if (elements.empty()) return;
  FieldSet* cur = this;
  for (size_t i = 0; i < elements.size(); ++i) {
    bool last = i + 1 == elements.size();
    Node* found = nullptr;
    for (Node& n : cur->children_) {
      if (n.pe == elements[i]) found = &n;
    }
    if (found == nullptr) {
      Node n{std::string(elements[i]), false, {}};
      auto it = std::lower_bound(cur->children_.begin(), cur->children_.end(), n, NodeLess);
      found = &*cur->children_.insert(it, std::move(n));
    }
    if (last) found->member = true;
    cur = &found->children;
  }
}

bool FieldSet::Has(const std::vector<std::string_view>& elements) const {
  const FieldSet* cur = this;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Node* n = cur->Find(elements[i]);
    if (n == nullptr) return false;
    if (i + 1 == elements.size()) return n->member;
    cur = &n->children;
  }
  return false;
}

namespace {

enum class SetOp { kUnion, kDifference, kIntersection, kRecursiveDifference };

FieldSet Combine(const FieldSet& a, const FieldSet& b, SetOp op) {
  FieldSet out;
  std::vector<Node>& o = FieldSetOps::Nodes(out);
  const std::vector<Node>& x = a.nodes();
  const std::vector<Node>& y = b.nodes();
  size_t i = 0, j = 0;
  auto keep = [&](Node n) {
    if (n.member || !n.children.empty()) o.push_back(std::move(n));
  };
  while (i < x.size() || j < y.size()) {
    int c = i >= x.size() ? 1 : (j >= y.size() ? -1 : ComparePe(x[i].pe, y[j].pe));
    if (c < 0) {  // only in a
      if (op != SetOp::kIntersection) o.push_back(x[i]);
      ++i;
    } else if (c > 0) {  // only in b
      if (op == SetOp::kUnion) o.push_back(y[j]);
      ++j;
    } else {
      const Node& p = x[i];
      const Node& q = y[j];
      switch (op) {
        case SetOp::kUnion:
          keep({p.pe, p.member || q.member, Combine(p.children, q.children, op)});
          break;
        case SetOp::kIntersection:
          keep({p.pe, p.member && q.member, Combine(p.children, q.children, op)});
          break;
        case SetOp::kDifference:
          keep({p.pe, p.member && !q.member, Combine(p.children, q.children, op)});
          break;
        case SetOp::kRecursiveDifference:
          if (!q.member) keep({p.pe, p.member, Combine(p.children, q.children, op)});
          break;
      }
      ++i;
      ++j;
    }
  }
  return out;
}

void CollectPaths(const FieldSet& s, std::string& prefix, std::vector<std::string>& out) {
  for (const Node& n : s.nodes()) {
    size_t len = prefix.size();
    AppendPrinted(prefix, n.pe);
    if (n.member) out.push_back(prefix);
    CollectPaths(n.children, prefix, out);
    prefix.resize(len);
  }
}

}  // namespace

FieldSet FieldSet::Union(const FieldSet& other) const {
  if (other.empty()) return *this;
  if (empty()) return other;
  return Combine(*this, other, SetOp::kUnion);
}
FieldSet FieldSet::Difference(const FieldSet& other) const {
  if (other.empty() || empty()) return *this;
  return Combine(*this, other, SetOp::kDifference);
}
FieldSet FieldSet::Intersection(const FieldSet& other) const {
  if (other.empty() || empty()) return FieldSet();
  return Combine(*this, other, SetOp::kIntersection);
}
FieldSet FieldSet::RecursiveDifference(const FieldSet& other) const {
  if (other.empty() || empty()) return *this;
  return Combine(*this, other, SetOp::kRecursiveDifference);
}

std::vector<std::string> FieldSet::Paths() const {
  std::vector<std::string> out;
  std::string prefix;
  CollectPaths(*this, prefix, out);
  return out;
}

namespace internal {
void AppendPrintedPathElement(std::string& out, std::string_view pe) { AppendPrinted(out, pe); }
}  // namespace internal

}  // namespace shoal::api
