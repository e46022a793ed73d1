#include "vm/model/model.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "vm/core/suggest.h"
#include "vm/model/dequant.h"
#include "vm/model/formats.h"
#include "vm/model/mapped_file.h"

namespace tl {

std::string_view format_name(ModelFormat f) {
  switch (f) {
    case ModelFormat::Safetensors:
      return "safetensors";
    case ModelFormat::Gguf:
      return "gguf";
  }
  return "?";
}

ModelFileError::ModelFileError(std::filesystem::path path, std::string detail)
    : FormatError(path.string() + ": " + detail),
      path_(std::move(path)),
      detail_(std::move(detail)) {}

const TensorInfo* ModelHeader::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const MetadataEntry* ModelHeader::find_metadata(std::string_view key) const {
  for (const auto& m : metadata)
    if (m.key == key) return &m;
  return nullptr;
}

std::vector<std::string> ModelHeader::closest_names(std::string_view name, size_t max) const {
  std::vector<std::string_view> names;
  names.reserve(tensors.size());
  for (const auto& t : tensors) names.push_back(t.name);
  return tl::closest_names(name, names, max);
}

namespace {

bool is_coreml(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".mlmodel" || ext == ".mlpackage" || ext == ".mlmodelc";
}

std::string hex_bytes(std::span<const std::byte> b, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < b.size(); ++i)
    out += fmt::format("{}{:02x}", i ? " " : "", static_cast<uint8_t>(b[i]));
  return out;
}

bool starts_with(std::span<const std::byte> b, std::string_view s) {
  return b.size() >= s.size() && std::memcmp(b.data(), s.data(), s.size()) == 0;
}

}  // namespace

ModelHeader parse_model(const std::filesystem::path& path, std::span<const std::byte> file) {
  if (starts_with(file, "GGUF")) return parse_gguf(path, file);
  if (file.empty())
    throw ModelFileError(path,
                         "empty file: expected a GGUF file (magic 'GGUF') or a safetensors "
                         "file (8-byte header length, then a JSON header)");
  // Legacy ggml containers (before GGUF) are recognised so the message can say what to do.
  for (const char* legacy : {"lmgg", "fmgg", "tjgg", "algg"})
    if (starts_with(file, legacy))
      throw ModelFileError(path,
                           "legacy GGML/GGJT model format (before GGUF) is not supported: "
                           "convert it to GGUF with llama.cpp's conversion scripts");
  if (file.size() < 8) return parse_safetensors(path, file);  // explains the short length
  // safetensors: 8-byte little-endian header length, then a JSON document.
  const auto c = static_cast<char>(file.size() > 8 ? file[8] : std::byte{0});
  if (c == '{' || c == '[' || c == ' ' || c == '\n' || c == '\t' || c == '\r')
    return parse_safetensors(path, file);
  std::string printable;
  for (size_t i = 0; i < 4 && i < file.size(); ++i) {
    const auto ch = static_cast<unsigned char>(file[i]);
    printable += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '.';
  }
  throw ModelFileError(
      path, fmt::format("unknown model format: the file starts with {} ('{}'); expected the GGUF "
                        "magic 'GGUF' (47 47 55 46) or a safetensors header (an 8-byte "
                        "little-endian length, then '{{')",
                        hex_bytes(file, 8), printable));
}

namespace {
[[noreturn]] void coreml_error(const std::filesystem::path& path) {
  throw ModelFileError(path,
                       "CoreML models (.mlmodel/.mlpackage) run only on Apple platforms; "
                       "convert the model to safetensors or GGUF to use it here");
}
}  // namespace

ModelHeader read_model_header(const std::filesystem::path& path) {
  if (is_coreml(path)) coreml_error(path);
  MappedFile file(path);
  return parse_model(path, file.bytes());
}

// ---------------------------------------------------------------------------------------------

struct ModelHeaderCache::Entry {
  uint64_t size;
  int64_t mtime_ns;
  std::shared_ptr<const ModelHeader> header;
};

std::shared_ptr<const ModelHeader> ModelHeaderCache::get(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::make_shared<const ModelHeader>(read_model_header(path));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) key = path.string();
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second->size == size && it->second->mtime_ns == mtime)
    return it->second->header;
  auto header = std::make_shared<const ModelHeader>(read_model_header(path));
  entries_[key] = std::make_shared<Entry>(Entry{size, mtime, header});
  return header;
}

