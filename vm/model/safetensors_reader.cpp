// safetensors header parsing, with the validation rules of the reference implementation
// (huggingface/safetensors, tensor.rs: read_metadata + Metadata::validate):
//   8-byte little-endian header length N, N <= 100 MB, 8 + N <= file size; the header is UTF-8
//   JSON, an object; "__metadata__" maps strings to strings; every other key is a tensor with
//   "dtype", "shape" and "data_offsets" [begin, end) relative to the data buffer. Sorted by
//   offsets, tensors must tile the data buffer exactly: each begins where the previous ended, no
//   overlap, no gap, and the last ends at the end of the file. shape product x dtype size must
//   equal end - begin, computed without overflow.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "vm/model/formats.h"

namespace tl {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference's MAX_HEADER_SIZE

// Not ordered_json: its objects find keys by linear search, which makes a header of n entries
// parse in O(n^2). The order of "__metadata__" keys (the only order kept) is recorded while
// parsing.
using ojson = nlohmann::json;

struct Pending {
  TensorInfo info;
  uint64_t begin, end;  // data_offsets, relative to the data buffer
};

// A JSON value as a non-negative integer that fits in uint64, or nullopt.
std::optional<uint64_t> as_u64(const ojson& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i >= 0) return static_cast<uint64_t>(i);
  }
  return std::nullopt;
}

