// Internal to tl_model: the per-format header parsers. Each takes the whole file's bytes (a
// mapping, or a fuzzer's buffer), reads only the header, validates every bound against the
// buffer's size before allocating, and throws ModelFileError naming `path`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "vm/model/model.h"

namespace tl {

ModelHeader parse_safetensors(const std::filesystem::path& path, std::span<const std::byte> file);
ModelHeader parse_gguf(const std::filesystem::path& path, std::span<const std::byte> file);
// Detects the format from the first bytes and dispatches; unknown content gets an error saying
// what the first bytes were expected to be.
ModelHeader parse_model(const std::filesystem::path& path, std::span<const std::byte> file);

}  // namespace tl
