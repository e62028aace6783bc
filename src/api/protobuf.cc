#include "api/protobuf.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "api/internal/protobuf_tables.h"
#include "api/object.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {
namespace {

namespace json = boost::json;
using namespace internal;  // NOLINT: the descriptor vocabulary (T, M, Field, flags)

// ---------------------------------------------------------------------------------------------
// Wire format.

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }
json::string_view JsonView(std::string_view s) { return {s.data(), s.size()}; }

template <typename... Args>
absl::Status Error(const Args&... args) {
  return absl::InvalidArgumentError(base::StrCat("protobuf: ", args...));
}

// Where a value sits in the decoded object, for error messages ("spec.containers[0]").
struct Path {
  const Path* parent = nullptr;
  std::string_view name;  // JSON name; empty for a list element or an inline struct
  int64_t index = -1;     // element index in a repeated field, or -1
};

std::string Render(const Path* p) {
  if (p == nullptr) return "";
  std::string out = Render(p->parent);
  if (!p->name.empty()) {
    if (!out.empty()) out += '.';
    out += p->name;
  }
  if (p->index >= 0) base::StrAppend(&out, "[", p->index, "]");
  return out;
}

struct Tag {
  uint32_t number;
  uint32_t wire;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
};

// Reads one message's bytes. Offsets in errors are counted from the start of the request body.
class WireReader {
 public:
  // `data` starts at byte `base` of the body.
  WireReader(std::string_view data, size_t base) : data_(data), base_(base) {}

  bool AtEnd() const { return pos_ >= data_.size(); }
  size_t Offset() const { return base_ + pos_; }

  absl::StatusOr<uint64_t> Varint() {
    const size_t start = Offset();
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (AtEnd()) return Error("truncated varint at byte ", start);
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      // The tenth byte may only carry the 64th bit.
      if (shift == 63 && b > 1) return Error("varint overflows 64 bits at byte ", start);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Error("varint overflows 64 bits at byte ", start);
  }

  absl::StatusOr<Tag> NextTag() {
    const size_t at = Offset();
    ASSIGN_OR_RETURN(uint64_t key, Varint());
    const uint64_t number = key >> 3;
    const auto wire = static_cast<uint32_t>(key & 7);
    if (number == 0 || number > kMaxFieldNumber) {
      return Error("invalid field number ", number, " at byte ", at);
    }
    if (wire == 3 || wire == 4) {
      return Error("group (wire type ", wire, ") at byte ", at, " is not supported");
    }
    if (wire == 6 || wire == 7) return Error("invalid wire type ", wire, " at byte ", at);
    return Tag{static_cast<uint32_t>(number), wire};
  }

  // The payload of a length-delimited field; its offset goes to *payload_base.
  absl::StatusOr<std::string_view> LengthDelimited(size_t* payload_base) {
    const size_t start = Offset();
    ASSIGN_OR_RETURN(uint64_t len, Varint());
    const size_t left = data_.size() - pos_;
    if (len > left) {
      return Error("truncated length-delimited field at byte ", start, ": length ", len, ", ", left,
                   " bytes left");
    }
    *payload_base = Offset();
    std::string_view out = data_.substr(pos_, len);
    pos_ += len;
    return out;
  }

  absl::Status Skip(const Tag& tag) {
    size_t unused;
    switch (tag.wire) {
      case 0:
        return Varint().status();
      case 2:
        return LengthDelimited(&unused).status();
      default: {
        const size_t n = tag.wire == 1 ? 8 : 4;
        if (data_.size() - pos_ < n) {
          return Error("truncated fixed", n * 8, " field at byte ", Offset());
        }
        pos_ += n;
        return absl::OkStatus();
      }
    }
  }

 private:
  static constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

  std::string_view data_;
  size_t base_;
  size_t pos_ = 0;
};

