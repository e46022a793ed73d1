// GGUF header parsing (ggml docs/gguf.md), versions 2 and 3, little-endian:
//   magic "GGUF", u32 version, u64 tensor_count, u64 metadata_kv_count,
//   kv: string key, u32 value_type, value   (string = u64 length + bytes; array = u32 type,
//       u64 count, values, nestable),
//   tensor info: string name, u32 n_dims, u64 dims[n_dims] (ne[0] fastest), u32 ggml_type,
//       u64 offset relative to the data section,
//   padding to general.alignment (u32, default 32, a power of two), then the data section.
// Every count and length is checked against the bytes left before anything is allocated, so a
// huge count in a small file fails at once instead of allocating or looping.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

#include "vm/model/formats.h"

namespace tl {

namespace {

enum GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
  kTypeCount
};

constexpr const char* kTypeNames[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
// Smallest encoding of one value of each type (a string: its 8-byte length; an array: type and
// count). Used to bound element counts by the bytes left.
constexpr uint64_t kMinSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};

constexpr uint32_t kMaxDims = 4;     // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;  // deeper nesting is refused, never recursed into
constexpr uint64_t kDefaultAlignment = 32;

class Reader {
 public:
  Reader(const std::filesystem::path& path, std::span<const std::byte> file)
      : path_(path), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return file_.size() - pos_; }

  [[noreturn]] void fail(const std::string& detail) const { throw ModelFileError(path_, detail); }
  [[noreturn]] void fail_at(uint64_t at, const std::string& detail) const {
    fail(fmt::format("{} (at byte {})", detail, at));
  }

  void need(uint64_t n, const char* what) const {
    if (n > left())
      fail(fmt::format("truncated header: {} needs {} bytes at byte {}, but the file ends at {}",
                       what, n, pos_, file_.size()));
  }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(what);
    if (len > left())
      fail(fmt::format("{} at byte {} has length {}, past the end of the file ({} bytes left)",
                       what, at, len, left()));
    std::string s(reinterpret_cast<const char*>(file_.data()) + pos_, len);
    pos_ += len;
    return s;
  }

 private:
  const std::filesystem::path& path_;
  std::span<const std::byte> file_;
  uint64_t pos_ = 0;
};

std::string type_name(uint32_t t) {
  return t < kTypeCount ? kTypeNames[t] : "?";
}

// Reads one value of type `t`; `type_out` gets its spelled type ("array[f32]", ...).
nlohmann::json read_value(Reader& r, uint32_t t, const std::string& key, int depth,
                          std::string* type_out) {
  if (type_out) *type_out = type_name(t);
  switch (t) {
    case kU8:
      return r.read<uint8_t>("a u8 value");
    case kI8:
      return r.read<int8_t>("an i8 value");
    case kU16:
      return r.read<uint16_t>("a u16 value");
    case kI16:
      return r.read<int16_t>("an i16 value");
    case kU32:
      return r.read<uint32_t>("a u32 value");
    case kI32:
      return r.read<int32_t>("an i32 value");
    case kF32:
      return r.read<float>("an f32 value");
    case kU64:
      return r.read<uint64_t>("a u64 value");
    case kI64:
      return r.read<int64_t>("an i64 value");
    case kF64:
      return r.read<double>("an f64 value");
    case kBool: {
      const uint64_t at = r.pos();
      const uint8_t b = r.read<uint8_t>("a bool value");
      if (b > 1)
        r.fail_at(at, fmt::format("metadata '{}': bool value {} is neither 0 nor 1", key, b));
      return b == 1;
    }
    case kString:
      return r.read_string("a string value");
    case kArray: {
      if (depth >= kMaxArrayNesting)
        r.fail_at(r.pos(), fmt::format("metadata '{}': arrays nested deeper than {} levels", key,
                                       kMaxArrayNesting));
      const uint64_t at = r.pos();
      const uint32_t et = r.read<uint32_t>("an array's element type");
      if (et >= kTypeCount)
        r.fail_at(at, fmt::format("metadata '{}': unknown array element type {} (valid: 0..12)",
                                  key, et));
      const uint64_t count = r.read<uint64_t>("an array's element count");
      if (count > r.left() / kMinSize[et])
        r.fail_at(at, fmt::format("metadata '{}': array of {} {} values cannot fit in the {} bytes "
                                  "left in the file",
                                  key, count, type_name(et), r.left()));
      nlohmann::json arr = nlohmann::json::array();
      arr.get_ref<nlohmann::json::array_t&>().reserve(count);
      std::string inner = type_name(et);
      for (uint64_t i = 0; i < count; ++i) {
        std::string elem_type;
        arr.push_back(read_value(r, et, key, depth + 1, &elem_type));
        if (i == 0) inner = elem_type;
      }
      if (type_out) *type_out = "array[" + inner + "]";
      return arr;
    }
    default:
      break;
  }
  r.fail_at(r.pos(), fmt::format("metadata '{}': unknown value type {}", key, t));
}

}  // namespace

