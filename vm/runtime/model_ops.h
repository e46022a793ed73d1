// Model builtins (load_model, get_tensor, ...) over vm/model. Built from model_ops.cpp when the
// tl_model library is part of the build, else from model_ops_unavailable.cpp (clear errors).
#pragma once

#include <filesystem>
#include <string>

#include "vm/runtime/value.h"

namespace tl {

class Backend;

// A relative path is resolved against base_dir (the directory of the running .tl file), then the
// working directory.
Value m_load_model(const std::string& path, const std::filesystem::path& base_dir);
// Uploaded once per model file and name (ModelObj::uploaded); `name` is relative to a path
// value's prefix. Unknown names list the closest names.
Value m_get_tensor(Backend* be, const Value& model, const std::string& name);
// `model.name` / `model[k]`: the tensor `name` below the value's prefix, else a path value for a
// prefix of tensor names (`m.blk`, `m.blk[3]`), else an error naming the closest names.
Value m_member(Backend* be, const Value& model, const std::string& name);
bool m_has_tensor(const Value& model, const std::string& name);
Value m_tensor_names(const Value& model);
// len(m.blk): how many distinct names follow the value's prefix (the layers of `blk`).
int64_t m_length(const Value& model);
Value m_metadata(const Value& model, const std::string& key);
// `bos` none: BOS and EOS as the file's add_bos_token / add_eos_token (llama.cpp's add_special);
// true: BOS always, EOS as the file says; false: neither (add_special false).
Value m_tokenize(const Value& model, const std::string& text, const Value& bos);
// `ids`: a list of ints or one int.
Value m_detokenize(const Value& model, const Value& ids);
void m_save_model(const Value& model_or_map, const std::string& path,
                  const std::filesystem::path& base_dir);
std::string m_summary(const ModelObj& m);

}  // namespace tl
