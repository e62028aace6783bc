// LoopbackPkiForTest: what a client's tests and benchmarks need to reach a real HttpServer on
// loopback: a PKI made in a fresh temporary directory (removed with this object), the server's
// options (127.0.0.1, a free port, the PKI's serving certificate, its admin token accepted),
// and the kubeconfig that reaches the server once it listens.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "apiserver/http_server.h"
#include "apiserver/pki.h"
#include "base/strings.h"
#include "client/kubeconfig.h"

namespace shoal::client {

class LoopbackPkiForTest {
 public:
  // `name` prefixes the temporary directory. Errors: the directory or the PKI cannot be made.
  static absl::StatusOr<std::unique_ptr<LoopbackPkiForTest>> Create(std::string_view name) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / base::StrCat(name, ".XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return absl::InternalError(base::StrCat("mkdtemp ", tmpl, " failed"));
    }
    auto made = std::unique_ptr<LoopbackPkiForTest>(new LoopbackPkiForTest(tmpl));
    apiserver::PkiOptions options;
    options.data_dir = tmpl;
    absl::StatusOr<apiserver::Pki> pki = apiserver::EnsurePki(options);
    if (!pki.ok()) return pki.status();
    made->pki_ = *std::move(pki);
    return made;
  }
  ~LoopbackPkiForTest() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  LoopbackPkiForTest(const LoopbackPkiForTest&) = delete;
  LoopbackPkiForTest& operator=(const LoopbackPkiForTest&) = delete;

  const apiserver::Pki& pki() const { return pki_; }

  // 127.0.0.1 on a free port with this PKI's serving certificate; the admin token passes.
  apiserver::HttpServerOptions ServerOptions() const {
    apiserver::HttpServerOptions options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    options.cert_path = pki_.server_cert_path;
    options.key_path = pki_.server_key_path;
    options.authenticate = [this](std::string_view token) {
      return apiserver::TokenMatches(token, pki_);
    };
    return options;
  }

  // The kubeconfig of the admin to a server listening on 127.0.0.1:`port`.
  Kubeconfig KubeconfigFor(uint16_t port) const {
    Kubeconfig kc;
    kc.server = base::StrCat("https://127.0.0.1:", port);
    kc.ca_pem = pki_.ca_cert_pem;
    kc.token = pki_.admin_token;
    return kc;
  }

 private:
  explicit LoopbackPkiForTest(std::string dir) : dir_(std::move(dir)) {}

  const std::string dir_;
  apiserver::Pki pki_;
};

}  // namespace shoal::client