const Field* FindField(std::span<const Field> fields, uint32_t number) {
  for (const Field& f : fields) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

bool IsVarint(T t) { return t == T::kInt32 || t == T::kInt64 || t == T::kBool; }

absl::Status WrongWireType(const Field& f, const Path* parent, const Tag& tag, uint32_t want) {
  const Path path{parent, f.json};
  return Error("field ", Render(&path), " (", f.number, ") has wire type ", tag.wire, ", want ",
               want);
}

json::value VarintValue(T t, uint64_t v) {
  switch (t) {
    case T::kInt32:  // int32 is sign-extended on the wire; the low 32 bits are the value
      return static_cast<int64_t>(static_cast<int32_t>(v));
    case T::kBool:
      return v != 0;
    default:
      return static_cast<int64_t>(v);
  }
}

// What Go's encoding/json leaves out under omitempty.
bool IsZero(T t, const json::value& v) {
  if (t == T::kIntOrString) return false;  // a struct: Go writes it, 0 and "" included
  if (v.is_string()) {
    // A non-pointer Quantity is always on the wire; "0" is its zero value.
    return v.get_string().empty() || (t == T::kQuantity && v.get_string() == "0");
  }
  if (v.is_int64()) return v.get_int64() == 0;
  if (v.is_bool()) return !v.get_bool();
  if (v.is_object()) return v.get_object().empty();
  return false;
}

// Sets a non-repeated field, or removes it when Go's JSON encoder would leave it out. A later
// occurrence of a field replaces an earlier one, as in protobuf.
void SetField(const Field& f, json::value v, json::object& fields) {
  if (v.is_null() || ((f.flags & (kPtr | kKeep)) == 0 && IsZero(f.type, v))) {
    fields.erase(f.json);
    return;
  }
  fields[f.json] = std::move(v);
}

json::array& ArrayField(const Field& f, json::object& fields) {
  json::value& v = fields[f.json];
  if (!v.is_array()) v = json::array();
  return v.get_array();
}

absl::Status DecodeFields(M m, std::string_view data, size_t base, const Path* path,
                          json::object& fields);

// Decodes a message into `out`, its members in table order after those `out` already has.
absl::Status DecodeMessage(M m, std::string_view data, size_t base, const Path* path,
                           json::object& out);

// Civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<int64_t>(z - era * 146097);
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// metav1.Time and MicroTime. Zero (both fields 0 or absent) is Go's zero time, which Go's JSON
// writes as null; so it is left out. Time drops the nanoseconds as Kubernetes' Unmarshal does.
absl::StatusOr<json::value> TimeValue(const json::object& o, bool micro, const Path* path) {
  const json::value* s = o.if_contains("seconds");
  const json::value* n = o.if_contains("nanos");
  int64_t seconds = s != nullptr ? s->get_int64() : 0;
  int64_t nanos = n != nullptr ? n->get_int64() : 0;
  if (seconds == 0 && nanos == 0) return json::value(nullptr);
  if (!micro) nanos = 0;
  seconds += nanos / 1000000000;
  nanos %= 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  // Go's Time.MarshalJSON accepts years 0 to 9999 only.
  constexpr int64_t kMin = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds < kMin || seconds > kMax) {
    return Error("field ", Render(path), ": time ", seconds, " is outside years 0-9999");
  }
  int64_t days = seconds / 86400;
  int64_t secs_of_day = seconds % 86400;
  if (secs_of_day < 0) {
    secs_of_day += 86400;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[48];
  const int h = static_cast<int>(secs_of_day / 3600);
  const int min = static_cast<int>(secs_of_day / 60 % 60);
  const int sec = static_cast<int>(secs_of_day % 60);
  if (micro) {
    std::snprintf(buf, sizeof(buf), "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%06dZ", year, month,
                  day, h, min, sec, static_cast<int>(nanos / 1000));
  } else {
    std::snprintf(buf, sizeof(buf), "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", year, month, day, h,
                  min, sec);
  }
  return json::value(buf);
}

// The value of a length-delimited field that is not a message, map entry or inline struct.
absl::StatusOr<json::value> PayloadValue(T t, std::string_view payload, size_t base,
                                         const Path* path) {
  if (t == T::kString) return json::value(JsonView(payload));
  if (t == T::kBytes) return json::value(absl::Base64Escape(base::AbslView(payload)));
  json::object o;
  switch (t) {
    case T::kQuantity: {
      RETURN_IF_ERROR(DecodeFields(M::kQuantityMsg, payload, base, path, o));
      const json::value* s = o.if_contains("string");
      return s != nullptr ? *s : json::value("");
    }
    case T::kTime:
    case T::kMicroTime:
      RETURN_IF_ERROR(DecodeFields(M::kTimeMsg, payload, base, path, o));
      return TimeValue(o, t == T::kMicroTime, path);
    case T::kIntOrString: {
      RETURN_IF_ERROR(DecodeFields(M::kIntOrStringMsg, payload, base, path, o));
      const json::value* type = o.if_contains("type");
      const int64_t kind = type != nullptr ? type->get_int64() : 0;
      if (kind == 0) {
        const json::value* v = o.if_contains("intVal");
        return v != nullptr ? *v : json::value(0);
      }
      if (kind == 1) {
        const json::value* v = o.if_contains("strVal");
        return v != nullptr ? *v : json::value("");
      }
      return Error("field ", Render(path), ": IntOrString type ", kind,
                   " is neither 0 (int) nor 1 (string)");
    }
    case T::kRawJson: {
      RETURN_IF_ERROR(DecodeFields(M::kRawMsg, payload, base, path, o));
      const json::value* raw = o.if_contains("raw");
      if (raw == nullptr || raw->get_string().empty()) return json::value(nullptr);
      absl::StatusOr<json::value> parsed = ParseJson(View(raw->get_string()));
      if (!parsed.ok()) {
        return Error("field ", Render(path), ": raw is not JSON: ", parsed.status().message());
      }
      return std::move(parsed).value();
    }
    default:
      return Error("field ", Render(path), ": no decoder");  // unreachable with valid tables
  }
}

absl::Status DecodeMapEntry(const Field& f, std::string_view payload, size_t base, const Path* path,
                            json::object& fields) {
  M entry_type = M::kStringEntry;
  if (f.type == T::kMapBytes) entry_type = M::kBytesEntry;
  if (f.type == T::kMapQuantity) entry_type = M::kQuantityEntry;
  json::object entry;
  RETURN_IF_ERROR(DecodeFields(entry_type, payload, base, path, entry));
  const json::value* key = entry.if_contains("key");
  json::value* value = entry.if_contains("value");
  json::value& map = fields[f.json];
  if (!map.is_object()) map = json::object();
  // An absent value is the zero value of its type.
  json::value v = value != nullptr ? std::move(*value) : json::value("");
  if (f.type == T::kMapQuantity && v.get_string().empty()) v = "0";
  map.get_object()[key != nullptr ? key->get_string() : json::string()] = std::move(v);
  return absl::OkStatus();
}

absl::Status DecodeField(const Field& f, const Tag& tag, WireReader& r, const Path* parent,
                         json::object& fields) {
  const bool repeated = (f.flags & kRep) != 0;
  if (IsVarint(f.type)) {
    if (tag.wire == 0) {
      ASSIGN_OR_RETURN(uint64_t v, r.Varint());
      if (repeated) {
        ArrayField(f, fields).emplace_back(VarintValue(f.type, v));
      } else {
        SetField(f, VarintValue(f.type, v), fields);
      }
      return absl::OkStatus();
    }
    if (!repeated || tag.wire != 2) return WrongWireType(f, parent, tag, 0);
    // A packed repeated field: the varints back to back in one length-delimited payload.
    size_t base;
    ASSIGN_OR_RETURN(std::string_view payload, r.LengthDelimited(&base));
    WireReader packed(payload, base);
    json::array& arr = ArrayField(f, fields);
    while (!packed.AtEnd()) {
      ASSIGN_OR_RETURN(uint64_t v, packed.Varint());
      arr.emplace_back(VarintValue(f.type, v));
    }
    return absl::OkStatus();
  }
  if (tag.wire != 2) return WrongWireType(f, parent, tag, 2);
  size_t base;
  ASSIGN_OR_RETURN(std::string_view payload, r.LengthDelimited(&base));
  const Path path{parent, f.json};
  switch (f.type) {
    case T::kInline:
      return DecodeFields(f.message, payload, base, parent, fields);
    case T::kMapString:
    case T::kMapBytes:
    case T::kMapQuantity:
      return DecodeMapEntry(f, payload, base, &path, fields);
    case T::kMessage: {
      if (repeated) {
        json::array& arr = ArrayField(f, fields);
        const Path element{&path, "", static_cast<int64_t>(arr.size())};
        json::object o;
        RETURN_IF_ERROR(DecodeMessage(f.message, payload, base, &element, o));
        arr.emplace_back(std::move(o));
        return absl::OkStatus();
      }
      // A message that occurs again is merged into the first, as in protobuf.
      json::value& slot = fields[f.json];
      if (!slot.is_object()) slot = json::object();
      RETURN_IF_ERROR(DecodeMessage(f.message, payload, base, &path, slot.get_object()));
      // Go's encoding/json writes a non-pointer struct even under omitempty, as {}; to the
      // server that means the same as no struct, so it is left out like the other zero values.
      if (slot.get_object().empty() && (f.flags & (kPtr | kKeep)) == 0) fields.erase(f.json);
      return absl::OkStatus();
    }
    default: {
      ASSIGN_OR_RETURN(json::value v, PayloadValue(f.type, payload, base, &path));
      if (repeated) {
        ArrayField(f, fields).emplace_back(std::move(v));
      } else {
        SetField(f, std::move(v), fields);
      }
      return absl::OkStatus();
    }
  }
}

// Decodes the fields of a message into `fields`, in wire order; inline structs write their
// fields there too.
// The tables have no cycles, so the recursion is as deep as the deepest type (about 15), however
// deep the input nests: unknown fields are skipped without being parsed.
absl::Status DecodeFields(M m, std::string_view data, size_t base, const Path* path,
                          json::object& fields) {
  const std::span<const Field> table = FieldsOf(m);
  WireReader r(data, base);
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(Tag tag, r.NextTag());
    const Field* f = FindField(table, tag.number);
    if (f == nullptr) {
      RETURN_IF_ERROR(r.Skip(tag));  // a field of a newer release, or one shoal does not read
      continue;
    }
    RETURN_IF_ERROR(DecodeField(*f, tag, r, path, fields));
  }
  return absl::OkStatus();
}