ModelHeader parse_gguf(const std::filesystem::path& path, std::span<const std::byte> file) {
  Reader r(path, file);
  ModelHeader h;
  h.path = path;
  h.format = ModelFormat::Gguf;
  h.file_size = file.size();

  const uint32_t magic = r.read<uint32_t>("the magic 'GGUF'");
  if (magic != 0x46554747u) r.fail("wrong magic: a GGUF file starts with the bytes 'GGUF'");
  const uint32_t version = r.read<uint32_t>("the version");
  if (version == 1)
    r.fail(
        "unsupported GGUF version 1 (the 2023 draft format); convert it again with a current "
        "llama.cpp (versions 2 and 3 are supported)");
  if (version != 2 && version != 3)
    r.fail(fmt::format("unsupported GGUF version {} (versions 2 and 3 are supported)", version));
  h.version = version;

  const uint64_t n_tensors = r.read<uint64_t>("the tensor count");
  const uint64_t n_kv = r.read<uint64_t>("the metadata count");
  // A kv is at least key length (8) + type (4) + 1 byte; a tensor info at least 8 + 4 + 4 + 8.
  if (n_kv > r.left() / 13)
    r.fail(
        fmt::format("metadata count {} cannot fit: the {} bytes left in the file hold at most "
                    "{} entries (truncated header or corrupt count)",
                    n_kv, r.left(), r.left() / 13));
  if (n_tensors > r.left() / 24)
    r.fail(
        fmt::format("tensor count {} cannot fit: the {} bytes left in the file hold at most "
                    "{} tensor infos (truncated header or corrupt count)",
                    n_tensors, r.left(), r.left() / 24));

  std::unordered_set<std::string> keys;
  h.alignment = kDefaultAlignment;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = r.pos();
    std::string key = r.read_string("a metadata key");
    if (!keys.insert(key).second) r.fail_at(at, fmt::format("duplicate metadata key '{}'", key));
    const uint64_t tat = r.pos();
    const uint32_t t = r.read<uint32_t>("a metadata value type");
    if (t >= kTypeCount)
      r.fail_at(tat, fmt::format("metadata '{}': unknown value type {} (valid: 0..12)", key, t));
    std::string spelled = type_name(t);
    nlohmann::json value = read_value(r, t, key, 0, &spelled);
    if (key == "general.alignment") {
      if (t != kU32)
        r.fail_at(at, fmt::format("general.alignment must be a u32, found {}", spelled));
      const uint64_t a = value.get<uint32_t>();
      if (a == 0 || (a & (a - 1)) != 0)
        r.fail_at(at, fmt::format("general.alignment {} is not a power of two", a));
      h.alignment = a;
    }
    h.metadata.push_back({std::move(key), std::move(spelled),
                          std::make_shared<const nlohmann::json>(std::move(value))});
  }

  std::unordered_set<std::string> names;
  h.tensors.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t at = r.pos();
    std::string name = r.read_string("a tensor name");
    const std::string where = fmt::format("tensor '{}'", name);
    if (!names.insert(name).second) r.fail_at(at, fmt::format("duplicate tensor name '{}'", name));
    const uint32_t n_dims = r.read<uint32_t>("a tensor's dimension count");
    if (n_dims > kMaxDims)
      r.fail_at(at, fmt::format("{}: {} dimensions (n_dims) is more than the {} ggml supports",
                                where, n_dims, kMaxDims));
    std::vector<uint64_t> ne(n_dims);
    for (auto& d : ne) d = r.read<uint64_t>("a tensor dimension");
    const uint64_t type_at = r.pos();
    const uint32_t gtype = r.read<uint32_t>("a tensor type");
    const uint64_t rel = r.read<uint64_t>("a tensor offset");

    const auto dtype = dtype_from_ggml(int64_t{gtype});
    if (!dtype) r.fail_at(type_at, fmt::format("{}: unknown ggml tensor type {}", where, gtype));
    const auto& di = dtype_info(*dtype);
    uint64_t elems = 1;
    for (uint64_t d : ne) {
      if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(elems, d, &elems) ||
          elems > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        r.fail_at(at, fmt::format("{}: dimensions [{}] overflow: the element count does not fit "
                                  "in 63 bits",
                                  where, fmt::join(ne, ", ")));
    }
    if ((!ne.empty() && ne[0] % di.block_elems != 0) || elems % di.block_elems != 0)
      r.fail_at(at, fmt::format("{}: row length {} is not a multiple of the {} block size {}",
                                where, ne.empty() ? 1 : ne[0], di.name, di.block_elems));
    const uint64_t nbytes =
        elems / di.block_elems * di.block_bytes;  // cannot overflow: bb <= 292 * be
    if (rel % h.alignment != 0)
      r.fail_at(at, fmt::format("{}: data offset {} is misaligned: not a multiple of the "
                                "alignment {}",
                                where, rel, h.alignment));
    // Row-major shape: ggml's ne[0] is the fastest-varying dim, i.e. the last numpy dim.
    std::vector<int64_t> dims(ne.rbegin(), ne.rend());
    h.tensors.push_back({std::move(name), *dtype, Shape(std::move(dims)), rel, nbytes});
  }

  // Data section: after the tensor infos, padded to the alignment.
  const uint64_t end_of_infos = r.pos();
  const uint64_t pad = (h.alignment - end_of_infos % h.alignment) % h.alignment;
  h.data_offset = end_of_infos + pad;
  if (n_tensors > 0 && h.data_offset > h.file_size)
    r.fail(
        fmt::format("truncated file: the data section would start at byte {}, past the end "
                    "of the file ({} bytes)",
                    h.data_offset, h.file_size));
  const uint64_t data_size = h.file_size > h.data_offset ? h.file_size - h.data_offset : 0;

  // Bounds, then overlap (in offset order).
  std::vector<size_t> order(h.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    auto& t = h.tensors[i];
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      r.fail(
          fmt::format("tensor '{}': data [{}, {}) in the data section runs past the end of "
                      "the file (the data section has {} bytes; truncated file or bad offset)",
                      t.name, t.offset, t.offset + t.nbytes, data_size));
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return h.tensors[a].offset < h.tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = h.tensors[order[k - 1]];
    const auto& cur = h.tensors[order[k]];
    if (cur.offset < prev.offset + prev.nbytes)
      r.fail(fmt::format("tensor '{}': data at offset {} overlaps tensor '{}' [{}, {})", cur.name,
                         cur.offset, prev.name, prev.offset, prev.offset + prev.nbytes));
  }
  for (auto& t : h.tensors) t.offset += h.data_offset;
  return h;
}

}  // namespace tl
