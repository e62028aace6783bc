#include "apiserver/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "base/strings.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"

namespace shoal::apiserver {
namespace {

constexpr int kCaValidityDays = 3650;
constexpr int kServerValidityDays = 365;
// A serving certificate this close to its notAfter is re-issued at start-up.
constexpr int kRenewBeforeDays = 30;
// notBefore is set this far in the past so that a client whose clock is a little behind ours
// still accepts a freshly issued certificate.
constexpr long kBackdateSeconds = 3600;
constexpr size_t kTokenBytes = 32;
constexpr size_t kMinTokenChars = 32;
constexpr off_t kMaxFileBytes = 1 << 20;

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

// ---------------------------------------------------------------------------------------------
// Errors

// Drains this thread's OpenSSL error queue into one line.
std::string OpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error detail" : out;
}

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(base::StrCat(what, ": ", OpenSslErrors()));
}

absl::Status ErrnoError(int err, absl::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(err, base::StrCat(what, " ", path));
}

// ---------------------------------------------------------------------------------------------
// Files

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// NotFound (via errno ENOENT) when the file is absent.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot open", path);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "cannot read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > static_cast<size_t>(kMaxFileBytes)) {
      return absl::DataLossError(base::StrCat(path, ": file is larger than ", kMaxFileBytes,
                                              " bytes; not a credential file"));
    }
  }
  return out;
}

absl::StatusOr<bool> FileExists(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return ErrnoError(errno, "cannot stat", path);
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Writes `data` to a temporary file next to `path` with `mode`, fsyncs it and renames it over
// `path`, so that readers (and a restart after a crash) see the old or the new file, never a
// partial one. The mode is set before any byte is written, so keys are never readable by others.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot create a temporary file for", path);
  absl::Status status = absl::OkStatus();
  if (fchmod(fd.get(), mode) != 0) status = ErrnoError(errno, "cannot chmod", tmp);
  if (status.ok()) status = WriteAll(fd.get(), data, tmp);
  if (status.ok() && fsync(fd.get()) != 0) status = ErrnoError(errno, "cannot fsync", tmp);
  if (status.ok() && close(fd.release()) != 0) status = ErrnoError(errno, "cannot close", tmp);
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError(errno, "cannot rename temporary file to", path);
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename itself durable. Some file systems refuse fsync on a directory; the data is
  // already safe in the file then, so that is not an error.
  std::string dir = std::filesystem::path(path).parent_path().string();
  UniqueFd dfd(open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) fsync(dfd.get());
  return absl::OkStatus();
}

// mkdir -p with `mode` for each directory it creates.
absl::Status MakeDirs(const std::filesystem::path& dir, mode_t mode) {
  std::filesystem::path cur;
  for (const auto& part : dir) {
    cur /= part;
    if (part.empty()) continue;
    if (mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory", cur.string());
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return ErrnoError(errno, "cannot stat", dir.string());
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(base::StrCat(dir.string(), " is not a directory"));
  }
  return absl::OkStatus();
}

// An exclusive flock on `path`, released when destroyed.
absl::StatusOr<std::unique_ptr<UniqueFd>> LockFile(const std::string& path) {
  auto fd = std::make_unique<UniqueFd>(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd->get() < 0) return ErrnoError(errno, "cannot open lock file", path);
  while (flock(fd->get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "cannot lock", path);
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// PEM

// OpenSSL would otherwise prompt on the terminal for the passphrase of an encrypted key.
int NoPassphrase(char*, int, int, void*) { return 0; }

absl::StatusOr<X509Ptr> ParseCert(const std::string& pem, const std::string& path) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!cert) {
    return absl::DataLossError(
        base::StrCat(path, ": not a valid PEM certificate (", OpenSslErrors(), ")"));
  }
  return cert;
}

absl::StatusOr<PkeyPtr> ParseKey(const std::string& pem, const std::string& path) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return absl::DataLossError(
        base::StrCat(path, ": not a valid unencrypted PEM private key (", OpenSslErrors(), ")"));
  }
  return key;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return OpenSslError("BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("PEM_write_bio_X509");
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

absl::StatusOr<X509Ptr> LoadCert(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  return ParseCert(pem, path);
}

absl::StatusOr<PkeyPtr> LoadKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  return ParseKey(pem, path);
}

