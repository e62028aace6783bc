#include "apiserver/pki.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "base/strings.h"
#include "base/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::apiserver {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr LoadCert(const std::string& path) {
  std::string pem = ReadAll(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(cert);
}

// X509_verify_cert of `cert` against `ca` as a TLS server certificate, in strict mode (what
// Python 3.13 enables by default). Returns the OpenSSL verify error string, "" when it verifies.
std::string VerifyError(X509* ca, X509* cert, int purpose = X509_PURPOSE_SSL_SERVER) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
  std::string err;
  if (X509_verify_cert(ctx) != 1) {
    err = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  }
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return err;
}

std::string CommonName(X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

bool HasDns(X509* cert, const std::string& name) {
  return X509_check_host(cert, name.c_str(), name.size(), X509_CHECK_FLAG_NO_WILDCARDS, nullptr) ==
         1;
}
bool HasIp(X509* cert, const std::string& ip) {
  return X509_check_ip_asc(cert, ip.c_str(), 0) == 1;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout only
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pki_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    data_dir_ = tmp_ + "/data";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  PkiOptions Options(std::string bind_address = "10.1.2.3") const {
    PkiOptions options;
    options.data_dir = data_dir_;
    options.bind_address = std::move(bind_address);
    options.extra_sans = {"api.example.com", "192.168.7.7"};
    return options;
  }

  std::string PkiFile(const std::string& name) const { return data_dir_ + "/pki/" + name; }

  std::string tmp_;
  std::string data_dir_;
};

TEST_F(PkiTest, CreatesFilesWithPrivateModes) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();

  EXPECT_EQ(pki->ca_cert_path, PkiFile("ca.crt"));
  EXPECT_EQ(pki->server_cert_path, PkiFile("server.crt"));
  EXPECT_EQ(pki->server_key_path, PkiFile("server.key"));
  EXPECT_EQ(pki->admin_token_path, PkiFile("admin.token"));
  EXPECT_EQ(ModeOf(data_dir_ + "/pki"), 0700u);
  EXPECT_EQ(ModeOf(PkiFile("ca.key")), 0600u);
  EXPECT_EQ(ModeOf(PkiFile("server.key")), 0600u);
  EXPECT_EQ(ModeOf(PkiFile("admin.token")), 0600u);
  EXPECT_EQ(ModeOf(PkiFile("ca.crt")), 0644u);
  EXPECT_EQ(ModeOf(PkiFile("server.crt")), 0644u);

  EXPECT_EQ(pki->ca_cert_pem, ReadAll(PkiFile("ca.crt")));
  EXPECT_THAT(pki->admin_token, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(ReadAll(PkiFile("admin.token")), pki->admin_token + "\n");
  EXPECT_THAT(ReadAll(PkiFile("ca.key")), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_THAT(ReadAll(PkiFile("server.key")), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  // No temporary files are left behind.
  for (const auto& entry : fs::directory_iterator(data_dir_ + "/pki")) {
    EXPECT_FALSE(absl::StrContains(entry.path().filename().string(), ".tmp")) << entry.path();
  }
}

TEST_F(PkiTest, SecondCallReusesEverything) {
  absl::StatusOr<Pki> first = EnsurePki(Options());
  ASSERT_TRUE(first.ok()) << first.status();
  std::string server_pem = ReadAll(PkiFile("server.crt"));
  std::string ca_key_pem = ReadAll(PkiFile("ca.key"));

  absl::StatusOr<Pki> second = EnsurePki(Options());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->ca_cert_pem, first->ca_cert_pem);
  EXPECT_EQ(second->admin_token, first->admin_token);
  EXPECT_EQ(ReadAll(PkiFile("ca.key")), ca_key_pem);
  EXPECT_EQ(ReadAll(PkiFile("server.crt")), server_pem);
}

TEST_F(PkiTest, AgentClientCertIsAClientCertFromTheCaAndIsKept) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  EXPECT_EQ(pki->agent_client_cert_path, PkiFile("agent-client.crt"));
  EXPECT_EQ(ModeOf(PkiFile("agent-client.key")), 0600u);
  X509Ptr ca = LoadCert(pki->ca_cert_path);
  X509Ptr cert = LoadCert(pki->agent_client_cert_path);
  EXPECT_EQ(VerifyError(ca.get(), cert.get(), X509_PURPOSE_SSL_CLIENT), "");
  EXPECT_EQ(CommonName(cert.get()), kAgentClientCommonName);
  // clientAuth only: it cannot serve as a server certificate.
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  std::string pem = ReadAll(PkiFile("agent-client.crt"));
  ASSERT_TRUE(EnsurePki(Options()).ok());
  EXPECT_EQ(ReadAll(PkiFile("agent-client.crt")), pem);
}

TEST_F(PkiTest, DifferentDataDirsGetDifferentCredentials) {
  absl::StatusOr<Pki> a = EnsurePki(Options());
  PkiOptions other = Options();
  other.data_dir = tmp_ + "/other";
  absl::StatusOr<Pki> b = EnsurePki(other);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->ca_cert_pem, b->ca_cert_pem);
  EXPECT_NE(a->admin_token, b->admin_token);
}