void MoveInTableOrder(M m, json::object& from, json::object& to) {
  for (const Field& f : FieldsOf(m)) {
    if (f.type == T::kInline) {
      MoveInTableOrder(f.message, from, to);
      continue;
    }
    if (json::value* v = from.if_contains(f.json)) to[f.json] = std::move(*v);
  }
}

absl::Status DecodeMessage(M m, std::string_view data, size_t base, const Path* path,
                           json::object& out) {
  json::object fields;
  RETURN_IF_ERROR(DecodeFields(m, data, base, path, fields));
  MoveInTableOrder(m, fields, out);
  return absl::OkStatus();
}

// runtime.Unknown, the envelope after the magic bytes.
constexpr Field kUnknownFields[] = {Msg(1, "typeMeta", M::kTypeMeta), Bytes(2, "raw"),
                                    Str(3, "contentEncoding"), Str(4, "contentType")};

}  // namespace

absl::StatusOr<json::object> DecodeKubernetesProtobuf(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, kMagic.size()) != kMagic) return Error("missing k8s magic prefix");
  WireReader r(body.substr(kMagic.size()), kMagic.size());
  json::object type_meta;
  std::string_view raw, content_encoding, content_type;
  size_t raw_base = 0;
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(Tag tag, r.NextTag());
    const Field* f = FindField(kUnknownFields, tag.number);
    if (f == nullptr) {
      RETURN_IF_ERROR(r.Skip(tag));
      continue;
    }
    if (tag.wire != 2) return WrongWireType(*f, nullptr, tag, 2);
    size_t base;
    ASSIGN_OR_RETURN(std::string_view payload, r.LengthDelimited(&base));
    switch (tag.number) {
      case 1: {
        const Path path{nullptr, f->json};
        RETURN_IF_ERROR(DecodeFields(M::kTypeMeta, payload, base, &path, type_meta));
        break;
      }
      case 2:
        raw = payload;
        raw_base = base;
        break;
      case 3:
        content_encoding = payload;
        break;
      default:
        content_type = payload;
        break;
    }
  }
  if (!content_encoding.empty()) {
    return Error("unsupported contentEncoding \"", content_encoding, "\"");
  }
  if (!content_type.empty() && content_type != "application/vnd.kubernetes.protobuf") {
    return Error("unsupported contentType \"", content_type, "\"");
  }
  const json::value* api_version = type_meta.if_contains("apiVersion");
  const json::value* kind = type_meta.if_contains("kind");
  if (api_version == nullptr || kind == nullptr) {
    return Error("the envelope's typeMeta lacks apiVersion or kind");
  }
  const std::string_view api_version_s = View(api_version->get_string());
  const std::string_view kind_s = View(kind->get_string());
  const KindEntry* entry = FindKind(api_version_s, kind_s);
  if (entry == nullptr) {
    return absl::UnimplementedError(base::StrCat(
        "protobuf bodies of ", api_version_s, ", Kind=", kind_s, " are not supported; send JSON"));
  }
  json::object out;
  out["apiVersion"] = JsonView(api_version_s);
  out["kind"] = JsonView(kind_s);
  RETURN_IF_ERROR(DecodeMessage(entry->message, raw, raw_base, nullptr, out));
  return out;
}

bool IsKubernetesProtobufKindSupported(std::string_view api_version, std::string_view kind) {
  return FindKind(api_version, kind) != nullptr;
}

}  // namespace shoal::api