// ---------------------------------------------------------------------------------------------
// Subject alternative names

struct San {
  bool is_ip = false;
  std::string value;  // IP: 4 or 16 network-order bytes; DNS: lower-case name
  bool operator==(const San&) const = default;
};

std::optional<std::string> ParseIp(absl::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return std::nullopt;
}

// Host names as Go's crypto/x509 and Python's ssl match them: letters, digits, '-', '_', dots
// between non-empty labels, and an optional leading "*." wildcard label.
bool IsValidDnsName(absl::string_view name) {
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  char prev = 0;
  for (char c : name) {
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
              (c == '.' && prev != '.');
    if (!ok) return false;
    prev = c;
  }
  return true;
}

absl::StatusOr<San> ParseSan(absl::string_view text, absl::string_view field) {
  if (std::optional<std::string> ip = ParseIp(text)) return San{true, *std::move(ip)};
  if (!IsValidDnsName(text)) {
    return absl::InvalidArgumentError(
        base::StrCat(field, ": Invalid value: \"", text, "\": not an IP address or DNS name"));
  }
  return San{false, absl::AsciiStrToLower(text)};
}

bool IsUnspecified(const San& san) {
  return san.is_ip &&
         std::all_of(san.value.begin(), san.value.end(), [](char c) { return c == 0; });
}

// The host part of a bind address: "[::1]:6443" -> "::1", "0.0.0.0:6443" -> "0.0.0.0",
// "::1" -> "::1" (an unbracketed IPv6 address has no port).
absl::string_view BindHost(absl::string_view address) {
  if (!address.empty() && address.front() == '[') {
    size_t end = address.find(']');
    return end == absl::string_view::npos ? address : address.substr(1, end - 1);
  }
  if (std::count(address.begin(), address.end(), ':') == 1) {
    return address.substr(0, address.find(':'));
  }
  return address;
}

void AddUnique(std::vector<San>& sans, San san) {
  if (std::find(sans.begin(), sans.end(), san) == sans.end()) sans.push_back(std::move(san));
}

// Every name the serving certificate must cover, in the order they are written to it.
absl::StatusOr<std::vector<San>> NeededSans(const PkiOptions& options) {
  std::vector<San> sans;
  AddUnique(sans, San{false, "localhost"});
  AddUnique(sans, San{true, *ParseIp("127.0.0.1")});
  AddUnique(sans, San{true, *ParseIp("::1")});
  absl::string_view bind = BindHost(options.bind_address);
  if (!bind.empty()) {
    ASSIGN_OR_RETURN(San san, ParseSan(bind, "bind_address"));
    if (!IsUnspecified(san)) AddUnique(sans, std::move(san));
  }
  // The host name is a convenience for clients on other machines; a name that cannot go into a
  // certificate is left out rather than failing the start.
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) {
    absl::StatusOr<San> san = ParseSan(host, "hostname");
    if (san.ok() && !IsUnspecified(*san)) AddUnique(sans, *std::move(san));
  }
  for (size_t i = 0; i < options.extra_sans.size(); ++i) {
    ASSIGN_OR_RETURN(San san, ParseSan(options.extra_sans[i], base::StrCat("extra_sans[", i, "]")));
    AddUnique(sans, std::move(san));
  }
  return sans;
}

std::vector<San> CertSans(X509* cert) {
  std::vector<San> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* s = gn->d.dNSName;
      out.push_back(San{false, absl::AsciiStrToLower(absl::string_view(
                                   reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                   static_cast<size_t>(ASN1_STRING_length(s))))});
    } else if (gn->type == GEN_IPADD) {
      const ASN1_STRING* s = gn->d.iPAddress;
      out.push_back(San{true, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                          static_cast<size_t>(ASN1_STRING_length(s)))});
    }
  }
  return out;
}