TEST_F(PkiTest, ServerCertVerifiesAgainstCaAndHasSans) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  X509Ptr ca = LoadCert(PkiFile("ca.crt"));
  X509Ptr server = LoadCert(PkiFile("server.crt"));
  ASSERT_TRUE(ca && server);

  EXPECT_EQ(VerifyError(ca.get(), server.get()), "");

  EXPECT_EQ(CommonName(ca.get()), "shoal-ca");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_GT(X509_get0_notAfter(ca.get())->length, 0);
  int days = 0, secs = 0;
  ASSERT_EQ(
      ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca.get()), X509_get0_notAfter(ca.get())), 1);
  EXPECT_GE(days, 3650);

  EXPECT_EQ(CommonName(server.get()), "shoal-apiserver");
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_TRUE(X509_get_key_usage(server.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER);
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(server.get()),
                           X509_get0_notAfter(server.get())),
            1);
  EXPECT_GE(days, 365);
  EXPECT_NE(X509_get0_subject_key_id(server.get()), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(server.get()), nullptr);
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(server.get()),
                                  X509_get0_subject_key_id(ca.get())),
            0);
  EXPECT_NE(
      ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(server.get())), 0);

  EXPECT_TRUE(HasDns(server.get(), "localhost"));
  EXPECT_TRUE(HasIp(server.get(), "127.0.0.1"));
  EXPECT_TRUE(HasIp(server.get(), "::1"));
  EXPECT_TRUE(HasIp(server.get(), "10.1.2.3"));  // the bind address
  EXPECT_TRUE(HasDns(server.get(), "api.example.com"));
  EXPECT_TRUE(HasIp(server.get(), "192.168.7.7"));
  EXPECT_FALSE(HasIp(server.get(), "10.9.9.9"));
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_TRUE(HasDns(server.get(), host) || HasIp(server.get(), host)) << host;
}

TEST_F(PkiTest, UnspecifiedBindAddressAddsNoSanAndPortIsIgnored) {
  absl::StatusOr<Pki> pki = EnsurePki(Options("0.0.0.0:6443"));
  ASSERT_TRUE(pki.ok()) << pki.status();
  X509Ptr server = LoadCert(PkiFile("server.crt"));
  EXPECT_FALSE(HasIp(server.get(), "0.0.0.0"));
  EXPECT_TRUE(HasIp(server.get(), "127.0.0.1"));

  ASSERT_TRUE(EnsurePki(Options("[fd00::5]:6443")).ok());
  server = LoadCert(PkiFile("server.crt"));
  EXPECT_TRUE(HasIp(server.get(), "fd00::5"));

  ASSERT_TRUE(EnsurePki(Options("shoal.internal")).ok());
  server = LoadCert(PkiFile("server.crt"));
  EXPECT_TRUE(HasDns(server.get(), "shoal.internal"));
}

