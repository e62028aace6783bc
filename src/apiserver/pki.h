// Pki: the API server's credentials, kept in <data_dir>/pki/.
//
//   ca.crt, ca.key          self-signed CA (EC P-256, CN "shoal-ca", 10 years)
//   server.crt, server.key  serving certificate signed by the CA (CN "shoal-apiserver", serverAuth,
//                           1 year, SANs: localhost, 127.0.0.1, ::1, bind address, host name,
//                           extra SANs)
//   admin.token             bearer token of the "admin" user (64 hex characters)
//   agent-client.crt, .key  client certificate (CN kAgentClientCommonName, clientAuth) with
//                           which the API server calls node agents (pods/log); agents accept
//                           only it, verified against ca.crt
//
// EnsurePki creates what is missing on the first start and loads it on later starts; when the
// serving certificate no longer covers the needed names, is close to expiry, or was not issued
// by the CA, it is re-issued from the same CA, so that existing kubeconfigs stay valid. Keys
// and the token are mode 0600; every file is written atomically (temp file + rename).
//
// Threading: the functions are thread-safe. EnsurePki takes an exclusive flock on
// <data_dir>/pki/.lock, so concurrent callers (threads or processes) on one data_dir are
// serialized. A Pki is a plain value owned by the caller.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"

namespace shoal::apiserver {

struct PkiOptions {
  // Directory holding the server's state; credentials go to data_dir/pki/ (created, 0700).
  std::string data_dir;
  // Address the server listens on: an IP ("10.0.0.5", "::1", "[::1]") or a host name. A
  // trailing ":port" is ignored. Unspecified addresses (0.0.0.0, ::) and "" add no SAN.
  std::string bind_address;
  // Further SANs for the serving certificate: IPs become IP SANs, anything else a DNS SAN.
  std::vector<std::string> extra_sans;
  // Time source for validity periods and expiry checks; nullptr means the real clock.
  const base::Clock* clock = nullptr;
};

// The common name of the API server's client certificate towards node agents.
inline constexpr const char* kAgentClientCommonName = "shoal:apiserver-agent-client";

struct Pki {
  std::string ca_cert_pem;       // the CA certificate, PEM (what clients trust)
  std::string ca_cert_path;      // data_dir/pki/ca.crt
  std::string server_cert_path;  // data_dir/pki/server.crt (PEM, leaf only)
  std::string server_key_path;   // data_dir/pki/server.key (PEM PKCS#8, 0600)
  std::string admin_token_path;  // data_dir/pki/admin.token (0600)
  std::string admin_token;       // bearer token of the admin user, 64 hex characters
  std::string agent_client_cert_path;  // data_dir/pki/agent-client.crt
  std::string agent_client_key_path;   // data_dir/pki/agent-client.key (0600)
};

// Creates the CA, serving certificate and admin token under options.data_dir/pki/ on the first
// call and loads them on later calls; re-issues only the serving certificate when it lacks a
// SAN now needed, expires within 30 days, or does not verify against the CA.
// Errors (each message names the file): PermissionDenied/NotFound/FailedPrecondition/Internal
// for directories or files that cannot be created, read or written; DataLoss for a corrupt
// PEM file or token, or a key that does not match its certificate; FailedPrecondition when
// ca.crt exists without ca.key; InvalidArgument for an empty data_dir or a malformed SAN.
[[nodiscard]] absl::StatusOr<Pki> EnsurePki(const PkiOptions& options);

// Writes a kubeconfig (cluster "shoal", user "admin", context "shoal", current-context "shoal")
// with the server URL, the CA as certificate-authority-data and the admin token, usable as is
// by kubectl and the Python kubernetes client. Creates missing parent directories (0700); the
// file is mode 0600 and replaced atomically.
// Errors: InvalidArgument when server_url is not "https://..." or contains control characters,
// or pki has no CA or token; an errno-derived status naming the path when writing fails.
[[nodiscard]] absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                                           const Pki& pki);

// True when `presented` equals pki.admin_token. The comparison takes time independent of where
// the strings differ (only the length may leak). An empty token never matches.
bool TokenMatches(std::string_view presented, const Pki& pki);

}  // namespace shoal::apiserver
