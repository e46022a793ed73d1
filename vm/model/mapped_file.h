// A read-only memory mapping of a whole file (RAII). Mapping costs no reads: pages are faulted in
// when touched, so opening a 10 GB model and reading its header touches only the first pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace tl {

class MappedFile {
 public:
  // Throws ModelFileError when the file cannot be opened or mapped (an empty file maps to an
  // empty span).
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }

 private:
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tl
