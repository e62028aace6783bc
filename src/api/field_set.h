// FieldSet: a set of field paths in Kubernetes' fieldsV1 form, the value type of
// server-side apply's ownership records (api/managed_fields.h). Set algebra, parsing and
// encoding as structured-merge-diff's fieldpath.Set does them.
//
// A value type; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/statusor.h"

namespace shoal::api {

// A set of field paths in Kubernetes' fieldsV1 form. A path element is `f:<field>`,
// `k:<json object of the list-map key fields>`, `v:<json value>` (set-type lists) or `i:<n>`.
// A path is a member when it is owned itself (a leaf, a list item, a map that was added);
// fieldsV1 writes a member with descendants as `".": {}`. Elements are kept sorted as
// Kubernetes sorts them (f < k < v < i; keys and values by value), so ToJson matches
// kube-apiserver byte for byte.
class FieldSet {
 public:
  struct Node;

  FieldSet() = default;
  FieldSet(const FieldSet&);
  FieldSet(FieldSet&&) noexcept;
  FieldSet& operator=(const FieldSet&);
  FieldSet& operator=(FieldSet&&) noexcept;
  ~FieldSet();

  // Parses a fieldsV1 object. InvalidArgument when it is not an object of objects or a path
  // element has an unknown prefix.
  static absl::StatusOr<FieldSet> FromJson(const boost::json::value& fields_v1);
  boost::json::object ToJson() const;

  bool empty() const { return children_.empty(); }
  bool operator==(const FieldSet& other) const;

  // Adds the path made of `elements` ("f:spec", "f:replicas") as a member.
  void Insert(const std::vector<std::string_view>& elements);
  // True when the path is a member.
  bool Has(const std::vector<std::string_view>& elements) const;
  // Adds `pe` under this set (a member or not) with `children` below it; merges with an
  // existing element.
  void Attach(std::string_view pe, bool member, FieldSet children);
  // The element `pe` directly under this set, or nullptr.
  const Node* Find(std::string_view pe) const;

  FieldSet Union(const FieldSet& other) const;
  // Members of this set that `other` lacks (descendants of a member of `other` are kept).
  FieldSet Difference(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  // Like Difference, but everything below a member of `other` is dropped too.
  FieldSet RecursiveDifference(const FieldSet& other) const;

  // Members as Kubernetes prints paths: `.spec.parallelism`,
  // `.spec.containers[name="c"].image`, `.metadata.finalizers[="f"]`, in set order.
  std::vector<std::string> Paths() const;

  const std::vector<Node>& nodes() const { return children_; }

 private:
  friend struct FieldSetOps;
  std::vector<Node> children_;  // sorted by path element
};

struct FieldSet::Node {
  std::string pe;
  bool member = false;
  FieldSet children;
};

namespace internal {
// Appends a path element as Kubernetes prints it in a path (".spec", "[name=\"a\"]", "[=v]",
// "[3]"), for error messages.
void AppendPrintedPathElement(std::string& out, std::string_view pe);
}  // namespace internal

}  // namespace shoal::api