// The keys of the top-level "__metadata__" object in file order, by a second SAX pass that builds
// nothing (a parse callback would do it too, but nlohmann's callback parser rescans each object
// at its end: O(n^2) for a header of n tensors).
struct MetadataKeyOrder : nlohmann::json_sax<ojson> {
  std::vector<std::string> keys;
  int depth = 0;
  bool in_metadata = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return ++depth, true; }
  bool end_object() override {
    if (--depth == 1) in_metadata = false;
    return true;
  }
  bool start_array(std::size_t) override { return ++depth, true; }
  bool end_array() override { return --depth, true; }
  bool key(string_t& k) override {
    if (depth == 1)
      in_metadata = k == "__metadata__";
    else if (depth == 2 && in_metadata)
      keys.push_back(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

std::string shape_text(const std::vector<uint64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

}  // namespace

ModelHeader parse_safetensors(const std::filesystem::path& path, std::span<const std::byte> file) {
  auto fail = [&](const std::string& detail) -> ModelFileError {
    return ModelFileError(path, detail);
  };
  const uint64_t size = file.size();
  if (size == 0) throw fail("empty file: a safetensors file starts with an 8-byte header length");
  if (size < 8)
    throw fail(fmt::format(
        "file too short ({} bytes): a safetensors file starts with an 8-byte header length", size));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(file[i]);
  if (n > kMaxHeaderBytes)
    throw fail(
        fmt::format("header length {} is too large (the limit is {} bytes)", n, kMaxHeaderBytes));
  if (n > size - 8)
    throw fail(fmt::format(
        "header length {} runs past the end of the file ({} bytes; the header needs {})", n, size,
        n + 8));
  const char* text = reinterpret_cast<const char*>(file.data()) + 8;
  ojson header;
  std::vector<std::string> metadata_order;
  try {
    header = ojson::parse(text, text + n);
    MetadataKeyOrder order;
    ojson::sax_parse(text, text + n, &order);
    metadata_order = std::move(order.keys);
  } catch (const ojson::exception& e) {
    throw fail(fmt::format("header (bytes 8..{}) is not valid JSON: {}", 8 + n, e.what()));
  }
  if (!header.is_object())
    throw fail(fmt::format("header is not a JSON object (found a JSON {})", header.type_name()));

  ModelHeader h;
  h.path = path;
  h.format = ModelFormat::Safetensors;
  h.file_size = size;
  h.data_offset = 8 + n;
  const uint64_t data_size = size - h.data_offset;

  std::vector<Pending> pending;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object())
        throw fail(fmt::format("\"__metadata__\" must be an object of strings, found a JSON {}",
                               value.type_name()));
      std::set<std::string_view> seen;
      for (const std::string& mkey : metadata_order) {
        if (!seen.insert(mkey).second) continue;  // a repeated key: its last value, as serde
        const auto it = value.find(mkey);
        if (it == value.end()) continue;
        const ojson& mvalue = *it;
        if (!mvalue.is_string())
          throw fail(
              fmt::format("\"__metadata__\" value for \"{}\" must be a string, found a JSON {}",
                          mkey, mvalue.type_name()));
        h.metadata.push_back(
            {mkey, "string", std::make_shared<const nlohmann::json>(mvalue.get<std::string>())});
      }
      continue;
    }
    const std::string where = fmt::format("tensor '{}'", key);
    if (!value.is_object())
      throw fail(
          fmt::format("{}: entry must be an object with \"dtype\", \"shape\" and "
                      "\"data_offsets\", found a JSON {}",
                      where, value.type_name()));
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) throw fail(fmt::format("{}: missing \"{}\"", where, field));

    const auto& jdtype = value["dtype"];
    if (!jdtype.is_string()) throw fail(fmt::format("{}: \"dtype\" must be a string", where));
    const std::string dname = jdtype.get<std::string>();
    const auto dtype = dtype_from_name(dname);
    if (!dtype || dtype_info(*dtype).block_elems != 1)
      throw fail(fmt::format(
          "{}: unknown dtype \"{}\" (safetensors dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, "
          "U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2)",
          where, dname));

    const auto& jshape = value["shape"];
    if (!jshape.is_array()) throw fail(fmt::format("{}: \"shape\" must be an array", where));
    std::vector<uint64_t> dims;
    for (const auto& d : jshape) {
      if (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0)
        throw fail(fmt::format("{}: negative dimension {} in \"shape\"", where, d.get<int64_t>()));
      const auto v = as_u64(d);
      if (!v) throw fail(fmt::format("{}: \"shape\" entries must be non-negative integers", where));
      dims.push_back(*v);
    }
    // Element count and byte length without overflow (the reference's ValidationOverflow).
    uint64_t elems = 1;
    bool overflow = false;
    for (uint64_t d : dims) {
      if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(elems, d, &elems))
        overflow = true;
    }
    const uint64_t esize = dtype_info(*dtype).block_bytes;
    uint64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(elems, esize, &nbytes) ||
        elems > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw fail(fmt::format("{}: shape {} overflows: its byte size does not fit in 64 bits", where,
                             shape_text(dims)));

    const auto& joff = value["data_offsets"];
    if (!joff.is_array() || joff.size() != 2)
      throw fail(fmt::format("{}: \"data_offsets\" must be an array [begin, end]", where));
    const auto b = as_u64(joff[0]), e = as_u64(joff[1]);
    if (!b || !e)
      throw fail(fmt::format("{}: \"data_offsets\" must be non-negative integers", where));
    if (*e < *b)
      throw fail(
          fmt::format("{}: data_offsets [{}, {}] are reversed (end before begin)", where, *b, *e));
    if (*e > data_size)
      throw fail(fmt::format(
          "{}: data_offsets [{}, {}] are out of range: they run past the end of the data buffer "
          "({} bytes; the file is truncated or the offsets are wrong)",
          where, *b, *e, data_size));
    if (*e - *b != nbytes)
      throw fail(fmt::format(
          "{}: shape {} of {} needs {} bytes but data_offsets [{}, {}] span {} (size mismatch)",
          where, shape_text(dims), dname, nbytes, *b, *e, *e - *b));

    std::vector<int64_t> sdims(dims.begin(), dims.end());
    pending.push_back(
        {TensorInfo{key, *dtype, Shape(std::move(sdims)), h.data_offset + *b, nbytes}, *b, *e});
  }

  // The data buffer must be tiled exactly, in offset order.
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& x, const Pending& y) {
    return std::pair(x.begin, x.end) < std::pair(y.begin, y.end);
  });
  uint64_t at = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const auto& p = pending[i];
    if (p.begin < at)
      throw fail(
          fmt::format("tensor '{}': data_offsets [{}, {}] overlap tensor '{}' (which ends at {})",
                      p.info.name, p.begin, p.end, pending[i - 1].info.name, at));
    if (p.begin > at)
      throw fail(
          fmt::format("tensor '{}': data_offsets [{}, {}] leave a gap of {} bytes after offset {} "
                      "(tensors must "
                      "cover the data buffer without gaps)",
                      p.info.name, p.begin, p.end, p.begin - at, at));
    at = p.end;
  }
  if (at != data_size)
    throw fail(fmt::format(
        "tensors cover {} bytes of data but the file has {} bytes after the header ({} bytes "
        "not covered by any tensor)",
        at, data_size, data_size - at));

  // Duplicate names cannot occur: nlohmann keeps the last value of a repeated key, as serde does.
  h.tensors.reserve(pending.size());
  for (auto& p : pending) h.tensors.push_back(std::move(p.info));
  return h;
}

}  // namespace tl
