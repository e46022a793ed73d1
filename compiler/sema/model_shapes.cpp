// Model-aware shapes: load_model("literal") reads the file's header (through the context's
// ModelHeaderCache) so that get_tensor("literal") and model.blk[0].attn_q.weight get the file's
// real shapes at check time.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "compiler/sema/checker.h"
#include "compiler/sema/suggest.h"
#include "vm/core/error.h"
#include "vm/model/model.h"

namespace tl::sema {

using namespace ast;
namespace fs = std::filesystem;

static bool is_coreml(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".mlmodel" || ext == ".mlpackage";
}

Type Checker::load_model(const Expr* path_expr, const Type& path) {
  Type t = Type::of(TypeKind::Model);
  // A literal, or a string the checker knows (`args()[0]` given the program's arguments).
  std::string value;
  if (const auto* lit = dyn_cast<StringLit>(path_expr))
    value = std::string(lit->value);
  else if (path.is(TypeKind::String) && path.text == Type::Text::Known)
    value = path.path;
  else
    return t;
  const SourceRange range = path_expr->range;
  fs::path rel(value);
  if (is_coreml(rel)) {
    sink_.report(DiagCode::E0503, range,
                 fmt::format("`{}` is a CoreML model: CoreML runs only on Apple platforms; convert "
                             "the model to safetensors or GGUF to load it here",
                             value));
    return Type::unknown();
  }
  if (!options_.read_model_headers) return t;
  // Written by this program before: its header is the one save_model writes, not the file's now.
  if (std::find(saved_paths_.begin(), saved_paths_.end(), value) != saved_paths_.end()) return t;
  // Relative paths: the .tl file's directory first, then the working directory.
  fs::path found;
  std::error_code ec;
  if (rel.is_absolute()) {
    if (fs::exists(rel, ec)) found = rel;
  } else {
    fs::path beside = fs::path(tree_.source().path()).parent_path() / rel;
    if (fs::exists(beside, ec))
      found = beside;
    else if (fs::exists(rel, ec))
      found = rel;
  }
  if (found.empty()) {
    sink_.report(DiagCode::W0501, range,
                 fmt::format("model file `{}` does not exist here; the shapes of its tensors are "
                             "checked at run time",
                             value));
    return t;
  }
  try {
    t.model = ctx_.model_headers().get(found);
  } catch (const std::exception& e) {
    sink_.report(DiagCode::E0504, range,
                 fmt::format("cannot read model `{}`: {}", value, e.what()));
    return Type::unknown();
  }
  return t;
}

// save_model writes float16 safetensors: a model holding integer (or unsupported) tensors
// cannot be written whole.
void Checker::check_model_saveable(const Type& model, const Expr* e) {
  const ModelHeader& h = *model.model;
  std::vector<std::string> bad;
  for (const TensorInfo& ti : h.tensors) {
    DTypeKind kind = dtype_info(ti.dtype).kind;
    if (kind == DTypeKind::Int || kind == DTypeKind::Unsupported)
      bad.push_back(fmt::format("`{}` ({})", ti.name, dtype_name(ti.dtype)));
  }
  if (bad.empty()) return;
  sink_
      .report(DiagCode::E0502, e->range,
              fmt::format("save_model cannot write `{}`: {} of its tensors {} not floating point "
                          "(first: {}), and save_model writes float16",
                          h.path.filename().string(), bad.size(), bad.size() == 1 ? "is" : "are",
                          bad[0]))
      .note({},
            "save a map of the tensors you need instead: save_model({\"name\": "
            "m.get_tensor(\"name\"), ...}, path)");
}

Type Checker::model_tensor(const Type& model, std::string_view name, SourceRange range,
                           std::string label) {
  if (!model.model) return Type::tensor_unknown_rank();
  const ModelHeader& h = *model.model;
  const TensorInfo* info = h.find(name);
  std::string file = h.path.filename().string();
  if (!info) {
    auto& d = sink_.report(DiagCode::E0501, range,
                           fmt::format("model `{}` has no tensor `{}`", file, name));
    auto close = h.closest_names(name, 3);
    if (!close.empty()) {
      d.note({}, "did you mean " + join_names(close) + "?");
      // The fix-it replaces the string literal (quotes kept) with the closest name.
      if (range.file == tree_.source().id() && tree_.text(range).starts_with('"'))
        d.fix(range, "\"" + close[0] + "\"");
    }
    return Type::unknown();
  }
  DTypeKind kind = dtype_info(info->dtype).kind;
  if (kind == DTypeKind::Int || kind == DTypeKind::Unsupported) {
    sink_.report(DiagCode::E0502, range,
                 fmt::format("tensor `{}` of `{}` is {}: {}", name, file, dtype_name(info->dtype),
                             kind == DTypeKind::Int
                                 ? "integer tensors cannot be used (TL tensors are float16)"
                                 : "this element type is not supported"));
    return Type::unknown();
  }
  OriginId o = add_origin(std::move(label), range);
  std::vector<Dim> dims;
  for (int64_t d : info->shape.dims()) dims.push_back(Dim::constant(d, o));
  return Type::tensor(std::move(dims));
}

std::optional<size_t> path_prefix_length(std::string_view pattern, std::string_view name) {
  size_t used = 0;
  while (true) {
    const size_t pe = pattern.find('.'), ne = name.find('.');
    const std::string_view ps = pattern.substr(0, pe), ns = name.substr(0, ne);
    if (ps != "*" && ps != ns) return std::nullopt;
    if (ne == std::string_view::npos) return std::nullopt;  // the name ends: no member left
    used += ne + 1;
    if (pe == std::string_view::npos) return used;
    pattern.remove_prefix(pe + 1);
    name.remove_prefix(ne + 1);
  }
}

namespace {

// `name` is `pattern` with each `*` segment standing for any one segment.
bool path_matches(std::string_view pattern, std::string_view name) {
  const size_t dot = pattern.rfind('.');
  if (dot == std::string_view::npos) {
    const size_t ndot = name.find('.');
    return ndot == std::string_view::npos && (pattern == "*" || pattern == name);
  }
  auto used = path_prefix_length(pattern.substr(0, dot), name);
  return used && path_matches(pattern.substr(dot + 1), name.substr(*used));
}

}  // namespace

// A path with `*` segments (`blk.*.attn_q.weight`, from `m.blk[i]`): the tensors it can name.
// When they all have one shape, that is the type; shapes that differ leave it to run time.
Type Checker::model_pattern(const Type& model, std::string path, SourceRange range) {
  const ModelHeader& h = *model.model;
  const TensorInfo* first = nullptr;
  bool same = true, any_prefix = false;
  for (const TensorInfo& ti : h.tensors) {
    if (path_matches(path, ti.name)) {
      if (first && !(first->shape == ti.shape)) same = false;
      if (!first) first = &ti;
    } else if (path_prefix_length(path, ti.name)) {
      any_prefix = true;
    }
  }
  if (first) {
    if (!same) return Type::tensor_unknown_rank();
    Type t = model_tensor(model, first->name, range, path);
    return t;
  }
  if (any_prefix) {
    Type t = Type::of(TypeKind::ModelPath);
    t.model = model.model;
    t.path = std::move(path);
    return t;
  }
  sink_.report(DiagCode::E0501, range,
               fmt::format("model `{}` has no tensor named `{}` or `{}.*` for any index",
                           h.path.filename().string(), path, path));
  return Type::unknown();
}

Type Checker::model_path(const Type& model, std::string path, SourceRange range) {
  Type t = Type::of(TypeKind::ModelPath);
  t.model = model.model;
  if (!model.model) return t;  // no header: the path is not needed (and would only grow)
  if (path == "*" || path.starts_with("*.") || path.find(".*") != std::string::npos)
    return model_pattern(model, std::move(path), range);
  const ModelHeader& h = *model.model;
  if (h.find(path)) return model_tensor(model, path, range, path);
  std::string prefix = path + ".";
  bool is_prefix = std::any_of(h.tensors.begin(), h.tensors.end(), [&](const TensorInfo& ti) {
    return ti.name.compare(0, prefix.size(), prefix) == 0;
  });
  if (is_prefix) {
    t.path = std::move(path);
    return t;
  }
  auto& d = sink_.report(DiagCode::E0501, range,
                         fmt::format("model `{}` has no tensor named `{}` or `{}.*`",
                                     h.path.filename().string(), path, path));
  // Suggest names at the same depth: `blk.0.attn_v` -> `blk.0.attn_k`, `blk.0.attn_q`.
  const size_t depth = static_cast<size_t>(std::count(path.begin(), path.end(), '.'));
  std::vector<std::string> level;
  for (const TensorInfo& ti : h.tensors) {
    size_t cut = 0;
    for (size_t k = 0; k <= depth && cut != std::string::npos; ++k)
      cut = ti.name.find('.', k == 0 ? 0 : cut + 1);
    std::string head = ti.name.substr(0, cut);
    if (std::find(level.begin(), level.end(), head) == level.end()) level.push_back(head);
  }
  auto close = closest(path, level);
  if (!close.empty()) d.note({}, "did you mean " + join_names(close) + "?");
  return Type::unknown();
}

}  // namespace tl::sema