absl::Status AddSanExtension(X509* cert, const std::vector<San>& sans) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return OpenSslError("sk_GENERAL_NAME_new_null");
  for (const San& san : sans) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_STRING* value = san.is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    if (gn == nullptr || value == nullptr ||
        ASN1_STRING_set(value, san.value.data(), static_cast<int>(san.value.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_STRING_free(value);
      return OpenSslError("building subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, san.is_ip ? GEN_IPADD : GEN_DNS, value);
    if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      return OpenSslError("building subjectAltName");
    }
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Certificates

absl::StatusOr<PkeyPtr> GenerateKey() {
  ERR_clear_error();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("generating an EC P-256 key");
  return key;
}

// `value` in openssl.cnf syntax; `issuer` may be `cert` itself for a self-signed certificate.
absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(base::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

struct CertSpec {
  const char* common_name;
  int validity_days;
  bool is_ca;
  std::vector<San> sans;  // serving certificates only
  const char* ext_key_usage = "serverAuth";  // leaf certificates: serverAuth or clientAuth
};

// Issues a certificate for `key`, signed by `issuer_key`; `issuer` is the CA certificate, or
// nullptr for a self-signed one. The extensions are those Go's crypto/x509 and OpenSSL's
// X509_V_FLAG_X509_STRICT (Python 3.13's default) require: v3, a positive random serial of at
// most 20 octets, critical basicConstraints and keyUsage, SKID everywhere and AKID.
absl::StatusOr<X509Ptr> IssueCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                  EVP_PKEY* issuer_key, std::time_t now) {
  ERR_clear_error();
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_new");

  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    return OpenSslError("generating a serial number");
  }
  if (BN_is_zero(serial.get())) BN_one(serial.get());
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("setting the serial number");
  }

  std::time_t t = now;
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -kBackdateSeconds, &t) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.validity_days, 0, &t) == nullptr) {
    return OpenSslError("setting the validity period");
  }

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError("setting subject, issuer and public key");
  }

  X509* ext_issuer = issuer ? issuer : cert.get();
  if (spec.is_ca) {
    RETURN_IF_ERROR(
        AddExtension(cert.get(), ext_issuer, NID_basic_constraints, "critical,CA:TRUE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), ext_issuer, NID_key_usage,
                                 "critical,digitalSignature,keyCertSign,cRLSign"));
  } else {
    RETURN_IF_ERROR(
        AddExtension(cert.get(), ext_issuer, NID_basic_constraints, "critical,CA:FALSE"));
    RETURN_IF_ERROR(
        AddExtension(cert.get(), ext_issuer, NID_key_usage, "critical,digitalSignature"));
    RETURN_IF_ERROR(AddExtension(cert.get(), ext_issuer, NID_ext_key_usage, spec.ext_key_usage));
    if (!spec.sans.empty()) RETURN_IF_ERROR(AddSanExtension(cert.get(), spec.sans));
  }
  // The SKID must exist before the AKID: for a self-signed certificate the AKID copies it.
  RETURN_IF_ERROR(AddExtension(cert.get(), ext_issuer, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(
      AddExtension(cert.get(), ext_issuer, NID_authority_key_identifier, "keyid:always"));

  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  return cert;
}

// True when `cert` chains to `ca` for TLS server use at time `now`.
bool VerifiesAgainst(X509* ca, X509* cert, std::time_t now, int purpose) {
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  bool ok = store && ctx && X509_STORE_add_cert(store.get(), ca) == 1 &&
            X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) == 1 &&
            X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1;
  if (ok) {
    X509_STORE_CTX_set_time(ctx.get(), 0, now);
    ok = X509_verify_cert(ctx.get()) == 1;
  }
  ERR_clear_error();
  return ok;
}

// ---------------------------------------------------------------------------------------------
// The pieces of EnsurePki

struct Paths {
  std::string dir, lock, ca_cert, ca_key, server_cert, server_key, token, agent_client_cert,
      agent_client_key;
};

Paths PathsFor(const std::string& data_dir) {
  std::string dir = (std::filesystem::path(data_dir) / "pki").string();
  return Paths{dir,
               dir + "/.lock",
               dir + "/ca.crt",
               dir + "/ca.key",
               dir + "/server.crt",
               dir + "/server.key",
               dir + "/admin.token",
               dir + "/agent-client.crt",
               dir + "/agent-client.key"};
}

struct Ca {
  X509Ptr cert;
  PkeyPtr key;
  bool created = false;
};