// ---------------------------------------------------------------------------------------------

struct Model::Mapping {
  explicit Mapping(const std::filesystem::path& p) : file(p) {}
  MappedFile file;
};

Model::Model() = default;
Model::~Model() = default;

std::shared_ptr<Model> Model::open(const std::filesystem::path& path) {
  if (is_coreml(path)) coreml_error(path);
  auto mapping = std::make_unique<Mapping>(path);
  std::shared_ptr<Model> m(new Model());
  m->header_ = parse_model(path, mapping->file.bytes());
  m->mapping_ = std::move(mapping);
  return m;
}

std::span<const std::byte> Model::raw(const TensorInfo& t) const {
  const auto bytes = mapping_->file.bytes();
  if (t.offset > bytes.size() || t.nbytes > bytes.size() - t.offset)
    throw RuntimeError(
        fmt::format("{}: tensor '{}' lies outside the file", header_.path.string(), t.name));
  return bytes.subspan(t.offset, t.nbytes);
}

namespace {
void check_convertible(const ModelHeader& h, const TensorInfo& t) {
  const auto& di = dtype_info(t.dtype);
  if (di.kind == DTypeKind::Int)
    throw RuntimeError(fmt::format(
        "{}: tensor '{}' has integer dtype {}; only floating-point and quantized tensors load as "
        "f16 tensors",
        h.path.string(), t.name, di.name));
  if (di.kind == DTypeKind::Unsupported)
    throw RuntimeError(fmt::format("{}: tensor '{}' has dtype {}, which this version cannot load",
                                   h.path.string(), t.name, di.name));
}

uint64_t elems_of(const TensorInfo& t) {
  const auto& di = dtype_info(t.dtype);
  return t.nbytes / di.block_bytes * di.block_elems;
}

// Converts in chunks so a large quantized tensor never needs a full f32 copy.
template <typename Sink>
void dequantize_chunks(const TensorInfo& t, std::span<const std::byte> src, Sink&& sink) {
  const auto& di = dtype_info(t.dtype);
  const uint64_t total_blocks = t.nbytes / di.block_bytes;
  const uint64_t chunk_blocks = std::max<uint64_t>(1, 16384 / di.block_elems);
  std::vector<float> buf(chunk_blocks * di.block_elems);
  for (uint64_t b = 0; b < total_blocks; b += chunk_blocks) {
    const uint64_t nb = std::min(chunk_blocks, total_blocks - b);
    dequantize_row(t.dtype, src.data() + b * di.block_bytes, buf.data(),
                   static_cast<int64_t>(nb * di.block_elems));
    sink(b * di.block_elems, std::span<const float>(buf.data(), nb * di.block_elems));
  }
}
}  // namespace

std::vector<f16_bits> Model::to_f16(const TensorInfo& t) const {
  check_convertible(header_, t);
  const auto src = raw(t);
  std::vector<f16_bits> out(elems_of(t));
  switch (t.dtype) {
    case DType::F16:
      if (!out.empty()) std::memcpy(out.data(), src.data(), out.size() * 2);
      return out;
    case DType::F64:  // rounded directly: f64 -> f32 -> f16 would round twice
      for (size_t i = 0; i < out.size(); ++i) {
        double d;
        std::memcpy(&d, src.data() + i * 8, 8);
        out[i] = f64_to_f16(d);
      }
      return out;
    default:
      dequantize_chunks(t, src, [&](uint64_t at, std::span<const float> vals) {
        for (size_t i = 0; i < vals.size(); ++i) out[at + i] = f32_to_f16(vals[i]);
      });
      return out;
  }
}

std::vector<float> Model::to_f32(const TensorInfo& t) const {
  check_convertible(header_, t);
  const auto src = raw(t);
  std::vector<float> out(elems_of(t));
  dequantize_chunks(t, src, [&](uint64_t at, std::span<const float> vals) {
    std::memcpy(out.data() + at, vals.data(), vals.size() * sizeof(float));
  });
  return out;
}

}  // namespace tl
