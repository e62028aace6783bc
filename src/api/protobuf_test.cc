#include "api/protobuf.h"

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

namespace json = boost::json;

// Request bodies captured from kubectl v1.32.4 (`-v=9` logs them as a hex dump) while it
// created objects against a shoal server.
// `kubectl create namespace demo`
// (55 bytes).
constexpr char kNamespaceHex[] =
    "6b3873000a0f0a02763112094e616d657370616365121c0a140a0464656d6f12001a0022002a003200380042"
    "0012001a020a001a002200";

// `kubectl create configmap cm --from-literal=a=b --from-literal=c=`
// (62 bytes).
constexpr char kConfigMapHex[] =
    "6b3873000a0f0a0276311209436f6e6669674d617012230a120a02636d12001a0022002a0032003800420012"
    "060a016112016212050a016312001a002200";

// `kubectl create secret generic s --from-literal=k=v`
// (53 bytes).
constexpr char kSecretHex[] =
    "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a016b"
    "1201761a001a002200";

// `kubectl create job j --image=busybox -- echo hi`
// (158 bytes).
constexpr char kJobHex[] =
    "6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a0032003800420012"
    "6332610a100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a"
    "0268692a0042006a007200800100880100900100a201001a054e65766572320042004a005200580060006800"
    "8201008a01009a0100c201001a082000280030003a001a002200";

// `kubectl create priorityclass pc --value=1000 --description=x --preemption-policy=Never`
// (84 bytes).
constexpr char kPriorityClassHex[] =
    "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312"
    "230a120a02706312001a0022002a0032003800420010e80718002201782a054e657665721a002200";

// `kubectl create secret tls t --cert=tls.crt --key=tls.key (a throwaway self-signed P-256 pair)`
// (888 bytes).
constexpr char kSecretTlsHex[] =
    "6b3873000a0c0a027631120653656372657412df060a110a017412001a0022002a0032003800420012b6040a"
    "07746c732e63727412aa042d2d2d2d2d424547494e2043455254494649434154452d2d2d2d2d0a4d49494262"
    "54434341524f67417749424167495566555866735648554e4f6f47302b62784747433346622f736e71497743"
    "6759494b6f5a497a6a3045417749770a4444454b4d416747413155454177774265444165467730794e6a4579"
    "4d4449794d7a55344d6a5661467730794e6a45794d444d794d7a55344d6a56614d4177780a436a414942674e"
    "5642414d4d415867775754415442676371686b6a4f5051494242676771686b6a4f50514d4242774e43414151"
    "45423143365a78652f486d72620a615946707171374b66664c35715532416941664343316d77564452366577"
    "7977676b5862345371446c69716a6e63554a672b514c4756576f4b356876525734580a3741755438786d626f"
    "314d775554416442674e5648513445466751552f364f32736e704b2b3266514d653556597239465257482b50"
    "743477487759445652306a0a42426777466f41552f364f32736e704b2b3266514d653556597239465257482b"
    "5074347744775944565230544151482f42415577417745422f7a414b426767710a686b6a4f5051514441674e"
    "494144424641694541752b716d45726e502f4477727244615054676473576667704f6d692b416b5943352f75"
    "7073612b387a5159430a49476373673645306a453969756c2b2f4d484e69356464317651444c5a75737a3762"
    "5461677971646b6468460a2d2d2d2d2d454e442043455254494649434154452d2d2d2d2d0a12fd010a07746c"
    "732e6b657912f1012d2d2d2d2d424547494e2050524956415445204b45592d2d2d2d2d0a4d49474841674541"
    "4d424d4742797147534d34394167454743437147534d3439417745484247307761774942415151673939476b"
    "32642b78614d645859467a670a6243733175625552464b436b4f2b5452534c6e382f5733522b4a476852414e"
    "4341415145423143365a78652f486d7262615946707171374b66664c35715532410a6941664343316d775644"
    "523665777977676b5862345371446c69716a6e63554a672b514c4756576f4b35687652573458374175543878"
    "6d620a2d2d2d2d2d454e442050524956415445204b45592d2d2d2d2d0a1a116b756265726e657465732e696f"
    "2f746c731a002200";