// Loads the CA, or creates it when ca.crt is absent. ca.crt is written last, so a ca.key
// without ca.crt is the remains of an interrupted first start, never a CA anyone trusts.
absl::StatusOr<Ca> EnsureCa(const Paths& paths, std::time_t now) {
  ASSIGN_OR_RETURN(bool have_cert, FileExists(paths.ca_cert));
  Ca ca;
  if (have_cert) {
    ASSIGN_OR_RETURN(bool have_key, FileExists(paths.ca_key));
    if (!have_key) {
      return absl::FailedPreconditionError(base::StrCat(
          paths.ca_key, ": missing, but ", paths.ca_cert,
          " exists; restore the key, or remove both to create a new CA (clients must then be "
          "given the new CA)"));
    }
    ASSIGN_OR_RETURN(ca.cert, LoadCert(paths.ca_cert));
    ASSIGN_OR_RETURN(ca.key, LoadKey(paths.ca_key));
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
      ERR_clear_error();
      return absl::DataLossError(
          base::StrCat(paths.ca_key, ": does not match the certificate in ", paths.ca_cert));
    }
    if (X509_cmp_time(X509_get0_notAfter(ca.cert.get()), &now) <= 0) {
      return absl::FailedPreconditionError(base::StrCat(paths.ca_cert,
                                                        ": the CA certificate has expired; remove ",
                                                        paths.dir, " to create new credentials"));
    }
    return ca;
  }
  ASSIGN_OR_RETURN(ca.key, GenerateKey());
  ASSIGN_OR_RETURN(ca.cert, IssueCert(CertSpec{"shoal-ca", kCaValidityDays, true, {}}, ca.key.get(),
                                      nullptr, ca.key.get(), now));
  ASSIGN_OR_RETURN(std::string key_pem, KeyToPem(ca.key.get()));
  ASSIGN_OR_RETURN(std::string cert_pem, CertToPem(ca.cert.get()));
  RETURN_IF_ERROR(WriteFileAtomically(paths.ca_key, key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(paths.ca_cert, cert_pem, 0644));
  ca.created = true;
  return ca;
}

// True when a leaf certificate on disk can be kept: both files exist, the key matches, it
// verifies against the CA, is valid for another kRenewBeforeDays and covers every SAN.
absl::StatusOr<bool> LeafCertUsable(const std::string& cert_path, const std::string& key_path,
                                    const Ca& ca, const std::vector<San>& sans, int purpose,
                                    std::time_t now) {
  if (ca.created) return false;
  ASSIGN_OR_RETURN(bool have_cert, FileExists(cert_path));
  ASSIGN_OR_RETURN(bool have_key, FileExists(key_path));
  if (!have_cert || !have_key) return false;
  ASSIGN_OR_RETURN(X509Ptr cert, LoadCert(cert_path));
  ASSIGN_OR_RETURN(PkeyPtr key, LoadKey(key_path));
  // A mismatch is what a crash between writing server.key and server.crt leaves.
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  if (!VerifiesAgainst(ca.cert.get(), cert.get(), now, purpose)) return false;
  std::time_t renew_at = now + std::time_t{kRenewBeforeDays} * 24 * 3600;
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &renew_at) <= 0) return false;
  std::vector<San> have = CertSans(cert.get());
  for (const San& san : sans) {
    if (std::find(have.begin(), have.end(), san) == have.end()) return false;
  }
  return true;
}

absl::Status IssueLeafCert(const std::string& cert_path, const std::string& key_path,
                           const CertSpec& spec, const Ca& ca, std::time_t now) {
  ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
  ASSIGN_OR_RETURN(X509Ptr cert, IssueCert(spec, key.get(), ca.cert.get(), ca.key.get(), now));
  ASSIGN_OR_RETURN(std::string key_pem, KeyToPem(key.get()));
  ASSIGN_OR_RETURN(std::string cert_pem, CertToPem(cert.get()));
  RETURN_IF_ERROR(WriteFileAtomically(key_path, key_pem, 0600));
  return WriteFileAtomically(cert_path, cert_pem, 0644);
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

absl::StatusOr<std::string> EnsureToken(const std::string& path) {
  ASSIGN_OR_RETURN(bool have, FileExists(path));
  if (have) {
    ASSIGN_OR_RETURN(std::string token, ReadFile(path));
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.size() < kMinTokenChars || !std::all_of(token.begin(), token.end(), IsTokenChar)) {
      return absl::DataLossError(base::StrCat(path, ": not a token (want at least ", kMinTokenChars,
                                              " characters of [A-Za-z0-9_-]); remove it to "
                                              "generate a new one"));
    }
    return token;
  }
  unsigned char bytes[kTokenBytes];
  ERR_clear_error();
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("RAND_bytes");
  std::string token = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  OPENSSL_cleanse(bytes, sizeof(bytes));
  RETURN_IF_ERROR(WriteFileAtomically(path, token + "\n", 0600));
  return token;
}