TEST_F(PkiTest, BindAddressChangeReissuesServerCertButKeepsCaAndToken) {
  absl::StatusOr<Pki> first = EnsurePki(Options("10.1.2.3"));
  ASSERT_TRUE(first.ok()) << first.status();
  std::string old_server = ReadAll(PkiFile("server.crt"));
  std::string old_key = ReadAll(PkiFile("server.key"));

  absl::StatusOr<Pki> second = EnsurePki(Options("10.4.5.6"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->ca_cert_pem, first->ca_cert_pem);
  EXPECT_EQ(second->admin_token, first->admin_token);
  EXPECT_NE(ReadAll(PkiFile("server.crt")), old_server);
  EXPECT_NE(ReadAll(PkiFile("server.key")), old_key);
  EXPECT_EQ(ModeOf(PkiFile("server.key")), 0600u);

  X509Ptr ca = LoadCert(PkiFile("ca.crt"));
  X509Ptr server = LoadCert(PkiFile("server.crt"));
  EXPECT_EQ(VerifyError(ca.get(), server.get()), "");
  EXPECT_TRUE(HasIp(server.get(), "10.4.5.6"));

  // Going back to an address the certificate already covers, or to none, re-issues nothing.
  std::string current = ReadAll(PkiFile("server.crt"));
  ASSERT_TRUE(EnsurePki(Options("")).ok());
  EXPECT_EQ(ReadAll(PkiFile("server.crt")), current);
}

TEST_F(PkiTest, ServerCertIsRenewedNearExpiry) {
  auto start = std::chrono::system_clock::now();
  base::FakeClock clock(start);
  PkiOptions options = Options();
  options.clock = &clock;
  absl::StatusOr<Pki> first = EnsurePki(options);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string old_server = ReadAll(PkiFile("server.crt"));

  clock.Advance(std::chrono::hours(24 * 300));
  ASSERT_TRUE(EnsurePki(options).ok());
  EXPECT_EQ(ReadAll(PkiFile("server.crt")), old_server);

  clock.Advance(std::chrono::hours(24 * 50));  // 15 days before notAfter
  absl::StatusOr<Pki> renewed = EnsurePki(options);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->ca_cert_pem, first->ca_cert_pem);
  EXPECT_NE(ReadAll(PkiFile("server.crt")), old_server);
  X509Ptr server = LoadCert(PkiFile("server.crt"));
  std::time_t expected_min = std::chrono::system_clock::to_time_t(clock.Now()) + 364 * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(server.get()), &expected_min), 0);
}

TEST_F(PkiTest, MissingServerFilesAreReissued) {
  ASSERT_TRUE(EnsurePki(Options()).ok());
  fs::remove(PkiFile("server.key"));
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  X509Ptr ca = LoadCert(PkiFile("ca.crt"));
  X509Ptr server = LoadCert(PkiFile("server.crt"));
  EXPECT_EQ(VerifyError(ca.get(), server.get()), "");
}

