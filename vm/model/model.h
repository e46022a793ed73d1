// Model files: safetensors and GGUF, detected by content, mapped lazily.
//
// CONTRACT (the model I/O work implements it; other layers code against it): opening a model
// reads and validates the header only; tensor bytes are touched on first use. This library is a
// leaf: no backend, no compiler dependency. Errors are FormatError naming the file (and offset).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vm/core/dtype.h"
#include "vm/core/error.h"
#include "vm/core/half.h"
#include "vm/tensor/shape.h"

namespace tl {

enum class ModelFormat { Safetensors, Gguf };
std::string_view format_name(ModelFormat);

// The FormatError model I/O throws: what() is "FILE: DETAIL"; DETAIL says what is wrong and, where
// it helps, at which byte offset. Tools print "FILE: error: DETAIL".
class ModelFileError : public FormatError {
 public:
  ModelFileError(std::filesystem::path path, std::string detail);
  const std::filesystem::path& path() const { return path_; }
  const std::string& detail() const { return detail_; }

 private:
  std::filesystem::path path_;
  std::string detail_;
};

struct TensorInfo {
  std::string name;
  DType dtype;
  Shape shape;      // row-major (NumPy/PyTorch order); for GGUF the reverse of the file's dims
  uint64_t offset;  // absolute byte offset of the data in the file
  uint64_t nbytes;
};

struct MetadataEntry {
  std::string key;
  std::string
      type;  // GGUF value type ("u32", "string", "array[f32]", ...); "string" for safetensors
  std::shared_ptr<const nlohmann::json> value;  // the value; GGUF arrays become JSON arrays
};

// What a file's header says: enough for the checker and the LSP, without the tensor data.
struct ModelHeader {
  std::filesystem::path path;
  ModelFormat format;
  uint64_t file_size = 0;
  uint32_t version = 0;    // GGUF version; 0 for safetensors
  uint64_t alignment = 0;  // GGUF data alignment (general.alignment, default 32); 0 for safetensors
  uint64_t data_offset = 0;  // absolute offset of the data section (safetensors: 8 + header length)
  std::vector<TensorInfo> tensors;      // in file order
  std::vector<MetadataEntry> metadata;  // in file order

  const TensorInfo* find(std::string_view name) const;
  const MetadataEntry* find_metadata(std::string_view key) const;
  // Up to `max` tensor names closest to `name` (edit distance), best first, for "did you mean".
  std::vector<std::string> closest_names(std::string_view name, size_t max = 3) const;
};

// Reads and validates the header only. Throws ModelFileError with a clear message; CoreML files
// (.mlmodel/.mlpackage) get an error saying CoreML runs only on Apple platforms and naming the
// safetensors/GGUF alternatives.
ModelHeader read_model_header(const std::filesystem::path& path);

// Header reads cached by path, size and mtime (owned by its user: the checker, the LSP). Not
// thread-safe: one cache per thread, or a lock around get().
class ModelHeaderCache {
 public:
  std::shared_ptr<const ModelHeader> get(const std::filesystem::path& path);

 private:
  struct Entry;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

class Tokenizer;

// An open, memory-mapped model file.
class Model {
 public:
  static std::shared_ptr<Model> open(const std::filesystem::path& path);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelHeader& header() const { return header_; }
  // The tensor's bytes as stored (f16/f32/... or ggml blocks), a view into the mapping.
  std::span<const std::byte> raw(const TensorInfo& t) const;
  // A Float-kind tensor converted to f16 (nearest-even, overflow to +-inf); Quant kinds are
  // dequantized as ggml does, then rounded. Int/Unsupported kinds throw RuntimeError naming the
  // tensor and its dtype.
  std::vector<f16_bits> to_f16(const TensorInfo& t) const;
  // The same values in f32 without the final rounding: exactly what ggml's dequantize_row_*
  // gives (and the exact value for F16/BF16/F32; F64 is rounded to f32).
  std::vector<float> to_f32(const TensorInfo& t) const;
  // The tokenizer of a GGUF file's tokenizer.ggml.* metadata (tokenizer.h), built on first use
  // and kept; thread-safe. Throws FormatError as Tokenizer::from_gguf (and again on every call).
  const Tokenizer& tokenizer() const;

 private:
  Model();
  ModelHeader header_;
  mutable std::mutex tokenizer_mutex_;
  mutable std::shared_ptr<const Tokenizer> tokenizer_;
  struct Mapping;
  std::unique_ptr<Mapping> mapping_;
};

struct NamedTensorF16 {
  std::string name;
  Shape shape;
  std::span<const f16_bits> data;
};

// Writes an F16 safetensors file PyTorch reads: "__metadata__" with {"format": "pt"} plus
// `metadata` ("format" is always "pt"), header padded with spaces to a multiple of 8, tensors laid
// out in name order (the reference writer's order for one dtype). Written to a temporary file in
// the same directory, fsynced and renamed, so a failure leaves any existing file intact; an
// existing read-only file is refused. Throws RuntimeError on failure (bad names or sizes, I/O).
void save_safetensors(const std::filesystem::path& path, std::span<const NamedTensorF16> tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace tl
