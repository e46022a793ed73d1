// save_safetensors: an F16 safetensors file laid out the way the reference writer
// (huggingface/safetensors, tensor.rs: prepare + serialize) lays it out: tensors sorted by dtype
// alignment then name (one dtype here, so by name), contiguous data offsets, "__metadata__"
// first, the JSON header padded with spaces to a multiple of 8 bytes.
//
// Atomicity: the bytes go to a new temporary file in the target's directory, which is fsynced and
// then renamed over the target (and the directory fsynced), so readers see the old file or the
// new one, never a mix; on any failure the temporary file is removed and the old file is intact.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "vm/core/error.h"
#include "vm/model/model.h"

namespace tl {

namespace {

[[noreturn]] void save_error(const std::filesystem::path& path, const std::string& why) {
  throw RuntimeError(fmt::format("cannot save '{}': {}", path.string(), why));
}

class TempFile {
 public:
  TempFile(const std::filesystem::path& target) {
    const auto dir =
        target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    static std::atomic<uint64_t> counter{0};
    std::random_device rd;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
      path_ = dir / fmt::format(".{}.tmp-{}-{}-{:08x}", target.filename().string(), ::getpid(),
                                counter++, rd());
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0)
      save_error(target, fmt::format("cannot create a temporary file in '{}': {}", dir.string(),
                                     std::strerror(errno)));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const std::filesystem::path& target, const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, std::min<size_t>(n, size_t{1} << 30));
      if (w < 0) {
        if (errno == EINTR) continue;
        save_error(target, fmt::format("write failed: {}", std::strerror(errno)));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void commit(const std::filesystem::path& target) {
    if (::fsync(fd_) != 0)
      save_error(target, fmt::format("fsync failed: {}", std::strerror(errno)));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) save_error(target, fmt::format("close failed: {}", std::strerror(errno)));
    if (::rename(path_.c_str(), target.c_str()) != 0)
      save_error(target, fmt::format("rename failed: {}", std::strerror(errno)));
    committed_ = true;
    // Make the rename itself durable.
    const auto dir =
        target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void save_safetensors(const std::filesystem::path& path, std::span<const NamedTensorF16> tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Validate everything before touching the file system.
  std::vector<const NamedTensorF16*> order;
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    if (t.name.empty()) save_error(path, "a tensor has an empty name");
    if (t.name == "__metadata__") save_error(path, "'__metadata__' cannot be a tensor name");
    if (!seen.insert(t.name).second)
      save_error(path, fmt::format("duplicate tensor name '{}'", t.name));
    uint64_t elems = 1;
    for (int64_t d : t.shape.dims()) {
      if (d < 0 || __builtin_mul_overflow(elems, static_cast<uint64_t>(d), &elems))
        save_error(path,
                   fmt::format("tensor '{}' has an invalid shape {}", t.name, t.shape.to_string()));
    }
    if (elems != t.data.size())
      save_error(path, fmt::format("tensor '{}' of shape {} has {} elements of data, expected {}",
                                   t.name, t.shape.to_string(), t.data.size(), elems));
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const NamedTensorF16* a, const NamedTensorF16* b) { return a->name < b->name; });

  // An existing read-only file is the user's statement that it must not change; rename() would
  // replace it anyway, so refuse explicitly (the mode bits, not access(), so root is refused too).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) save_error(path, "it is a directory");
    if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
      save_error(path, "the existing file is read-only");
  }

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta["format"] = "pt";
  for (const auto& [k, v] : metadata)
    if (k != "format") meta[k] = v;
  header["__metadata__"] = std::move(meta);
  uint64_t offset = 0;
  for (const auto* t : order) {
    const uint64_t n = t->data.size() * 2;
    header[t->name] = {
        {"dtype", "F16"}, {"shape", t->shape.dims()}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));

  TempFile tmp(path);
  tmp.write(path, len, 8);
  tmp.write(path, text.data(), text.size());
  for (const auto* t : order) {
    // f16 bits are written little-endian; the build targets little-endian hosts only.
    static_assert(std::endian::native == std::endian::little);
    tmp.write(path, t->data.data(), t->data.size() * 2);
  }
  tmp.commit(path);
}

}  // namespace tl
