// save_safetensors: an F16 safetensors file laid out the way the reference writer
// (huggingface/safetensors, tensor.rs: prepare + serialize) lays it out: tensors sorted by dtype
// alignment then name (one dtype here, so by name), contiguous data offsets, "__metadata__"
// first, the JSON header padded with spaces to a multiple of 8 bytes.
//
// The file is written by AtomicFileWriter (vm/core/atomic_file.h): readers see the old file or
// the new one, never a mix, and a failure leaves the old file intact.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "vm/core/atomic_file.h"
#include "vm/core/error.h"
#include "vm/model/model.h"

namespace tl {

namespace {

[[noreturn]] void save_error(const std::filesystem::path& path, const std::string& why) {
  throw RuntimeError(fmt::format("cannot save '{}': {}", path.string(), why));
}

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
  std::string text;
  try {
    text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::type_error&) {
    save_error(path, "a tensor name or metadata entry is not valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));

  try {
    AtomicFileWriter out(path);
    out.write(std::as_bytes(std::span(len)));
    out.write(text);
    for (const auto* t : order) {
      // f16 bits are written little-endian; the build targets little-endian hosts only.
      static_assert(std::endian::native == std::endian::little);
      out.write(std::as_bytes(std::span(t->data)));
    }
    out.commit();
  } catch (const FileWriteError& e) {
    save_error(path, e.reason());
  }
}

}  // namespace tl
