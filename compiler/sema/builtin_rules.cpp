// One shape rule per builtin: a switch over Builtin without a default, so that a builtin added to
// builtins.def without a rule here is a compiler warning (an error under TL_WERROR).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "compiler/sema/checker.h"
#include "vm/model/model.h"

namespace tl::sema {

using namespace ast;

namespace {

// The index of parameter `name` (the table is the source of truth for positions).
size_t param(const BoundArgs& a, std::string_view name) {
  for (size_t i = 0; i < a.sig->params.size(); ++i)
    if (a.sig->params[i].name == name) return i;
  return a.sig->params.size();  // unreachable for names taken from builtins.def
}

const Type& type_of(const BoundArgs& a, std::string_view name) {
  static const Type kUnknown;
  size_t i = param(a, name);
  return i < a.types.size() ? a.types[i] : kUnknown;
}
const Expr* expr_of(const BoundArgs& a, std::string_view name) {
  size_t i = param(a, name);
  return i < a.exprs.size() ? a.exprs[i] : nullptr;
}
// Every '*' of `pattern` is a whole segment between dots.
bool whole_segment_wildcards(std::string_view pattern) {
  for (size_t i = pattern.find('*'); i != std::string_view::npos; i = pattern.find('*', i + 1))
    if ((i > 0 && pattern[i - 1] != '.') || (i + 1 < pattern.size() && pattern[i + 1] != '.'))
      return false;
  return true;
}
const StringLit* dyn_cast_or_null_string(const Expr* e) {
  return e ? dyn_cast<StringLit>(e) : nullptr;
}

}  // namespace

// int(x) / float(x): x must be something with a number in it (a tensor must hold one element,
// checked at run time; a string is parsed at run time).
Type Checker::conversion(const Call* c, const Type& x, TypeKind to) {
  const bool ok = x.is_unknown() || x.is_number() || x.is(TypeKind::Bool) ||
                  x.is(TypeKind::String) || x.is_tensor();
  if (!ok)
    sink_.report(DiagCode::E0401, c->range,
                 fmt::format("{}() converts a number, bool, string or one-element tensor, not {}",
                             type_kind_name(to), x.to_string()));
  return Type::of(to);
}

// metadata(m, "key") with m's header known: the value's kind from its GGUF type; an integer's
// value is known too, so `range(m.metadata("llama.block_count"))` and sizes built from it check.
Type Checker::metadata_type(const Type& model, const Expr* key) {
  const auto* lit = dyn_cast<StringLit>(key);
  if (!lit || !model.model) return Type::unknown();
  const tl::MetadataEntry* e = model.model->find_metadata(lit->value);
  if (!e || !e->value) return Type::unknown();
  const nlohmann::json& v = *e->value;
  if (v.is_number_integer() && !v.is_boolean())
    return Type::integer(Dim::constant(
        v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>()));
  if (v.is_number()) return Type::of(TypeKind::Float);
  if (v.is_boolean()) return Type::of(TypeKind::Bool);
  if (v.is_string()) return Type::of(TypeKind::String);
  if (v.is_array()) {
    Type t = Type::of(TypeKind::List);
    if (!v.empty() && v[0].is_number_integer() && !v[0].is_boolean())
      t.elem = TypeKind::Int;
    else if (!v.empty() && v[0].is_number())
      t.elem = TypeKind::Float;
    else if (!v.empty() && v[0].is_string())
      t.elem = TypeKind::String;
    return t;
  }
  return Type::unknown();
}

Type Checker::builtin_rule(const Call* c, Builtin b, BoundArgs& a) {
  const Type& x = type_of(a, "x");
  auto same_as_x = [&]() { return x.is_tensor() ? x : Type::tensor_unknown_rank(); };
  // keepdim: a literal, or absent (false); a computed bool leaves the result's rank unknown.
  auto keepdim = [&]() -> std::optional<bool> {
    const Expr* e = expr_of(a, "keepdim");
    if (!e) return false;
    if (const auto* lit = dyn_cast<BoolLit>(e)) return lit->value;
    return std::nullopt;
  };
  // A tensor that must match x's last dim (norm weights and biases).
  auto check_last_dim = [&](std::string_view pname, std::string_view fn) {
    const Expr* e = expr_of(a, pname);
    const Type& t = type_of(a, pname);
    if (!e || !t.is_tensor() || !t.rank_known || !x.rank_known || x.dims.empty()) return;
    if (t.dims.size() != 1) {
      sink_.report(DiagCode::E0404, e->range,
                   fmt::format("`{}` of `{}` must be 1-D (the last dim of x), not {}", pname, fn,
                               t.to_string()));
      return;
    }
    const Dim& last = x.dims.back();
    if (!last.is_unknown() && !t.dims[0].is_unknown() && !last.same(t.dims[0])) {
      auto& d = sink_.report(DiagCode::E0414, e->range,
                             fmt::format("`{}` of `{}` has {} elements but the last dim of x is {}",
                                         pname, fn, describe(t.dims[0]), describe(last)));
      note_origins(d, last, t.dims[0]);
    }
  };

  switch (b) {
    case Builtin::LoadModel:
      return load_model(expr_of(a, "path"), type_of(a, "path"));
    case Builtin::SaveModel: {
      const Type& m = type_of(a, "model");
      if (!m.is_unknown() && !m.is(TypeKind::Model) && !m.is(TypeKind::Map))
        sink_.report(DiagCode::E0401, expr_of(a, "model")->range,
                     fmt::format("save_model saves a Model or a map {{name: tensor}}, not {}",
                                 m.to_string()));
      if (m.is(TypeKind::Model) && m.model) check_model_saveable(m, expr_of(a, "model"));
      // A later load_model of this file must not be checked against the file as it is now.
      if (const auto* path = dyn_cast_or_null_string(expr_of(a, "path")))
        saved_paths_.emplace_back(path->value);
      return Type::of(TypeKind::None);
    }
    case Builtin::GetTensor: {
      const Expr* name = expr_of(a, "name");
      const Type& model = type_of(a, "model");
      const Type& text = type_of(a, "name");
      if (text.is(TypeKind::String) && text.text == Type::Text::Known && name) {
        if (model.is(TypeKind::ModelPath))  // layer.get_tensor("attn_q.weight"), layer = m.blk[i]
          return as_value(model_path(model, model.path + "." + text.path, name->range));
        return model_tensor(model, text.path, name->range,
                            fmt::format("get_tensor(\"{}\")", text.path));
      }
      // `"blk." + str(i) + ".attn_q.weight"` with i unknown: the shape when every tensor it can
      // name has the same one (each '*' a whole segment of the name, as m.blk[i] makes them).
      if (text.is(TypeKind::String) && text.text == Type::Text::Pattern && name &&
          model.is(TypeKind::Model) && model.model && whole_segment_wildcards(text.path)) {
        Type t = model_pattern(model, text.path, name->range);
        if (t.is_tensor()) return t;
      }
      return Type::tensor_unknown_rank();
    }
    case Builtin::TensorNames: {
      Type t = Type::of(TypeKind::List);
      t.elem = TypeKind::String;
      return t;
    }
    case Builtin::Metadata:
      return metadata_type(type_of(a, "model"), expr_of(a, "key"));
    case Builtin::Print:
      return Type::of(TypeKind::None);
    case Builtin::ShapeOf:
      return x.rank_known ? Type::shape(x.dims) : Type::of(TypeKind::Shape);
    case Builtin::Reshape: {
      auto target = shape_from_args(a.rest, a.rest_types);
      if (a.rest.empty()) {
        sink_.report(DiagCode::E0311, c->range, "reshape needs the new shape: reshape(x, 2, -1)");
        return Type::unknown();
      }
      if (!target) return Type::tensor_unknown_rank();
      return reshape(x, *target, c->range);
    }
    case Builtin::Transpose: {
      if (!x.is_tensor() || !x.rank_known) return same_as_x();
      if (a.rest.empty()) {
        if (x.dims.size() < 2) {
          sink_.report(DiagCode::E0404, expr_of(a, "x")->range,
                       fmt::format("transpose swaps the last two dims; {} has rank {}",
                                   x.to_string(), x.dims.size()));
          return Type::unknown();
        }
        Type t = x;
        std::swap(t.dims[t.dims.size() - 1], t.dims[t.dims.size() - 2]);
        return t;
      }
      if (a.rest.size() == 1 && a.rest_types[0].is(TypeKind::List)) {
        // transpose(x, [0, 2, 1]): the permutation as one list (NumPy).
        const auto* lit = dyn_cast<ListLit>(a.rest[0]);
        if (!lit) return Type::tensor(std::vector<Dim>(x.dims.size(), Dim::unknown()));
        std::vector<const Expr*> items(lit->elements.begin(), lit->elements.end());
        std::vector<Type> types;
        for (const Expr* e : items) types.push_back(out_.expr_types[e->id]);
        return permute(x, items, types);
      }
      if (a.rest.size() == 2) {
        // transpose(x, 1, 2): swap two dims (PyTorch; on 2-D the same as the permutation, except
        // that transpose(x, 0, 1) transposes, as x.transpose(0, 1) does).
        auto d0 = normalize_dim(x, a.rest[0], a.rest_types[0], "transpose", false);
        auto d1 = normalize_dim(x, a.rest[1], a.rest_types[1], "transpose", false);
        if (!d0 || !d1) return Type::tensor(std::vector<Dim>(x.dims.size(), Dim::unknown()));
        Type t = x;
        std::swap(t.dims[*d0], t.dims[*d1]);
        return t;
      }
      if (a.rest.size() != x.dims.size()) {
        sink_.report(DiagCode::E0411, a.rest.front()->range,
                     fmt::format("transpose of {} needs all {} dims (a permutation), got {}",
                                 x.to_string(), x.dims.size(), a.rest.size()));
        return Type::unknown();
      }
      return permute(x, a.rest, a.rest_types);
    }
    case Builtin::Matmul: {
      const Type& ta = type_of(a, "a");
      const Type& tb = type_of(a, "b");
      if (!ta.is_tensor() || !tb.is_tensor()) return Type::tensor_unknown_rank();
      return matmul(ta, tb, expr_of(a, "a"), expr_of(a, "b"), c->range, "matmul");
    }
    case Builtin::Linear: {
      // x @ transpose(weight) + bias, weight [out, in].
      const Type& w = type_of(a, "weight");
      if (!x.is_tensor() || !w.is_tensor() || !x.rank_known || !w.rank_known)
        return Type::tensor_unknown_rank();
      if (w.dims.size() != 2 || x.dims.empty()) {
        sink_.report(
            DiagCode::E0404, expr_of(a, w.dims.size() != 2 ? "weight" : "x")->range,
            fmt::format("linear needs x of rank >= 1 and a 2-D weight [out, in], got {} and {}",
                        x.to_string(), w.to_string()));
        return Type::unknown();
      }
      const Dim& in_x = x.dims.back();
      const Dim& in_w = w.dims[1];
      if (!in_x.is_unknown() && !in_w.is_unknown() && !in_x.same(in_w)) {
        auto& d =
            sink_.report(DiagCode::E0403, expr_of(a, "weight")->range,
                         fmt::format("linear: the last dim of x is {} but weight {} expects {} "
                                     "inputs (weight is [out, in], as in PyTorch)",
                                     describe(in_x), w.to_string(), describe(in_w)));
        note_origins(d, in_x, in_w);
        return Type::unknown();
      }
      Type out = x;
      out.dims.back() = w.dims[0];
      const Type& bias = type_of(a, "bias");
      if (expr_of(a, "bias") && bias.is_tensor())
        return broadcast(out, bias, c, expr_of(a, "bias"), expr_of(a, "bias")->range, "+ bias");
      return out;
    }
    case Builtin::Relu:
    case Builtin::Gelu:
    case Builtin::Silu:
    case Builtin::Sigmoid:
    case Builtin::Tanh:
      return same_as_x();
    case Builtin::Exp:
    case Builtin::Log:
    case Builtin::Sqrt:
    case Builtin::Abs:
      if (x.is_tensor()) return x;
      if (x.is_number()) return Type::of(b == Builtin::Abs ? x.kind : TypeKind::Float);
      if (!x.is_unknown())
        sink_.report(DiagCode::E0401, expr_of(a, "x")->range,
                     fmt::format("`{}` takes a tensor or a number, not {}", builtin_info(b).name,
                                 x.to_string()));
      return Type::unknown();
    case Builtin::Softmax:
      if (const Expr* e = expr_of(a, "dim"))
        normalize_dim(x, e, type_of(a, "dim"), "softmax", false);
      return same_as_x();
    case Builtin::Sum:
    case Builtin::Mean:
    case Builtin::Max:
    case Builtin::Min:
      if (!keepdim()) return Type::tensor_unknown_rank();
      return reduce(x, expr_of(a, "dim"), type_of(a, "dim"), *keepdim(), builtin_info(b).name);
    case Builtin::ArgMax:
    case Builtin::ArgMin: {
      // An int without dim (or for 1-D x), else lists of ints over the other dims.
      const Expr* dim_e = expr_of(a, "dim");
      if (!dim_e) return Type::of(TypeKind::Int);
      if (!x.is_tensor() || !x.rank_known) return Type::unknown();
      const auto d = normalize_dim(x, dim_e, type_of(a, "dim"), builtin_info(b).name, false);
      if (x.dims.size() == 1) return Type::of(TypeKind::Int);
      Type t = Type::of(TypeKind::List);
      t.elem = TypeKind::Int;
      if (!d) return t;
      t.rank_known = true;
      t.dims = x.dims;
      t.dims.erase(t.dims.begin() + static_cast<std::ptrdiff_t>(*d));
      return t;
    }
    case Builtin::RmsNorm:
      check_last_dim("weight", "rms_norm");
      return same_as_x();
    case Builtin::LayerNorm:
      check_last_dim("weight", "layer_norm");
      check_last_dim("bias", "layer_norm");
      return same_as_x();
    case Builtin::Concat: {
      if (a.rest.empty()) {
        sink_.report(DiagCode::E0311, c->range, "concat needs at least one tensor");
        return Type::unknown();
      }
      if (a.rest.size() == 1 && a.rest_types[0].is(TypeKind::List)) {  // concat(rows, dim: 0)
        const TypeKind elem = a.rest_types[0].elem;
        if (is_empty_list(a.rest_types[0])) {
          sink_.report(DiagCode::E0311, a.rest[0]->range, "concat needs at least one tensor");
          return Type::unknown();
        }
        if (elem != TypeKind::Unknown && elem != TypeKind::Tensor) {
          sink_.report(
              DiagCode::E0401, a.rest[0]->range,
              fmt::format("concat: the list holds {}s, not tensors", type_kind_name(elem)));
          return Type::unknown();
        }
        return Type::tensor_unknown_rank();
      }
      for (size_t i = 0; i < a.rest.size(); ++i) {
        const Type& t = a.rest_types[i];
        if (!t.is_unknown() && !t.is_tensor()) {
          sink_.report(DiagCode::E0401, a.rest[i]->range,
                       fmt::format("concat: argument {} must be a tensor (or the only argument, a "
                                   "list of tensors), not {}",
                                   i + 1, t.to_string()));
          return Type::unknown();
        }
      }
      const Type& first = a.rest_types[0];
      if (!first.rank_known) return Type::tensor_unknown_rank();
      const Expr* dim_e = expr_of(a, "dim");
      std::optional<size_t> dim = 0;
      if (dim_e) dim = normalize_dim(first, dim_e, type_of(a, "dim"), "concat", false);
      if (!dim) return Type::tensor(std::vector<Dim>(first.dims.size(), Dim::unknown()));
      if (first.dims.empty()) {
        sink_.report(DiagCode::E0404, a.rest[0]->range, "concat needs tensors of rank 1 or more");
        return Type::unknown();
      }
      std::vector<Dim> out = first.dims;
      bool sum_known = out[*dim].is_const();
      int64_t sum = sum_known ? out[*dim].value : 0;
      for (size_t i = 1; i < a.rest.size(); ++i) {
        const Type& t = a.rest_types[i];
        if (!t.is_tensor() || !t.rank_known) {
          sum_known = false;
          continue;
        }
        if (t.dims.size() != first.dims.size()) {
          sink_.report(
              DiagCode::E0412, a.rest[i]->range,
              fmt::format("concat: tensor {} is {} (rank {}) but the first is {} (rank {})", i,
                          t.to_string(), t.dims.size(), first.to_string(), first.dims.size()));
          return Type::unknown();
        }
        for (size_t k = 0; k < out.size(); ++k) {
          if (k == *dim) continue;
          if (!out[k].is_unknown() && !t.dims[k].is_unknown() && !out[k].same(t.dims[k])) {
            auto& d = sink_.report(DiagCode::E0412, a.rest[i]->range,
                                   fmt::format("concat along dim {}: dim {} differs: {} vs {}",
                                               *dim, k, describe(out[k]), describe(t.dims[k])));
            note_origins(d, out[k], t.dims[k]);
            return Type::unknown();
          }
        }
        if (t.dims[*dim].is_const() && sum_known)
          sum_known = !__builtin_add_overflow(sum, t.dims[*dim].value, &sum);
        else
          sum_known = false;
      }
      out[*dim] = sum_known ? Dim::constant(sum) : Dim::unknown();
      return Type::tensor(std::move(out));
    }
    case Builtin::Zeros:
    case Builtin::Ones: {
      auto dims = shape_from_args(a.rest, a.rest_types);
      if (!dims) return Type::tensor_unknown_rank();
      for (size_t i = 0; i < dims->size(); ++i)
        if ((*dims)[i].is_const() && (*dims)[i].value < 0) {
          sink_.report(
              DiagCode::E0410, c->range,
              fmt::format("`{}`: negative size {}", builtin_info(b).name, (*dims)[i].value));
          return Type::unknown();
        }
      return Type::tensor(std::move(*dims));
    }
    case Builtin::Range:
      return Type::of(TypeKind::Range);
    case Builtin::Len: {
      const Type& v = type_of(a, "x");
      if (v.is_tensor() && v.rank_known) {
        if (v.dims.empty()) {
          sink_.report(DiagCode::E0404, expr_of(a, "x")->range, "len of a rank-0 tensor");
          return Type::of(TypeKind::Int);
        }
        return Type::integer(v.dims[0]);
      }
      if (v.is(TypeKind::Shape) && v.rank_known)
        return Type::integer(Dim::constant(static_cast<int64_t>(v.dims.size())));
      if (v.is(TypeKind::List) && v.rank_known) return Type::integer(v.dims[0]);
      if ((v.is(TypeKind::ModelPath) || v.is(TypeKind::Model)) && v.model) {
        // len(m.blk): the distinct names after the path (the layer count).
        const std::string prefix = v.is(TypeKind::Model) ? "" : v.path + ".";
        std::vector<std::string_view> next;
        for (const TensorInfo& ti : v.model->tensors) {
          std::string_view name = ti.name;
          if (!name.starts_with(prefix)) continue;
          name.remove_prefix(prefix.size());
          name = name.substr(0, name.find('.'));
          if (std::find(next.begin(), next.end(), name) == next.end()) next.push_back(name);
        }
        return Type::integer(Dim::constant(static_cast<int64_t>(next.size())));
      }
      if (v.is(TypeKind::ModelPath) || v.is(TypeKind::Model)) return Type::of(TypeKind::Int);
      if (!v.is_unknown() && !v.is_tensor() && !v.is(TypeKind::Shape) && !v.is(TypeKind::List) &&
          !v.is(TypeKind::String) && !v.is(TypeKind::Map))
        sink_.report(
            DiagCode::E0401, expr_of(a, "x")->range,
            fmt::format("`len` takes a string, Shape, list, map or tensor, not {}", v.to_string()));
      return Type::of(TypeKind::Int);
    }
    case Builtin::Assert:
      return Type::of(TypeKind::None);
    case Builtin::AssertClose:
      require_same_shape(type_of(a, "a"), type_of(a, "b"), expr_of(a, "a"), expr_of(a, "b"),
                         "assert_close");
      return Type::of(TypeKind::None);
    case Builtin::TensorNew: {
      const Type& d = type_of(a, "data");
      if (d.is(TypeKind::List) && d.rank_known && d.elem != TypeKind::Tensor &&
          d.elem != TypeKind::Unknown)
        return Type::tensor(d.dims);
      if (d.is_tensor()) return d;
      return Type::tensor_unknown_rank();
    }
    case Builtin::Args: {
      Type t = Type::of(TypeKind::List);
      t.elem = TypeKind::String;
      if (options_.program_args)
        t.strings = std::make_shared<const std::vector<std::string>>(*options_.program_args);
      return t;
    }
    case Builtin::Env:
      return type_of(a, "default").is(TypeKind::String) ? Type::of(TypeKind::String)
                                                        : Type::unknown();
    case Builtin::Int: {
      // int(a / b) of two known ints that divide exactly (`int(n_embd / n_head)`): the quotient,
      // exact in any float width for small values.
      const Expr* e = expr_of(a, "x");
      while (const auto* p = e ? dyn_cast<Paren>(e) : nullptr) e = p->inner;
      if (const auto* div = e ? dyn_cast<Binary>(e) : nullptr; div && div->op == BinaryOp::Div) {
        const Dim* n = out_.expr_types[div->lhs->id].int_value();
        const Dim* d = out_.expr_types[div->rhs->id].int_value();
        constexpr int64_t kExact = int64_t{1} << 24;
        if (n && d && n->is_const() && d->is_const() && d->value != 0 && n->value % d->value == 0 &&
            n->value > -kExact && n->value < kExact)
          return Type::integer(Dim::constant(n->value / d->value));
      }
      return conversion(c, type_of(a, "x"), TypeKind::Int);
    }
    case Builtin::Float:
      return conversion(c, type_of(a, "x"), TypeKind::Float);
    case Builtin::Str: {
      // Known for a known int (and a known string); a pattern's '*' for an unknown int.
      const Type& v = type_of(a, "x");
      if (const Dim* d = v.int_value(); d && d->is_const())
        return Type::string(std::to_string(d->value));
      if (v.is(TypeKind::Int)) return Type::string("*", Type::Text::Pattern);
      if (v.is(TypeKind::String)) return v;
      return Type::of(TypeKind::String);
    }
    case Builtin::Clock:
      return Type::of(TypeKind::Float);
    case Builtin::Tokenize: {
      Type t = Type::of(TypeKind::List);
      t.elem = TypeKind::Int;
      return t;
    }
    case Builtin::Detokenize: {
      const Type& ids = type_of(a, "ids");
      if (!ids.is_unknown() && !ids.is(TypeKind::Int) && !ids.is(TypeKind::List) &&
          !ids.is(TypeKind::Range))
        sink_.report(
            DiagCode::E0401, expr_of(a, "ids")->range,
            fmt::format("detokenize takes a list of token ids or one id, not {}", ids.to_string()));
      else if (ids.is(TypeKind::List) && ids.elem != TypeKind::Int && ids.elem != TypeKind::Unknown)
        sink_.report(DiagCode::E0401, expr_of(a, "ids")->range,
                     fmt::format("detokenize takes token ids (ints), not {}", ids.to_string()));
      return Type::of(TypeKind::String);
    }
    case Builtin::Maximum:
    case Builtin::Minimum: {
      const Type& ta = type_of(a, "a");
      const Type& tb = type_of(a, "b");
      if (ta.is_tensor() && tb.is_tensor())
        return broadcast(ta, tb, expr_of(a, "a"), expr_of(a, "b"), c->range, builtin_info(b).name);
      return ta.is_tensor() ? ta : Type::tensor_unknown_rank();
    }
    case Builtin::Embedding: {
      const Type& table = type_of(a, "table");
      const Type& ids = type_of(a, "ids");
      Dim width = Dim::unknown();
      if (table.is_tensor() && table.rank_known) {
        if (table.dims.size() != 2) {
          sink_.report(DiagCode::E0404, expr_of(a, "table")->range,
                       fmt::format("embedding needs a 2-D table [V, D] (one row per token), not {}",
                                   table.to_string()));
          return Type::unknown();
        }
        width = table.dims[1];
      }
      if (ids.is(TypeKind::Int)) return Type::tensor({width});
      if (ids.is(TypeKind::List)) {
        if (ids.elem != TypeKind::Unknown && ids.elem != TypeKind::Int && !is_empty_list(ids)) {
          sink_.report(
              DiagCode::E0401, expr_of(a, "ids")->range,
              fmt::format("embedding ids: a list of ints, not of {}s", type_kind_name(ids.elem)));
          return Type::unknown();
        }
        const bool flat = ids.rank_known && ids.dims.size() == 1;
        return Type::tensor({flat ? ids.dims[0] : Dim::unknown(), width});
      }
      if (!ids.is_unknown()) {
        sink_.report(
            DiagCode::E0401, expr_of(a, "ids")->range,
            fmt::format("embedding ids: an int or a list of ints, not {}", ids.to_string()));
        return Type::unknown();
      }
      return Type::tensor_unknown_rank();
    }
    case Builtin::Rope: {
      if (const auto* lit = dyn_cast<StringLit>(expr_of(a, "mode"));
          lit && lit->value != "norm" && lit->value != "neox")
        sink_.report(DiagCode::E0401, lit->range,
                     fmt::format("rope mode is \"norm\" (pairs 2i, 2i+1: GGUF llama) or \"neox\" "
                                 "(pairs i, i + hd/2), not \"{}\"",
                                 lit->value));
      if (x.is_tensor() && x.rank_known) {
        if (x.dims.size() != 3) {
          sink_.report(DiagCode::E0404, expr_of(a, "x")->range,
                       fmt::format("rope needs x of shape [T, H, hd] (positions, heads, head dim), "
                                   "not {}",
                                   x.to_string()));
          return Type::unknown();
        }
        if (x.dims[2].is_const() && x.dims[2].value % 2 != 0)
          sink_.report(
              DiagCode::E0414, expr_of(a, "x")->range,
              fmt::format("rope rotates pairs: the head dim of {} must be even", x.to_string()));
      }
      return same_as_x();
    }
    case Builtin::Attention: {
      const Type& q = type_of(a, "q");
      const Type& k = type_of(a, "k");
      const Type& v = type_of(a, "v");
      for (const char* name : {"q", "k", "v"}) {
        const Type& t = type_of(a, name);
        if (t.is_tensor() && t.rank_known && t.dims.size() != 3) {
          sink_.report(DiagCode::E0404, expr_of(a, name)->range,
                       fmt::format("attention needs q [T, H, hd] and k, v [S, Hkv, hd]; `{}` is {}",
                                   name, t.to_string()));
          return Type::unknown();
        }
      }
      const bool qk = q.is_tensor() && q.rank_known && k.is_tensor() && k.rank_known;
      if (qk && !q.dims[2].is_unknown() && !k.dims[2].is_unknown() && !q.dims[2].same(k.dims[2])) {
        auto& d = sink_.report(DiagCode::E0414, expr_of(a, "k")->range,
                               fmt::format("attention: head dims differ: q {} and k {}",
                                           q.to_string(), k.to_string()));
        note_origins(d, q.dims[2], k.dims[2]);
        return Type::unknown();
      }
      if (k.is_tensor() && k.rank_known && v.is_tensor() && v.rank_known)
        for (size_t i = 0; i < 3; ++i)
          if (k.dims[i].differs(v.dims[i])) {
            auto& d = sink_.report(DiagCode::E0414, expr_of(a, "v")->range,
                                   fmt::format("attention: k {} and v {} must have the same shape",
                                               k.to_string(), v.to_string()));
            note_origins(d, k.dims[i], v.dims[i]);
            return Type::unknown();
          }
      if (qk && q.dims[1].is_const() && k.dims[1].is_const() &&
          (k.dims[1].value == 0 || q.dims[1].value % k.dims[1].value != 0)) {
        sink_.report(DiagCode::E0414, expr_of(a, "k")->range,
                     fmt::format("attention: the {} query heads of q {} are not a multiple of the "
                                 "{} kv heads of k {}",
                                 q.dims[1].value, q.to_string(), k.dims[1].value, k.to_string()));
        return Type::unknown();
      }
      return q.is_tensor() ? q : Type::tensor_unknown_rank();
    }
    case Builtin::CausalMask: {
      const Type& rows = type_of(a, "T");
      const Dim t = rows.int_value() ? *rows.int_value() : Dim::unknown();
      if (!expr_of(a, "S")) return Type::tensor({t, t});
      const Type& cols = type_of(a, "S");
      const Dim s = cols.int_value() ? *cols.int_value() : Dim::unknown();
      if (t.is_const() && s.is_const() && s.value < t.value)
        sink_.report(
            DiagCode::E0414, expr_of(a, "S")->range,
            fmt::format("causal_mask needs S >= T (the last T of S keys), got T {} and S {}",
                        t.value, s.value));
      return Type::tensor({t, s});
    }
    case Builtin::TemperatureSample: {
      const Type& l = type_of(a, "logits");
      if (l.is_tensor() && l.rank_known && l.dims.size() != 1 && l.dims.size() != 2)
        sink_.report(
            DiagCode::E0404, expr_of(a, "logits")->range,
            fmt::format("temperature_sample needs logits [V] or [T, V], not {}", l.to_string()));
      return Type::of(TypeKind::Int);
    }
    case Builtin::FloorDiv: {
      const Type& ta = type_of(a, "a");
      const Type& tb = type_of(a, "b");
      if (ta.is_unknown() || tb.is_unknown()) return Type::unknown();
      if (ta.is_tensor() && tb.is_tensor())
        return broadcast(ta, tb, expr_of(a, "a"), expr_of(a, "b"), c->range, "floordiv");
      if (ta.is_tensor() && tb.is_number()) return ta;
      if (tb.is_tensor() && ta.is_number()) return tb;
      if (ta.is(TypeKind::Int) && tb.is(TypeKind::Int)) {
        const Dim* p = ta.int_value();
        const Dim* q = tb.int_value();
        if (p && q && p->is_const() && q->is_const() && q->value != 0) {
          int64_t r = p->value / q->value;
          if ((p->value % q->value != 0) && ((p->value < 0) != (q->value < 0))) --r;
          return Type::integer(Dim::constant(r));
        }
        return Type::of(TypeKind::Int);
      }
      if (ta.is_number() && tb.is_number()) return Type::of(TypeKind::Float);
      sink_.report(DiagCode::E0401, c->range,
                   fmt::format("`floordiv` takes numbers or tensors, not {} and {}", ta.to_string(),
                               tb.to_string()));
      return Type::unknown();
    }
    case Builtin::Unsqueeze: {
      if (!x.is_tensor() || !x.rank_known) return same_as_x();
      auto d = normalize_dim(x, expr_of(a, "dim"), type_of(a, "dim"), "unsqueeze", true);
      if (!d) return Type::tensor(std::vector<Dim>(x.dims.size() + 1, Dim::unknown()));
      Type t = x;
      t.dims.insert(t.dims.begin() + static_cast<std::ptrdiff_t>(*d), Dim::constant(1));
      return t;
    }
    case Builtin::Squeeze: {
      if (!x.is_tensor() || !x.rank_known) return same_as_x();
      if (const Expr* de = expr_of(a, "dim")) {
        auto d = normalize_dim(x, de, type_of(a, "dim"), "squeeze", false);
        if (!d) return Type::tensor_unknown_rank();
        const Dim& size = x.dims[*d];
        if (!size.is_const()) return Type::tensor_unknown_rank();
        Type t = x;
        if (size.value == 1) t.dims.erase(t.dims.begin() + static_cast<std::ptrdiff_t>(*d));
        return t;  // a dim of another size stays, as in PyTorch
      }
      std::vector<Dim> out;
      for (const Dim& d : x.dims) {
        if (!d.is_const()) return Type::tensor_unknown_rank();
        if (d.value != 1) out.push_back(d);
      }
      return Type::tensor(std::move(out));
    }
    case Builtin::Stack: {
      if (a.rest.empty()) {
        sink_.report(DiagCode::E0311, c->range, "stack needs at least one tensor");
        return Type::unknown();
      }
      if (a.rest.size() == 1 && a.rest_types[0].is(TypeKind::List))
        return Type::tensor_unknown_rank();
      const Type& first = a.rest_types[0];
      for (size_t i = 0; i < a.rest.size(); ++i) {
        const Type& t = a.rest_types[i];
        if (!t.is_unknown() && !t.is_tensor()) {
          sink_.report(DiagCode::E0401, a.rest[i]->range,
                       fmt::format("stack: argument {} must be a tensor (or the only argument, a "
                                   "list of tensors), not {}",
                                   i + 1, t.to_string()));
          return Type::unknown();
        }
        if (i > 0 && !require_same_shape(first, t, a.rest[0], a.rest[i], "stack"))
          return Type::unknown();
      }
      if (!first.is_tensor() || !first.rank_known) return Type::tensor_unknown_rank();
      auto d = normalize_dim(
          first, expr_of(a, "dim"),
          expr_of(a, "dim") ? type_of(a, "dim") : Type::integer(Dim::constant(0)), "stack", true);
      if (!d) return Type::tensor(std::vector<Dim>(first.dims.size() + 1, Dim::unknown()));
      Type t = first;
      t.dims.insert(t.dims.begin() + static_cast<std::ptrdiff_t>(*d),
                    Dim::constant(static_cast<int64_t>(a.rest.size())));
      return t;
    }
    case Builtin::OnesLike:
    case Builtin::ZerosLike:
      return same_as_x();
    case Builtin::Arange: {
      const Dim* p = type_of(a, "start").int_value();
      const Expr* stop_e = expr_of(a, "stop");
      const Expr* step_e = expr_of(a, "step");
      const Dim* q = stop_e ? type_of(a, "stop").int_value() : nullptr;
      const Dim* st = step_e ? type_of(a, "step").int_value() : nullptr;
      int64_t start = 0, stop = 0, step = 1;
      bool known = p && p->is_const() && (!stop_e || (q && q->is_const())) &&
                   (!step_e || (st && st->is_const()));
      if (known) {
        if (stop_e) {
          start = p->value;
          stop = q->value;
        } else {
          stop = p->value;
        }
        if (step_e) step = st->value;
        if (step == 0) {
          sink_.report(DiagCode::E0410, step_e->range, "arange: step must not be zero");
          return Type::unknown();
        }
        const int64_t n =
            step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        return Type::tensor({Dim::constant(std::max<int64_t>(n, 0))});
      }
      return Type::tensor({Dim::unknown()});
    }
    case Builtin::Where: {
      Type out = type_of(a, "cond");
      const Expr* out_e = expr_of(a, "cond");
      for (std::string_view name : {"a", "b"}) {
        const Type& t = type_of(a, name);
        if (t.is_tensor() && out.is_tensor()) {
          out = broadcast(out, t, out_e, expr_of(a, name), c->range, "where");
        } else if (!t.is_unknown() && !t.is_number() && !t.is_tensor()) {
          sink_.report(DiagCode::E0401, expr_of(a, name)->range,
                       fmt::format("`where` takes tensors or numbers, not {}", t.to_string()));
          return Type::unknown();
        }
        if (out.is_unknown()) return out;
      }
      return out.is_tensor() ? out : Type::tensor_unknown_rank();
    }
    case Builtin::MaskedFill: {
      const Type& m = type_of(a, "mask");
      if (x.is_tensor() && m.is_tensor() && x.rank_known && m.rank_known) {
        Type both = broadcast(x, m, expr_of(a, "x"), expr_of(a, "mask"), c->range, "masked_fill");
        if (both.is_unknown()) return both;
        if (both.rank() != x.rank()) {
          sink_.report(DiagCode::E0402, expr_of(a, "mask")->range,
                       fmt::format("masked_fill: the mask {} has more dims than x {}",
                                   m.to_string(), x.to_string()));
          return Type::unknown();
        }
      }
      return same_as_x();
    }
    case Builtin::Triu:
    case Builtin::Tril:
      if (x.is_tensor() && x.rank_known && x.dims.size() < 2) {
        sink_.report(DiagCode::E0404, expr_of(a, "x")->range,
                     fmt::format("`{}` needs a tensor of rank 2 or more, not {}",
                                 builtin_info(b).name, x.to_string()));
        return Type::unknown();
      }
      return same_as_x();
    case Builtin::Einsum:
      return einsum(c, a);
    case Builtin::Append: {
      const Type& l = type_of(a, "list");
      if (!l.is_unknown() && !l.is(TypeKind::List))
        sink_.report(DiagCode::E0401, expr_of(a, "list")->range,
                     fmt::format("`append` adds to a list, not to {}{}", l.to_string(),
                                 l.is_tensor() ? " (for tensors: concat or stack)" : ""));
      return Type::of(TypeKind::None);
    }
  }
  return Type::unknown();
}

std::string_view shape_rule_summary(Builtin b) {
  switch (b) {
    case Builtin::LoadModel:
      return "Model; with a constant path (a literal, or args()[i] when the checker is given the "
             "program's arguments) whose file exists, its header gives get_tensor static shapes";
    case Builtin::SaveModel:
      return "none; model is a Model or a map {name: tensor}";
    case Builtin::GetTensor:
      return "the file's shape (row-major) when the model and the name are literals; unknown name "
             "or integer dtype: error";
    case Builtin::TensorNames:
      return "list of string";
    case Builtin::Metadata:
      return "from the header when the model and key are known: int (its value), float, bool, "
             "string, or a list; else any";
    case Builtin::Print:
      return "none";
    case Builtin::ShapeOf:
      return "Shape [d1, ..., dn] of x";
    case Builtin::Reshape:
      return "the given dims; one -1 is inferred; element counts must match when known";
    case Builtin::Transpose:
      return "last two dims swapped; with dims: a permutation of all dims";
    case Builtin::Matmul:
      return "NumPy matmul: [..., n, k] @ [..., k, m] -> [..., n, m]; 1-D operands promoted then "
             "dropped; batch dims broadcast";
    case Builtin::Linear:
      return "x [..., in], weight [out, in], bias [out] -> [..., out]";
    case Builtin::Relu:
    case Builtin::Gelu:
    case Builtin::Silu:
    case Builtin::Sigmoid:
    case Builtin::Tanh:
      return "same shape as x";
    case Builtin::Exp:
    case Builtin::Log:
    case Builtin::Sqrt:
    case Builtin::Abs:
      return "same shape as x for a tensor; a number for a number";
    case Builtin::Softmax:
      return "same shape as x; dim in [-rank, rank)";
    case Builtin::Sum:
    case Builtin::Mean:
    case Builtin::Max:
    case Builtin::Min:
      return "dim removed (kept as 1 with keepdim); without dim: [] (all ones with keepdim)";
    case Builtin::ArgMax:
    case Builtin::ArgMin:
      return "without dim: int; with dim: a list of ints over x's other dims (nested for rank > 2; "
             "an int for 1-D x)";
    case Builtin::RmsNorm:
      return "same shape as x; weight [last dim of x]";
    case Builtin::LayerNorm:
      return "same shape as x; weight and bias [last dim of x]";
    case Builtin::Concat:
      return "the tensors' shape with dim summed; other dims must match; from a list: known at run "
             "time";
    case Builtin::Zeros:
    case Builtin::Ones:
      return "the given dims (ints, one Shape or one list)";
    case Builtin::Range:
      return "range (iterates int)";
    case Builtin::Len:
      return "int: the first dim of a tensor (static when known), rank of a Shape, length of a "
             "list";
    case Builtin::Assert:
      return "none";
    case Builtin::AssertClose:
      return "none; a and b must have equal shapes";
    case Builtin::TensorNew:
      return "the nested literal's shape; ragged rows are an error";
    case Builtin::Maximum:
    case Builtin::Minimum:
      return "NumPy broadcast of a and b";
    case Builtin::Args:
      return "list of string";
    case Builtin::Env:
      return "string when default is a string (or omitted: string or none)";
    case Builtin::Int:
      return "int; x a number, bool, string or one-element tensor";
    case Builtin::Float:
      return "float; x a number, bool, string or one-element tensor";
    case Builtin::Str:
      return "string";
    case Builtin::Clock:
      return "float (seconds)";
    case Builtin::Tokenize:
      return "list of int";
    case Builtin::Detokenize:
      return "string; ids is a list of ints or an int";
    case Builtin::Embedding:
      return "table [V, D]; ids a list of T ints -> [T, D], one int -> [D]";
    case Builtin::Rope:
      return "x [T, H, hd] with hd even -> same shape; mode \"norm\" or \"neox\"";
    case Builtin::Attention:
      return "q [T, H, hd], k and v [S, Hkv, hd] (equal), H a multiple of Hkv -> [T, H, hd]";
    case Builtin::CausalMask:
      return "[T, S] (S defaults to T; S >= T)";
    case Builtin::TemperatureSample:
      return "int; logits [V] or [T, V]";
    case Builtin::FloorDiv:
      return "int for two ints, float for numbers, NumPy broadcast for tensors";
    case Builtin::Unsqueeze:
      return "x's shape with a 1 inserted at dim (dim in [-rank-1, rank])";
    case Builtin::Squeeze:
      return "x's shape without its 1s (or without dim when it is 1)";
    case Builtin::Stack:
      return "the common shape with a new dim (the number of tensors) at dim; shapes must be equal";
    case Builtin::OnesLike:
    case Builtin::ZerosLike:
      return "same shape as x";
    case Builtin::Arange:
      return "[n] (n known when the bounds are int literals or known ints)";
    case Builtin::Where:
      return "NumPy broadcast of cond, a and b";
    case Builtin::MaskedFill:
      return "same shape as x; mask must broadcast to it";
    case Builtin::Triu:
    case Builtin::Tril:
      return "same shape as x (rank 2 or more)";
    case Builtin::Einsum:
      return "the output subscripts' sizes; each letter is bound to one size across operands";
    case Builtin::Append:
      return "none; list must be a list";
  }
  return "";
}

}  // namespace tl::sema