// `kubectl create secret docker-registry d --docker-username=u --docker-password=p
//     --docker-server=r.example --docker-email=e@x`
// (182 bytes).
constexpr char kSecretDockerHex[] =
    "6b3873000a0c0a0276311206536563726574129d010a110a016412001a0022002a0032003800420012680a11"
    "2e646f636b6572636f6e6669676a736f6e12537b226175746873223a7b22722e6578616d706c65223a7b2275"
    "7365726e616d65223a2275222c2270617373776f7264223a2270222c22656d61696c223a22654078222c2261"
    "757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a73"
    "6f6e1a002200";

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A small protobuf encoder for hand-made bodies.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Key(uint32_t field, uint32_t wire) { return Varint((uint64_t{field} << 3) | wire); }
std::string VarintField(uint32_t field, uint64_t v) { return Key(field, 0) + Varint(v); }
std::string BytesField(uint32_t field, std::string_view payload) {
  return Key(field, 2) + Varint(payload.size()) + std::string(payload);
}
std::string Envelope(std::string_view api_version, std::string_view kind, std::string_view raw) {
  return std::string("k8s\0", 4) + BytesField(1, BytesField(1, api_version) + BytesField(2, kind)) +
         BytesField(2, raw);
}
// ObjectMeta {name} as field 1 of an object.
std::string Metadata(std::string_view name) { return BytesField(1, BytesField(1, name)); }
std::string Quantity(std::string_view s) { return BytesField(1, s); }
std::string Time(int64_t seconds, int32_t nanos = 0) {
  return VarintField(1, static_cast<uint64_t>(seconds)) +
         VarintField(2, static_cast<uint64_t>(static_cast<int64_t>(nanos)));
}
std::string MapEntry(std::string_view key, std::string_view value) {
  return BytesField(1, key) + BytesField(2, value);
}

json::object DecodeOk(std::string_view body) {
  absl::StatusOr<json::object> o = DecodeKubernetesProtobuf(body);
  EXPECT_TRUE(o.ok()) << o.status();
  return o.ok() ? *o : json::object();
}

std::string DecodeToJson(std::string_view body) { return json::serialize(DecodeOk(body)); }

absl::Status DecodeError(std::string_view body) {
  absl::StatusOr<json::object> o = DecodeKubernetesProtobuf(body);
  EXPECT_FALSE(o.ok()) << json::serialize(*o);
  return o.status();
}

std::string Base64Decoded(const json::value& v) {
  std::string out;
  EXPECT_TRUE(v.is_string());
  if (!v.is_string()) return out;
  const json::string& s = v.get_string();
  EXPECT_TRUE(absl::Base64Unescape(std::string(s.data(), s.size()), &out));
  return out;
}

// gogo-generated Marshal writes every non-pointer field, so kubectl's bodies are full of empty
// strings, zeros and empty messages (metadata.generateName, metadata.creationTimestamp, the
// Namespace's spec and status...); a JSON client leaves them out, and so does the decoder.
TEST(ProtobufKubectlTest, Namespace) {
  EXPECT_EQ(DecodeToJson(Unhex(kNamespaceHex)),
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}})");
}

TEST(ProtobufKubectlTest, ConfigMapKeepsEmptyValues) {
  EXPECT_EQ(DecodeToJson(Unhex(kConfigMapHex)),
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
            R"("data":{"a":"b","c":""}})");
}

TEST(ProtobufKubectlTest, SecretDataIsBase64) {
  // The empty type is left out, as a JSON client does; the server defaults it to Opaque.
  EXPECT_EQ(DecodeToJson(Unhex(kSecretHex)),
            R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"dg=="}})");
}

TEST(ProtobufKubectlTest, Job) {
  // kubectl's JSON for the same Job would also carry "resources":{} and
  // "metadata":{"creationTimestamp":null} in the template: non-pointer structs that Go's
  // encoding/json never omits. Both are empty, so the decoder leaves them out; the template
  // itself has no omitempty and stays. The all-zero status is not decoded.
  EXPECT_EQ(DecodeToJson(Unhex(kJobHex)),
            R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},)"
            R"("spec":{"template":{"spec":{"containers":[{"name":"j","image":"busybox",)"
            R"("command":["echo","hi"]}],"restartPolicy":"Never"}}}})");
}

TEST(ProtobufKubectlTest, PriorityClass) {
  EXPECT_EQ(DecodeToJson(Unhex(kPriorityClassHex)),
            R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
            R"("metadata":{"name":"pc"},"value":1000,"description":"x",)"
            R"("preemptionPolicy":"Never"})");
}

