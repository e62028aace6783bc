#include "client/kubeconfig.h"

#include <gtest/gtest.h>


namespace shoal::client {
namespace {

// What `shoal server` writes (apiserver/pki.cc WriteKubeconfig); the CA is base64 of "PEM".
constexpr char kShoal[] = R"(apiVersion: v1
kind: Config
clusters:
- name: shoal
  cluster:
    server: "https://127.0.0.1:6443"
    certificate-authority-data: UEVN
users:
- name: admin
  user:
    token: "abc\"def"
contexts:
- name: shoal
  context:
    cluster: shoal
    user: admin
current-context: shoal
preferences: {}
)";

TEST(KubeconfigTest, ReadsWhatShoalServerWrites) {
  absl::StatusOr<Kubeconfig> kc = ParseKubeconfig(kShoal);
  ASSERT_TRUE(kc.ok()) << kc.status();
  EXPECT_EQ(kc->server, "https://127.0.0.1:6443");
  EXPECT_EQ(kc->ca_pem, "PEM");
  EXPECT_EQ(kc->token, "abc\"def");
}

TEST(KubeconfigTest, FollowsTheCurrentContext) {
  constexpr char kTwo[] = R"(clusters:
  - name: a
    cluster:
      server: https://a.example:443  # comment
  - name: b
    cluster:
      server: 'https://b.example:6443'
users:
  - name: ua
    user:
      token: ta
  - name: ub
    user:
      token: tb
contexts:
  - name: ca
    context: {cluster: a, user: ua}
  - context:
      cluster: b
      user: ub
    name: cb
current-context: cb
)";
  absl::StatusOr<Kubeconfig> kc = ParseKubeconfig(kTwo);
  ASSERT_TRUE(kc.ok()) << kc.status();
  EXPECT_EQ(kc->server, "https://b.example:6443");
  EXPECT_EQ(kc->token, "tb");
}

TEST(KubeconfigTest, ErrorsNameWhatIsWrong) {
  std::string no_token = kShoal;
  no_token.replace(no_token.find("token:"), 6, "tokn:");
  absl::StatusOr<Kubeconfig> kc = ParseKubeconfig(no_token);
  ASSERT_FALSE(kc.ok());
  EXPECT_NE(kc.status().message().find("token"), absl::string_view::npos);

  std::string bad_context = kShoal;
  bad_context.replace(bad_context.find("current-context: shoal"), 22, "current-context: nope");
  kc = ParseKubeconfig(bad_context);
  ASSERT_FALSE(kc.ok());
  EXPECT_NE(kc.status().message().find("nope"), absl::string_view::npos);

  std::string http = kShoal;
  http.replace(http.find("https://"), 8, "http://");
  EXPECT_FALSE(ParseKubeconfig(http).ok());
  EXPECT_EQ(ReadKubeconfig("/nonexistent/kubeconfig").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace shoal::client
