// One shape rule per builtin: a switch over Builtin without a default, so that a builtin added to
// builtins.def without a rule here is a compiler warning (an error under TL_WERROR).
#include <fmt/format.h>

#include <algorithm>

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
const StringLit* dyn_cast_or_null_string(const Expr* e) {
  return e ? dyn_cast<StringLit>(e) : nullptr;
}

}  // namespace

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
      return load_model(c, expr_of(a, "path"));
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
      if (const auto* lit = dyn_cast<StringLit>(name)) {
        if (model.is(TypeKind::ModelPath))  // layer.get_tensor("attn_q.weight"), layer = m.blk[i]
          return as_value(
              model_path(model, model.path + "." + std::string(lit->value), lit->range));
        return model_tensor(model, lit->value, lit->range,
                            fmt::format("get_tensor(\"{}\")", lit->value));
      }
      return Type::tensor_unknown_rank();
    }
    case Builtin::TensorNames: {
      Type t = Type::of(TypeKind::List);
      t.elem = TypeKind::String;
      return t;
    }
    case Builtin::Metadata:
      return Type::unknown();
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
      if (!expr_of(a, "dim")) return Type::of(TypeKind::Int);
      return reduce(x, expr_of(a, "dim"), type_of(a, "dim"), false, "argmax");
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
          sum += t.dims[*dim].value;
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
    case Builtin::Maximum:
    case Builtin::Minimum: {
      const Type& ta = type_of(a, "a");
      const Type& tb = type_of(a, "b");
      if (ta.is_tensor() && tb.is_tensor())
        return broadcast(ta, tb, expr_of(a, "a"), expr_of(a, "b"), c->range, builtin_info(b).name);
      return ta.is_tensor() ? ta : Type::tensor_unknown_rank();
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
      return "Model; with a literal path whose file exists, its header gives get_tensor static "
             "shapes";
    case Builtin::SaveModel:
      return "none; model is a Model or a map {name: tensor}";
    case Builtin::GetTensor:
      return "the file's shape (row-major) when the model and the name are literals; unknown name "
             "or integer dtype: error";
    case Builtin::TensorNames:
      return "list of string";
    case Builtin::Metadata:
      return "any";
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
      return "without dim: int; with dim: x's shape with dim removed";
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