TEST(ProtobufKubectlTest, SecretTls) {
  json::object o = DecodeOk(Unhex(kSecretTlsHex));
  EXPECT_EQ(json::serialize(o["metadata"]), R"({"name":"t"})");
  EXPECT_EQ(o["type"].as_string(), "kubernetes.io/tls");
  const json::object& data = o["data"].as_object();
  ASSERT_EQ(data.size(), 2u);
  const std::string cert = Base64Decoded(data.at("tls.crt"));
  const std::string key = Base64Decoded(data.at("tls.key"));
  EXPECT_TRUE(absl::StartsWith(cert, "-----BEGIN CERTIFICATE-----\n")) << cert;
  EXPECT_TRUE(absl::EndsWith(cert, "-----END CERTIFICATE-----\n")) << cert;
  EXPECT_EQ(cert.size(), 554u);
  EXPECT_TRUE(absl::StartsWith(key, "-----BEGIN PRIVATE KEY-----\n")) << key;
  EXPECT_EQ(key.size(), 241u);
}

TEST(ProtobufKubectlTest, SecretDockerRegistry) {
  EXPECT_EQ(DecodeToJson(Unhex(kSecretDockerHex)),
            R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"d"},)"
            R"("data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmV4YW1wbGUiOnsidXNlcm5hbWUiOiJ1)"
            R"(IiwicGFzc3dvcmQiOiJwIiwiZW1haWwiOiJlQHgiLCJhdXRoIjoiZFRwdyJ9fX0="},)"
            R"("type":"kubernetes.io/dockerconfigjson"})");
}

TEST(ProtobufTest, MissingMagic) {
  for (std::string_view body :
       {std::string_view(""), std::string_view("k8s"), std::string_view("{\"kind\":\"Pod\"}")}) {
    absl::Status s = DecodeError(body);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "protobuf: missing k8s magic prefix");
  }
}

TEST(ProtobufTest, TruncatedVarint) {
  // An unknown envelope field 9 whose varint never ends: the offset is the varint's.
  absl::Status s = DecodeError(std::string("k8s\0", 4) + Key(9, 0) + "\x80");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "protobuf: truncated varint at byte 5");

  // Inside the object, offsets still count from the start of the body.
  const std::string body =
      Envelope("scheduling.k8s.io/v1", "PriorityClass", Key(2, 0) + "\xff\xff");
  s = DecodeError(body);
  EXPECT_EQ(s.message(), "protobuf: truncated varint at byte " + std::to_string(body.size() - 2));
}

TEST(ProtobufTest, OverlongVarint) {
  absl::Status s =
      DecodeError(std::string("k8s\0", 4) + Key(9, 0) + std::string(10, '\xff') + "\x01");
  EXPECT_EQ(s.message(), "protobuf: varint overflows 64 bits at byte 5");
}

TEST(ProtobufTest, TruncatedLength) {
  const std::string body = Envelope("v1", "Namespace", Key(1, 2) + Varint(5) + "ab");
  absl::Status s = DecodeError(body);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "protobuf: truncated length-delimited field at byte " +
                             std::to_string(body.size() - 3) + ": length 5, 2 bytes left");

  // The envelope's raw field itself is cut short.
  s = DecodeError(std::string("k8s\0", 4) + Key(2, 2) + Varint(100) + "xyz");
  EXPECT_EQ(s.message(),
            "protobuf: truncated length-delimited field at byte 5: length 100, 3 bytes left");

  s = DecodeError(std::string("k8s\0", 4) + Key(9, 1) + "1234567");
  EXPECT_EQ(s.message(), "protobuf: truncated fixed64 field at byte 5");
}

TEST(ProtobufTest, WrongWireType) {
  // Job.spec.template (6) sent as a varint.
  absl::Status s = DecodeError(Envelope("batch/v1", "Job", BytesField(2, VarintField(6, 1))));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "protobuf: field spec.template (6) has wire type 0, want 2");

  // PriorityClass.value (2) sent as a string.
  s = DecodeError(Envelope("scheduling.k8s.io/v1", "PriorityClass", BytesField(2, "1")));
  EXPECT_EQ(s.message(), "protobuf: field value (2) has wire type 2, want 0");

  // Inside a list element.
  s = DecodeError(Envelope(
      "v1", "Pod",
      BytesField(2, BytesField(2, BytesField(1, "a")) + BytesField(2, VarintField(1, 7)))));
  EXPECT_EQ(s.message(), "protobuf: field spec.containers[1].name (1) has wire type 0, want 2");
}

