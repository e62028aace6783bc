// YAML request bodies: kube-apiserver accepts `application/yaml` for creates and updates and
// YAML apply configurations (`application/apply-patch+yaml`); shoal turns them into the JSON
// value the rest of the server works on, resolving plain scalars as Kubernetes' YAML decoder
// (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1 rules) does: `~`/`null`/empty -> null,
// `true`/`yes`/`on`... -> booleans, decimal, hex (0x) and octal (0o, leading 0) integers,
// floats (.inf, .nan become an error: JSON has no such numbers); quoted scalars and `!!str`
// stay strings. Anchors and aliases are expanded; mapping keys become strings.
//
// Built on libyaml (Debian's libyaml-dev). Stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/statusor.h"

namespace shoal::api {

// Parses one YAML document. `duplicate_paths` (may be null) receives the path of each key
// repeated in one mapping (`metadata.name`, `spec.containers[1].image`), as
// ParseJsonWithDuplicates (schema.h) reports them; the last value wins.
// Errors: InvalidArgument naming the line and column (`yaml: line 3, column 5: mapping
// values are not allowed in this context`), for more than one document, for an alias to an
// unknown anchor, and for a NaN or infinite number.
absl::StatusOr<boost::json::value> ParseYaml(std::string_view text,
                                             std::vector<std::string>* duplicate_paths);

}  // namespace shoal::api