// ---------------------------------------------------------------------------------------------
// Kubeconfig

std::string Base64(absl::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool HasControlChars(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// A YAML double-quoted scalar; the callers have rejected control characters.
std::string YamlQuote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

absl::StatusOr<Pki> EnsurePki(const PkiOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir: Required value");
  ASSIGN_OR_RETURN(std::vector<San> sans, NeededSans(options));
  const base::Clock& clock = options.clock ? *options.clock : base::RealClock::Get();
  std::time_t now = std::chrono::system_clock::to_time_t(clock.Now());

  Paths paths = PathsFor(options.data_dir);
  RETURN_IF_ERROR(MakeDirs(options.data_dir, 0700));
  RETURN_IF_ERROR(MakeDirs(paths.dir, 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<UniqueFd> lock, LockFile(paths.lock));

  ASSIGN_OR_RETURN(Ca ca, EnsureCa(paths, now));
  ASSIGN_OR_RETURN(bool usable,
                   LeafCertUsable(paths.server_cert, paths.server_key, ca, sans,
                                  X509_PURPOSE_SSL_SERVER, now));
  if (!usable) {
    RETURN_IF_ERROR(IssueLeafCert(paths.server_cert, paths.server_key,
                                  CertSpec{"shoal-apiserver", kServerValidityDays, false, sans},
                                  ca, now));
  }
  ASSIGN_OR_RETURN(usable,
                   LeafCertUsable(paths.agent_client_cert, paths.agent_client_key, ca, {},
                                  X509_PURPOSE_SSL_CLIENT, now));
  if (!usable) {
    RETURN_IF_ERROR(IssueLeafCert(
        paths.agent_client_cert, paths.agent_client_key,
        CertSpec{kAgentClientCommonName, kServerValidityDays, false, {}, "clientAuth"}, ca, now));
  }

  Pki pki;
  ASSIGN_OR_RETURN(pki.admin_token, EnsureToken(paths.token));
  ASSIGN_OR_RETURN(pki.ca_cert_pem, CertToPem(ca.cert.get()));
  pki.ca_cert_path = paths.ca_cert;
  pki.server_cert_path = paths.server_cert;
  pki.server_key_path = paths.server_key;
  pki.admin_token_path = paths.token;
  pki.agent_client_cert_path = paths.agent_client_cert;
  pki.agent_client_key_path = paths.agent_client_key;
  return pki;
}

absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                             const Pki& pki) {
  if (server_url.rfind("https://", 0) != 0 || server_url.size() <= 8 ||
      HasControlChars(server_url)) {
    return absl::InvalidArgumentError(base::StrCat(
        "server_url: Invalid value: \"", absl::CEscape(server_url), "\": must be an https:// URL"));
  }
  if (pki.ca_cert_pem.empty()) return absl::InvalidArgumentError("pki.ca_cert_pem: Required value");
  if (pki.admin_token.empty() || HasControlChars(pki.admin_token)) {
    return absl::InvalidArgumentError(
        "pki.admin_token: Invalid value: must be non-empty and printable");
  }
  std::string yaml = base::StrCat(  //
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: shoal\n"
      "  cluster:\n"
      "    server: ",
      YamlQuote(server_url),
      "\n"
      "    certificate-authority-data: ",
      Base64(pki.ca_cert_pem),
      "\n"
      "users:\n"
      "- name: admin\n"
      "  user:\n"
      "    token: ",
      YamlQuote(pki.admin_token),
      "\n"
      "contexts:\n"
      "- name: shoal\n"
      "  context:\n"
      "    cluster: shoal\n"
      "    user: admin\n"
      "current-context: shoal\n"
      "preferences: {}\n");
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) RETURN_IF_ERROR(MakeDirs(parent, 0700));
  return WriteFileAtomically(path, yaml, 0600);
}

bool TokenMatches(std::string_view presented, const Pki& pki) {
  const std::string& want = pki.admin_token;
  if (want.empty() || presented.size() != want.size()) return false;
  return CRYPTO_memcmp(presented.data(), want.data(), want.size()) == 0;
}

}  // namespace shoal::apiserver
