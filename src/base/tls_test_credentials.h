// TlsTestCredentials: a self-signed EC certificate for 127.0.0.1 and localhost, made in memory,
// with a server and a client SSL_CTX that trusts it. For tests and benchmarks of TLS code only
// (nothing in the shoal binary includes it). Not thread-safe to construct; the contexts may be
// shared by connections on any thread afterwards.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace shoal::base {

struct TlsTestCredentials {
  TlsTestCredentials() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());

    server = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(server, cert);
    SSL_CTX_use_PrivateKey(server, key);
    client = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client), cert);
    SSL_CTX_set_verify(client, SSL_VERIFY_PEER, nullptr);
  }
  ~TlsTestCredentials() {
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  TlsTestCredentials(const TlsTestCredentials&) = delete;
  TlsTestCredentials& operator=(const TlsTestCredentials&) = delete;

  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  SSL_CTX* server = nullptr;
  SSL_CTX* client = nullptr;
};

}  // namespace shoal::base