TEST_F(PkiTest, CorruptCaCertIsAnErrorNamingTheFile) {
  ASSERT_TRUE(EnsurePki(Options()).ok());
  WriteAll(PkiFile("ca.crt"),
           "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(pki.status().message(), HasSubstr(PkiFile("ca.crt")));
}

TEST_F(PkiTest, CorruptKeyAndTokenAreErrorsNamingTheFile) {
  ASSERT_TRUE(EnsurePki(Options()).ok());
  std::string key = ReadAll(PkiFile("server.key"));
  WriteAll(PkiFile("server.key"), "garbage");
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_FALSE(pki.ok());
  EXPECT_THAT(pki.status().message(), HasSubstr(PkiFile("server.key")));
  WriteAll(PkiFile("server.key"), key);

  WriteAll(PkiFile("admin.token"), "short\n");
  pki = EnsurePki(Options());
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(pki.status().message(), HasSubstr(PkiFile("admin.token")));
}

TEST_F(PkiTest, CaCertWithoutKeyIsAnError) {
  ASSERT_TRUE(EnsurePki(Options()).ok());
  fs::remove(PkiFile("ca.key"));
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(pki.status().message(), HasSubstr(PkiFile("ca.key")));
}

TEST_F(PkiTest, UnusableDataDirIsAnErrorNamingThePath) {
  // A regular file where a directory is needed fails even for root (tests may run as root, so
  // a read-only directory would not do).
  WriteAll(tmp_ + "/file", "x");
  PkiOptions options = Options();
  options.data_dir = tmp_ + "/file/data";
  absl::StatusOr<Pki> pki = EnsurePki(options);
  ASSERT_FALSE(pki.ok());
  EXPECT_THAT(pki.status().message(), HasSubstr(tmp_ + "/file/data"));

  options.data_dir = "";
  EXPECT_EQ(EnsurePki(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, InvalidSanIsRejected) {
  PkiOptions options = Options();
  options.extra_sans.push_back("bad name!");
  absl::StatusOr<Pki> pki = EnsurePki(options);
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pki.status().message(), HasSubstr("extra_sans[2]"));
  EXPECT_FALSE(fs::exists(data_dir_));  // validated before anything is written
}

TEST_F(PkiTest, ConcurrentCallsAgreeOnOneCa) {
  absl::StatusOr<Pki> a, b;
  std::thread t1([&] { a = EnsurePki(Options()); });
  std::thread t2([&] { b = EnsurePki(Options()); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->ca_cert_pem, b->ca_cert_pem);
  EXPECT_EQ(a->admin_token, b->admin_token);
}

TEST_F(PkiTest, TokenMatches) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  EXPECT_TRUE(TokenMatches(pki->admin_token, *pki));
  std::string wrong = pki->admin_token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(TokenMatches(wrong, *pki));
  EXPECT_FALSE(TokenMatches(pki->admin_token.substr(1), *pki));
  EXPECT_FALSE(TokenMatches("", *pki));
  Pki empty;
  EXPECT_FALSE(TokenMatches("", empty));
}

TEST_F(PkiTest, WriteKubeconfig) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  std::string path = tmp_ + "/home/.kube/config";
  std::string url = "https://127.0.0.1:6443";
  ASSERT_TRUE(WriteKubeconfig(path, url, *pki).ok());

  EXPECT_EQ(ModeOf(path), 0600u);
  std::string yaml = ReadAll(path);
  EXPECT_THAT(yaml, HasSubstr(url));
  EXPECT_THAT(yaml, HasSubstr(absl::Base64Escape(pki->ca_cert_pem)));
  EXPECT_THAT(yaml, HasSubstr(pki->admin_token));
  EXPECT_THAT(yaml, HasSubstr("current-context: shoal"));

  // Overwriting keeps the mode and leaves no temporary file.
  ASSERT_TRUE(WriteKubeconfig(path, "https://localhost:7443", *pki).ok());
  EXPECT_THAT(ReadAll(path), HasSubstr("https://localhost:7443"));
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_ + "/home/.kube"), fs::directory_iterator()),
            1);

  EXPECT_EQ(WriteKubeconfig(path, "http://127.0.0.1:6443", *pki).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteKubeconfig(path, "https://x\n:6443", *pki).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, KubectlReadsKubeconfig) {
  const std::string kubectl = "/usr/bin/kubectl";
  if (!IsExecutable(kubectl)) GTEST_SKIP() << kubectl << " not installed";
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  std::string path = tmp_ + "/kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(path, "https://127.0.0.1:6443", *pki).ok());

  std::string base = base::StrCat("HOME=", ShellQuote(tmp_), " ", kubectl, " --kubeconfig ",
                                  ShellQuote(path), " config view --raw -o jsonpath=");
  CommandResult token = RunCommand(base + "'{.users[0].user.token}'");
  EXPECT_EQ(token.exit_code, 0);
  EXPECT_EQ(token.output, pki->admin_token);
  CommandResult server = RunCommand(base + "'{.clusters[0].cluster.server}'");
  EXPECT_EQ(server.output, "https://127.0.0.1:6443");
  CommandResult ca = RunCommand(base + "'{.clusters[0].cluster.certificate-authority-data}'");
  std::string ca_pem;
  ASSERT_TRUE(absl::Base64Unescape(ca.output, &ca_pem));
  EXPECT_EQ(ca_pem, pki->ca_cert_pem);
  CommandResult context = RunCommand(base + "'{.current-context}'");
  EXPECT_EQ(context.output, "shoal");
}