TEST(ProtobufTest, GroupsAndBadTags) {
  absl::Status s = DecodeError(std::string("k8s\0", 4) + Key(9, 3));
  EXPECT_EQ(s.message(), "protobuf: group (wire type 3) at byte 4 is not supported");
  s = DecodeError(std::string("k8s\0", 4) + Key(9, 7));
  EXPECT_EQ(s.message(), "protobuf: invalid wire type 7 at byte 4");
  s = DecodeError(std::string("k8s\0", 4) + Key(0, 0) + Varint(1));
  EXPECT_EQ(s.message(), "protobuf: invalid field number 0 at byte 4");
}

TEST(ProtobufTest, UnsupportedKind) {
  absl::Status s = DecodeError(Envelope("v1", "Service", Metadata("svc")));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(s.message(), "protobuf bodies of v1, Kind=Service are not supported; send JSON");
  EXPECT_FALSE(IsKubernetesProtobufKindSupported("v1", "Service"));
  EXPECT_FALSE(IsKubernetesProtobufKindSupported("apps/v1", "Deployment"));
  for (auto [api_version, kind] : std::initializer_list<std::pair<const char*, const char*>>{
           {"v1", "Namespace"},
           {"v1", "ConfigMap"},
           {"v1", "Secret"},
           {"v1", "Pod"},
           {"v1", "Node"},
           {"v1", "Event"},
           {"v1", "Binding"},
           {"batch/v1", "Job"},
           {"scheduling.k8s.io/v1", "PriorityClass"},
           {"coordination.k8s.io/v1", "Lease"},
           {"policy/v1", "Eviction"}}) {
    EXPECT_TRUE(IsKubernetesProtobufKindSupported(api_version, kind)) << kind;
  }
}

TEST(ProtobufTest, EnvelopeProblems) {
  absl::Status s = DecodeError(std::string("k8s\0", 4) + BytesField(2, Metadata("x")));
  EXPECT_EQ(s.message(), "protobuf: the envelope's typeMeta lacks apiVersion or kind");
  s = DecodeError(Envelope("v1", "Namespace", "") + BytesField(3, "gzip"));
  EXPECT_EQ(s.message(), "protobuf: unsupported contentEncoding \"gzip\"");
  s = DecodeError(std::string("k8s\0", 4) + VarintField(1, 1));
  EXPECT_EQ(s.message(), "protobuf: field typeMeta (1) has wire type 0, want 2");
}

TEST(ProtobufTest, UnknownFieldsAreSkipped) {
  const std::string raw = VarintField(99, 12345) + Key(100, 1) + "12345678" +
                          BytesField(101, "future") + Key(102, 5) + "1234" + Metadata("pc") +
                          VarintField(2, 7) + BytesField(103, BytesField(1, "nested"));
  EXPECT_EQ(DecodeToJson(Envelope("scheduling.k8s.io/v1", "PriorityClass", raw) +
                         BytesField(7, "envelope field")),
            R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
            R"("metadata":{"name":"pc"},"value":7})");
}

TEST(ProtobufTest, PointerZeroValuesAreKept) {
  // JobSpec.backoffLimit (7) is an *int32, suspend (10) a *bool, completionMode (9) a *string;
  // manualSelector (5) is a *bool too. ttlSecondsAfterFinished (8) is absent.
  const std::string spec = VarintField(7, 0) + VarintField(10, 0) + BytesField(9, "") +
                           VarintField(5, 1) + BytesField(6, "");
  EXPECT_EQ(DecodeToJson(Envelope("batch/v1", "Job", Metadata("j") + BytesField(2, spec))),
            R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},)"
            R"("spec":{"backoffLimit":0,"manualSelector":true,"template":{},)"
            R"("completionMode":"","suspend":false}})");
}

