// A GGUF v3 header writer for benchmarks that need a model-sized file without its data: the
// caller writes the header and makes the file sparse up to data_bytes() past it. Tests never use
// it: their GGUF files come from ggml's own writer (../shared/fixtures).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tl::bench {

class GgufHeader {
 public:
  GgufHeader(uint64_t tensor_count, uint64_t metadata_count) {
    u32(3);  // version
    u64(tensor_count);
    u64(metadata_count);
  }
  void metadata_string(std::string_view key, std::string_view value) {
    str(key);
    u32(8);  // GGUF string
    str(value);
  }
  // An array of `n` strings (a tokenizer vocabulary): item(i) gives each.
  template <class F>
  void metadata_strings(std::string_view key, uint64_t n, F item) {
    array_head(key, 8, n);
    for (uint64_t i = 0; i < n; ++i) str(item(i));
  }
  // An array of `n` f32 values: item(i) gives each.
  template <class F>
  void metadata_f32s(std::string_view key, uint64_t n, F item) {
    array_head(key, 6, n);
    for (uint64_t i = 0; i < n; ++i) {
      const float f = item(i);
      raw(&f, 4);
    }
  }
  // A tensor of ggml type `type` whose dims are listed innermost first (as GGUF stores them),
  // taking `bytes` of data; offsets advance with 32-byte alignment.
  void tensor(std::string_view name, std::initializer_list<uint64_t> dims, uint32_t type,
              uint64_t bytes) {
    str(name);
    u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) u64(d);
    u32(type);
    u64(data_bytes_);
    data_bytes_ += (bytes + 31) / 32 * 32;
  }
  // The header, padded to the 32-byte alignment where tensor data starts.
  std::string finish() {
    while (b_.size() % 32) b_ += '\0';
    return b_;
  }
  uint64_t data_bytes() const { return data_bytes_; }

 private:
  void raw(const void* v, size_t n) { b_.append(static_cast<const char*>(v), n); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(std::string_view s) {
    u64(s.size());
    b_ += s;
  }
  void array_head(std::string_view key, uint32_t item_type, uint64_t n) {
    str(key);
    u32(9);  // GGUF array
    u32(item_type);
    u64(n);
  }

  std::string b_ = "GGUF";
  uint64_t data_bytes_ = 0;
};

}  // namespace tl::bench
