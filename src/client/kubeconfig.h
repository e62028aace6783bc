// Kubeconfig: the few fields of a kubeconfig file that shoal's API clients need (server URL,
// CA, bearer token) for its current context; HttpTransport and HttpsConnection connect with it.
//
// This is a deliberately small reader, not a YAML parser: it understands the block-style
// layout that `shoal server`, kind and kubeadm write (top-level `clusters:`, `users:`,
// `contexts:` lists of `- name: ...` items with nested maps, plain or quoted scalars). Flow
// style, anchors and multi-line scalars are not supported. Stateless; safe from any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "base/strings.h"

namespace shoal::client {

struct Kubeconfig {
  std::string server;  // "https://host:port"
  std::string ca_pem;  // PEM of the CA that signs the serving certificate ("" = system roots)
  std::string token;   // bearer token of the context's user
};

// Parses kubeconfig text. Errors: InvalidArgument naming what is missing or unsupported (no
// current context, a context naming an unknown cluster or user, no token, a bad base64 CA).
absl::StatusOr<Kubeconfig> ParseKubeconfig(base::AnyView text);

// Reads and parses the file at `path`. NotFound if it cannot be read; otherwise as above.
absl::StatusOr<Kubeconfig> ReadKubeconfig(const std::string& path);

}  // namespace shoal::client