TEST(ProtobufTest, Int32SignExtension) {
  // int32 -5 is sent as a 10-byte varint; value has no omitempty, so 0 is written too.
  const std::string minus_five = Key(2, 0) + Varint(static_cast<uint64_t>(int64_t{-5}));
  ASSERT_EQ(minus_five.size(), 11u);
  EXPECT_EQ(DecodeToJson(Envelope("scheduling.k8s.io/v1", "PriorityClass",
                                  Metadata("low") + minus_five + VarintField(3, 0))),
            R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
            R"("metadata":{"name":"low"},"value":-5})");
  EXPECT_EQ(DecodeToJson(Envelope("scheduling.k8s.io/v1", "PriorityClass", VarintField(2, 0))),
            R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","value":0})");
  // int32 2147483647 and -2147483648 survive; an int64 keeps all 64 bits.
  json::object pc =
      DecodeOk(Envelope("scheduling.k8s.io/v1", "PriorityClass",
                        VarintField(2, static_cast<uint64_t>(int64_t{-2147483647 - 1}))));
  EXPECT_EQ(pc["value"].as_int64(), -2147483648LL);
  json::object meta =
      DecodeOk(Envelope("v1", "Namespace", BytesField(1, VarintField(7, uint64_t{1} << 40))));
  EXPECT_EQ(json::serialize(meta["metadata"]), R"({"generation":1099511627776})");
}

TEST(ProtobufTest, SecretBinaryData) {
  const std::string raw = Metadata("b") + BytesField(2, MapEntry("bin", std::string("\0\xff", 2))) +
                          BytesField(2, MapEntry("empty", "")) +
                          BytesField(4, MapEntry("plain", "text")) + VarintField(5, 0) +
                          BytesField(3, "Opaque");
  EXPECT_EQ(DecodeToJson(Envelope("v1", "Secret", raw)),
            R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"},"immutable":false,)"
            R"("data":{"bin":"AP8=","empty":""},"stringData":{"plain":"text"},"type":"Opaque"})");
  // ConfigMap.binaryData is base64 too.
  EXPECT_EQ(DecodeToJson(Envelope("v1", "ConfigMap", BytesField(3, MapEntry("b", "\x01")))),
            R"({"apiVersion":"v1","kind":"ConfigMap","binaryData":{"b":"AQ=="}})");
}

TEST(ProtobufTest, PodSpecQuantitiesIntOrStringAndInlineStructs) {
  const std::string limits = BytesField(1, MapEntry("cpu", Quantity("500m"))) +
                             BytesField(1, MapEntry("memory", Quantity("1Gi"))) +
                             BytesField(2, MapEntry("cpu", ""));  // absent Quantity is "0"
  const std::string env = BytesField(1, "CM") +
                          BytesField(3, BytesField(3, BytesField(1, BytesField(1, "cm")) +
                                                          BytesField(2, "k") + VarintField(3, 0)));
  const std::string env_divisor =
      BytesField(1, "CPU") +
      BytesField(3, BytesField(2, BytesField(2, "limits.cpu") + BytesField(3, Quantity("0"))));
  const std::string liveness =
      BytesField(1, BytesField(2, BytesField(1, "/healthz") +
                                      BytesField(2, VarintField(1, 0) + VarintField(2, 8080) +
                                                        BytesField(3, "")))) +
      VarintField(2, 0) + VarintField(4, 10);
  const std::string readiness = BytesField(
      1,
      BytesField(3, BytesField(1, VarintField(1, 1) + VarintField(2, 0) + BytesField(3, "http"))));
  const std::string container = BytesField(1, "app") + BytesField(2, "nginx") + BytesField(7, env) +
                                BytesField(7, env_divisor) + BytesField(8, limits) +
                                BytesField(10, liveness) + BytesField(11, readiness);
  const std::string volume =
      BytesField(1, "scratch") +
      BytesField(2, BytesField(2, BytesField(1, "Memory") + BytesField(2, Quantity("64Mi"))));
  const std::string cm_volume =
      BytesField(1, "cfg") +
      BytesField(2, BytesField(19, BytesField(1, BytesField(1, "cm")) + VarintField(3, 420)));
  const std::string spec = BytesField(1, volume) + BytesField(1, cm_volume) +
                           BytesField(2, container) + BytesField(3, "Always") + VarintField(25, 0) +
                           VarintField(11, 0);
  EXPECT_EQ(DecodeToJson(Envelope("v1", "Pod", Metadata("p") + BytesField(2, spec))),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"volumes":[)"
            R"({"name":"scratch","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}},)"
            R"({"name":"cfg","configMap":{"name":"cm","defaultMode":420}}],)"
            R"("containers":[{"name":"app","image":"nginx","env":[{"name":"CM","valueFrom":)"
            R"({"configMapKeyRef":{"name":"cm","key":"k","optional":false}}},)"
            R"({"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}],)"
            R"("resources":{"limits":{"cpu":"500m","memory":"1Gi"},"requests":{"cpu":"0"}},)"
            R"("livenessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10},)"
            R"("readinessProbe":{"tcpSocket":{"port":"http"}}}],"restartPolicy":"Always",)"
            R"("priority":0}})");
}

