#include "vm/runtime/model_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "vm/core/error.h"
#include "vm/model/model.h"
#include "vm/model/tokenizer.h"
#include "vm/runtime/tensor_ops.h"
#include "vm/tensor/backend.h"

namespace tl {
namespace {

std::filesystem::path resolve(const std::string& path, const std::filesystem::path& base_dir) {
  // The OS would read the path only up to the NUL: another file than the one named.
  if (path.find('\0') != std::string::npos)
    throw RuntimeError(fmt::format("the path \"{}\" contains a NUL byte",
                                   std::string_view(path).substr(0, path.find('\0'))));
  std::filesystem::path p(path);
  if (p.is_relative() && !base_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(base_dir / p, ec)) return base_dir / p;
  }
  return p;
}

const ModelObj& need_model(const Value& v, const char* fn) {
  if (v.tag() != ValueTag::Model)
    throw RuntimeError(fmt::format("{}: expected a Model, got {}", fn, tag_name(v.tag())));
  return v.as_model();
}

Value from_json(const nlohmann::json& j) {
  if (j.is_string()) return Value::string(j.get<std::string>());
  if (j.is_boolean()) return Value::boolean(j.get<bool>());
  // nlohmann counts unsigned numbers as integers too: test them first. A u64 past int's range
  // becomes the nearest float rather than wrapping negative (docs/models.md).
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
    return Value::integer(static_cast<int64_t>(u));
  }
  if (j.is_number_integer()) return Value::integer(j.get<int64_t>());
  if (j.is_number()) return Value::number(j.get<double>());
  if (j.is_array()) {
    std::vector<Value> items;
    for (const auto& e : j) items.push_back(from_json(e));
    return Value::list(std::move(items));
  }
  return Value();
}

}  // namespace

Value m_load_model(const std::string& path, const std::filesystem::path& base_dir) {
  return Value::model(Model::open(resolve(path, base_dir)));
}

namespace {
std::string full_name(const ModelObj& m, const std::string& name) {
  return m.prefix.empty() ? name : m.prefix + "." + name;
}

bool is_prefix(const ModelHeader& h, const std::string& path) {
  const std::string dotted = path + ".";
  return std::any_of(h.tensors.begin(), h.tensors.end(),
                     [&](const TensorInfo& t) { return t.name.starts_with(dotted); });
}

[[noreturn]] void no_tensor(const ModelHeader& h, const std::string& name, bool or_prefix) {
  std::string msg =
      or_prefix ? fmt::format("no tensor named '{0}' or '{0}.*' in {1}", name, h.path.string())
                : fmt::format("no tensor named '{}' in {}", name, h.path.string());
  auto close = h.closest_names(name);
  if (!close.empty()) msg += fmt::format("; did you mean '{}'?", fmt::join(close, "', '"));
  throw RuntimeError(msg);
}
}  // namespace

Value m_member(Backend* be, const Value& model, const std::string& name) {
  const ModelObj& m = need_model(model, "a model path");
  const std::string full = full_name(m, name);
  const ModelHeader& h = m.model->header();
  if (h.find(full)) return m_get_tensor(be, model, name);
  if (is_prefix(h, full)) return Value::model_path(m, full);
  no_tensor(h, full, true);
}

bool m_has_tensor(const Value& model, const std::string& name) {
  const ModelObj& m = need_model(model, "get_tensor");
  return m.model->header().find(full_name(m, name)) != nullptr;
}

Value m_get_tensor(Backend* be, const Value& model, const std::string& relative) {
  ModelObj& m = const_cast<ModelObj&>(need_model(model, "get_tensor"));
  const std::string name = full_name(m, relative);
  if (auto it = m.uploaded->find(name); it != m.uploaded->end()) return Value::tensor(it->second);
  const ModelHeader& h = m.model->header();
  const TensorInfo* info = h.find(name);
  if (!info) no_tensor(h, name, false);
  Backend& B = need_backend(be);
  Tensor t;
  if (info->dtype == DType::F16 || dtype_info(info->dtype).kind == DTypeKind::Quant) {
    // Quantized weights stay quantized on the backend; ops dequantize on demand (tensor_ops).
    // Mapped, not copied, where the backend computes from host memory (the CPU backend).
    t = B.upload_borrowed(info->shape, info->dtype, m.model->raw(*info), m.model,
                          /*file_mapped=*/true);
  } else {
    std::vector<f16_bits> data = m.model->to_f16(*info);
    t = B.upload(info->shape, DType::F16, std::as_bytes(std::span<const f16_bits>(data)));
  }
  m.uploaded->emplace(name, t);
  return Value::tensor(std::move(t));
}