TEST_F(PkiTest, OpensslBinaryVerifiesServerCert) {
  const std::string openssl = "/usr/bin/openssl";
  if (!IsExecutable(openssl)) GTEST_SKIP() << openssl << " not installed";
  ASSERT_TRUE(EnsurePki(Options()).ok());
  CommandResult result = RunCommand(
      base::StrCat(openssl, " verify -x509_strict -purpose sslserver -CAfile ",
                   ShellQuote(PkiFile("ca.crt")), " ", ShellQuote(PkiFile("server.crt")), " 2>&1"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr(": OK"));
}

// A one-request-per-connection HTTPS server on 127.0.0.1:<ephemeral> serving the PKI's serving
// certificate, answering GET /version when the admin token is presented, 401 otherwise.
class TestHttpsServer {
 public:
  explicit TestHttpsServer(const Pki& pki) : token_(pki.admin_token) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    ok_ = ctx_ != nullptr &&
          SSL_CTX_use_certificate_chain_file(ctx_, pki.server_cert_path.c_str()) == 1 &&
          SSL_CTX_use_PrivateKey_file(ctx_, pki.server_key_path.c_str(), SSL_FILETYPE_PEM) == 1;
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ok_ = ok_ && listen_fd_ >= 0 &&
          bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          listen(listen_fd_, 8) == 0 &&
          getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
    if (ok_) thread_ = std::thread([this] { Serve(); });
  }
  ~TestHttpsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  int handshakes() const { return handshakes_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval tv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        ++handshakes_;
        std::string request;
        char buf[4096];
        while (!absl::StrContains(request, "\r\n\r\n")) {
          int n = SSL_read(ssl, buf, sizeof(buf));
          if (n <= 0) break;
          request.append(buf, static_cast<size_t>(n));
        }
        bool authorized = absl::StrContains(absl::AsciiStrToLower(request),
                                            "\r\nauthorization: bearer " + token_ + "\r\n");
        std::string body =
            authorized ? R"({"major":"1","minor":"32","gitVersion":"v1.32.0-shoal-test"})"
                       : R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":401})";
        std::string response = base::StrCat(
            "HTTP/1.1 ", authorized ? "200 OK" : "401 Unauthorized",
            "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ",
            body.size(), "\r\n\r\n", body);
        SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        SSL_shutdown(ssl);
      }
      ERR_clear_error();
      SSL_free(ssl);
      close(fd);
    }
  }

  std::string token_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

// The real clients: kubectl (Go crypto/tls) through the kubeconfig, and Python's ssl with
// VERIFY_X509_STRICT, connecting by name and by IP.
TEST_F(PkiTest, RealClientsAcceptServingCert) {
  absl::StatusOr<Pki> pki = EnsurePki(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  TestHttpsServer server(*pki);
  ASSERT_TRUE(server.ok());
  bool ran_any = false;

  const std::string kubectl = "/usr/bin/kubectl";
  if (IsExecutable(kubectl)) {
    ran_any = true;
    for (const char* host : {"127.0.0.1", "localhost"}) {
      std::string path = tmp_ + "/kubeconfig";
      ASSERT_TRUE(
          WriteKubeconfig(path, base::StrCat("https://", host, ":", server.port()), *pki).ok());
      CommandResult result = RunCommand(
          base::StrCat("HOME=", ShellQuote(tmp_), " ", kubectl, " --kubeconfig ", ShellQuote(path),
                       " --request-timeout=10s get --raw /version 2>&1"));
      EXPECT_EQ(result.exit_code, 0) << host << ": " << result.output;
      EXPECT_THAT(result.output, HasSubstr("v1.32.0-shoal-test")) << host;
    }
  }

  if (RunCommand("command -v python3 >/dev/null 2>&1").exit_code == 0) {
    ran_any = true;
    const char* script = R"PY(
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
for host in ("127.0.0.1", "localhost"):
    req = urllib.request.Request("https://%s:%s/version" % (host, sys.argv[2]),
                                 headers={"Authorization": "Bearer " + sys.argv[3]})
    print(urllib.request.urlopen(req, context=ctx, timeout=10).read().decode())
)PY";
    std::string script_path = tmp_ + "/client.py";
    WriteAll(script_path, script);
    CommandResult result = RunCommand(base::StrCat("python3 ", ShellQuote(script_path), " ",
                                                   ShellQuote(pki->ca_cert_path), " ",
                                                   server.port(), " ", pki->admin_token, " 2>&1"));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_THAT(result.output, HasSubstr("v1.32.0-shoal-test"));
  }
  if (!ran_any) GTEST_SKIP() << "neither kubectl nor python3 is installed";
}

}  // namespace
}  // namespace shoal::apiserver