TEST(ProtobufTest, TimesAndMicroTimes) {
  // creationTimestamp as kubectl sends it (an empty message) is left out; deletionTimestamp is
  // a pointer but a zero time is null in JSON, so it is left out as well.
  const std::string meta = BytesField(1, "n") + BytesField(8, "") + BytesField(9, Time(0));
  EXPECT_EQ(DecodeToJson(Envelope("v1", "Namespace", BytesField(1, meta))),
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}})");

  const std::string set =
      BytesField(1, "n") + BytesField(8, Time(1700000000, 999)) + BytesField(9, Time(951782400));
  EXPECT_EQ(DecodeToJson(Envelope("v1", "Namespace", BytesField(1, set))),
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n",)"
            R"("creationTimestamp":"2023-11-14T22:13:20Z",)"
            R"("deletionTimestamp":"2000-02-29T00:00:00Z"}})");

  // Lease: pointer fields everywhere; MicroTime keeps microseconds.
  const std::string lease_spec = BytesField(1, "holder") + VarintField(2, 0) +
                                 BytesField(3, Time(1700000000, 123456789)) +
                                 BytesField(4, Time(-1, 500000)) + VarintField(5, 0);
  EXPECT_EQ(DecodeToJson(Envelope("coordination.k8s.io/v1", "Lease",
                                  Metadata("l") + BytesField(2, lease_spec))),
            R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},)"
            R"("spec":{"holderIdentity":"holder","leaseDurationSeconds":0,)"
            R"("acquireTime":"2023-11-14T22:13:20.123456Z",)"
            R"("renewTime":"1969-12-31T23:59:59.000500Z","leaseTransitions":0}})");

  absl::Status s = DecodeError(
      Envelope("v1", "Namespace", BytesField(1, BytesField(8, Time(int64_t{1} << 40)))));
  EXPECT_EQ(s.message(),
            "protobuf: field metadata.creationTimestamp: time 1099511627776 is outside years "
            "0-9999");
}

TEST(ProtobufTest, JobPolicies) {
  // values (3) once unpacked, once packed.
  const std::string on_exit =
      BytesField(2, "In") + VarintField(3, 1) + BytesField(3, Varint(2) + Varint(42));
  const std::string rule = BytesField(1, "FailJob") + BytesField(2, on_exit) +
                           BytesField(3, BytesField(1, "DisruptionTarget") + BytesField(2, "True"));
  const std::string success = BytesField(1, BytesField(1, "0-2") + VarintField(2, 2));
  const std::string selector = BytesField(1, MapEntry("app", "x")) +
                               BytesField(2, BytesField(1, "tier") + BytesField(2, "In") +
                                                 BytesField(3, "a") + BytesField(3, "b"));
  const std::string spec = BytesField(11, BytesField(1, rule)) + BytesField(16, success) +
                           BytesField(4, selector) + BytesField(15, "example.com/ctl");
  EXPECT_EQ(DecodeToJson(Envelope("batch/v1", "Job", BytesField(2, spec))),
            R"({"apiVersion":"batch/v1","kind":"Job","spec":{"podFailurePolicy":{"rules":[)"
            R"({"action":"FailJob","onExitCodes":{"operator":"In","values":[1,2,42]},)"
            R"("onPodConditions":[{"type":"DisruptionTarget","status":"True"}]}]},)"
            R"("successPolicy":{"rules":[{"succeededIndexes":"0-2","succeededCount":2}]},)"
            R"("selector":{"matchLabels":{"app":"x"},)"
            R"("matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},)"
            R"("managedBy":"example.com/ctl"}})");
}