Value m_tensor_names(const Value& model) {
  const ModelObj& m = need_model(model, "tensor_names");
  const std::string dotted = m.prefix.empty() ? "" : m.prefix + ".";
  std::vector<Value> names;
  for (const auto& t : m.model->header().tensors)
    if (t.name.starts_with(dotted)) names.push_back(Value::string(t.name.substr(dotted.size())));
  return Value::list(std::move(names));
}

Value m_metadata(const Value& model, const std::string& key) {
  const ModelHeader& h = need_model(model, "metadata").model->header();
  const MetadataEntry* e = h.find_metadata(key);
  if (!e) throw RuntimeError(fmt::format("no metadata key '{}' in {}", key, h.path.string()));
  return e->value ? from_json(*e->value) : Value();
}

Value m_tokenize(const Value& model, const std::string& text, const Value& bos) {
  const Tokenizer& t = need_model(model, "tokenize").model->tokenizer();
  if (!bos.is_none() && !bos.is_bool())
    throw RuntimeError(fmt::format("tokenize: bos must be a bool, got {}", tag_name(bos.tag())));
  TokenizeOptions options;
  options.add_bos = bos.is_none() ? t.add_bos_default() : bos.as_bool();
  options.add_eos = (bos.is_none() || bos.as_bool()) && t.add_eos_default();
  std::vector<Value> ids;
  for (int32_t id : t.tokenize(text, options)) ids.push_back(Value::integer(id));
  return Value::list(std::move(ids));
}

Value m_detokenize(const Value& model, const Value& ids) {
  const Tokenizer& t = need_model(model, "detokenize").model->tokenizer();
  if (ids.is_int()) return Value::string(t.piece(ids.as_int()));
  if (ids.tag() != ValueTag::List)
    throw RuntimeError(fmt::format("detokenize: expected a list of token ids or one id, got {}",
                                   tag_name(ids.tag())));
  std::vector<int64_t> list;
  for (const Value& v : ids.as_list().items) {
    if (!v.is_int())
      throw RuntimeError(
          fmt::format("detokenize: token ids are ints, got a {} in the list", tag_name(v.tag())));
    list.push_back(v.as_int());
  }
  return Value::string(t.detokenize(list));
}

void m_save_model(const Value& src, const std::string& path,
                  const std::filesystem::path& base_dir) {
  std::filesystem::path out(path);
  if (out.is_relative() && !base_dir.empty()) out = base_dir / out;
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  std::vector<std::vector<f16_bits>> data;
  if (src.tag() == ValueTag::Model) {
    const Model& m = *src.as_model().model;
    for (const auto& t : m.header().tensors) {
      names.push_back(t.name);
      shapes.push_back(t.shape);
      data.push_back(m.to_f16(t));
    }
  } else if (src.tag() == ValueTag::Map) {
    for (const auto& [k, v] : src.as_map().items) {
      if (!k.is_string()) throw RuntimeError("save_model: map keys must be strings");
      const Tensor& t = need_tensor(v, "save_model");
      names.push_back(k.as_string());
      shapes.push_back(t.shape);
      std::vector<f16_bits> bits(static_cast<size_t>(t.numel()));
      t.backend->download(t, bits);
      data.push_back(std::move(bits));
    }
  } else {
    throw RuntimeError(fmt::format("save_model: expected a Model or a map of tensors, got {}",
                                   tag_name(src.tag())));
  }
  std::vector<NamedTensorF16> tensors;
  for (size_t i = 0; i < names.size(); ++i) tensors.push_back({names[i], shapes[i], data[i]});
  save_safetensors(out, tensors);
}

int64_t m_length(const Value& model) {
  const ModelObj& m = model.as_model();
  const std::string prefix = m.prefix.empty() ? "" : m.prefix + ".";
  std::set<std::string_view> next;
  for (const auto& t : m.model->header().tensors) {
    std::string_view name = t.name;
    if (!name.starts_with(prefix)) continue;
    name.remove_prefix(prefix.size());
    next.insert(name.substr(0, name.find('.')));
  }
  return static_cast<int64_t>(next.size());
}

std::string m_summary(const ModelObj& m) {
  const ModelHeader& h = m.model->header();
  std::string s = fmt::format("Model({}, {} tensors, {})", format_name(h.format), h.tensors.size(),
                              h.path.string());
  return m.prefix.empty() ? s : s + "." + m.prefix;
}

}  // namespace tl