TEST(ProtobufTest, ManagedFieldsRawJson) {
  const std::string entry = BytesField(1, "kubectl") + BytesField(2, "Apply") +
                            BytesField(6, "FieldsV1") +
                            BytesField(7, BytesField(1, R"({"f:data":{"f:a":{}}})"));
  const std::string meta = BytesField(1, "cm") + BytesField(17, entry);
  EXPECT_EQ(DecodeToJson(Envelope("v1", "ConfigMap", BytesField(1, meta))),
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","managedFields":[)"
            R"({"manager":"kubectl","operation":"Apply","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:data":{"f:a":{}}}}]}})");

  absl::Status s = DecodeError(Envelope(
      "v1", "ConfigMap", BytesField(1, BytesField(17, BytesField(7, BytesField(1, "{"))))));
  EXPECT_TRUE(absl::StartsWith(
      s.message(), "protobuf: field metadata.managedFields[0].fieldsV1: raw is not JSON"))
      << s.message();
}

TEST(ProtobufTest, NodeTaintsAndEventReferences) {
  const std::string taint = BytesField(1, "dedicated") + BytesField(2, "gpu") +
                            BytesField(3, "NoSchedule") + BytesField(4, Time(1700000000));
  const std::string node_spec = BytesField(1, "10.0.0.0/24") + BytesField(7, "10.0.0.0/24") +
                                VarintField(4, 1) + BytesField(5, taint);
  const std::string status =
      BytesField(1, MapEntry("cpu", Quantity("4"))) +
      BytesField(4, BytesField(1, "Ready") + BytesField(2, "True") + BytesField(3, "")) +
      BytesField(6, BytesField(1, VarintField(1, 10250)));
  EXPECT_EQ(DecodeToJson(Envelope(
                "v1", "Node", Metadata("n1") + BytesField(2, node_spec) + BytesField(3, status))),
            R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},)"
            R"("spec":{"podCIDR":"10.0.0.0/24","podCIDRs":["10.0.0.0/24"],"unschedulable":true,)"
            R"("taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule",)"
            R"("timeAdded":"2023-11-14T22:13:20Z"}]},"status":{"capacity":{"cpu":"4"},)"
            R"("conditions":[{"type":"Ready","status":"True"}],)"
            R"("daemonEndpoints":{"kubeletEndpoint":{"Port":10250}}}})");

  // Event.involvedObject has no omitempty: kept even when empty.
  EXPECT_EQ(DecodeToJson(Envelope("v1", "Event",
                                  Metadata("e") + BytesField(2, "") + BytesField(3, "Started") +
                                      VarintField(8, 1) + BytesField(5, BytesField(1, "")))),
            R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},"involvedObject":{},)"
            R"("reason":"Started","count":1})");
}

TEST(ProtobufTest, RepeatedMessageFieldIsMerged) {
  // Protobuf merges a message field that occurs twice; the later scalar wins.
  const std::string raw = BytesField(1, BytesField(1, "a") + BytesField(3, "ns1")) +
                          BytesField(1, BytesField(3, "ns2"));
  EXPECT_EQ(DecodeToJson(Envelope("v1", "ConfigMap", raw)),
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns2"}})");
}

// Every truncation and many single-byte changes of the captured bodies decode or fail cleanly.
TEST(ProtobufTest, DamagedBodiesFailCleanly) {
  for (const char* hex : {kNamespaceHex, kConfigMapHex, kSecretHex, kJobHex, kPriorityClassHex,
                          kSecretTlsHex, kSecretDockerHex}) {
    const std::string body = Unhex(hex);
    for (size_t n = 0; n < body.size(); ++n) {
      absl::StatusOr<json::object> o = DecodeKubernetesProtobuf(body.substr(0, n));
      if (!o.ok()) {
        EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << n;
      }
    }
    for (size_t i = 4; i < body.size(); ++i) {
      for (char c : {'\x00', '\x01', '\x7f', '\x80', '\xff'}) {
        std::string damaged = body;
        damaged[i] = c;
        absl::StatusOr<json::object> o = DecodeKubernetesProtobuf(damaged);
        if (!o.ok()) {
          EXPECT_TRUE(o.status().code() == absl::StatusCode::kInvalidArgument ||
                      o.status().code() == absl::StatusCode::kUnimplemented)
              << o.status();
        }
      }
    }
  }
}

}  // namespace
}  // namespace shoal::api
