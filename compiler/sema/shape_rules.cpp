// Shape rules applied to symbolic dims: NumPy broadcasting and matmul, reductions, reshape,
// indexing. The run-time versions (vm/tensor/shape.h) check what stays unknown here.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/sema/checker.h"
#include "vm/core/error.h"
#include "vm/tensor/einsum.h"

namespace tl::sema {

using namespace ast;

OriginId Checker::add_origin(std::string label, SourceRange range) {
  out_.origins.push_back({std::move(label), range});
  return static_cast<OriginId>(out_.origins.size() - 1);
}

std::string Checker::describe(const Dim& d) const {
  std::string s = d.to_string();
  if (d.origin != kNoOrigin && d.origin < out_.origins.size()) {
    const std::string& label = out_.origins[d.origin].label;
    // Names are quoted as code; descriptions ("the result of `f`") are not.
    s += label.find(' ') == std::string::npos ? fmt::format(" (from `{}`)", label)
                                              : fmt::format(" (from {})", label);
  }
  return s;
}

void Checker::note_origins(Diagnostic& diag, const Dim& a, const Dim& b) {
  for (const Dim* d : {&a, &b}) {
    if (d->origin == kNoOrigin || d->origin >= out_.origins.size()) continue;
    const Origin& o = out_.origins[d->origin];
    if (!o.range.valid()) continue;
    bool dup = std::any_of(diag.notes.begin(), diag.notes.end(),
                           [&](const DiagNote& n) { return n.range == o.range; });
    if (dup) continue;
    diag.note(o.range, o.label.find(' ') == std::string::npos
                           ? fmt::format("{} comes from `{}` here", d->to_string(), o.label)
                           : fmt::format("{} comes from {} here", d->to_string(), o.label));
  }
}

static bool is_one(const Dim& d) {
  return d.is_const() && d.value == 1;
}

// Broadcasts two dim lists (right-aligned); returns false after reporting.
static bool broadcast_dims(Checker& c, const std::vector<Dim>& a, const std::vector<Dim>& b,
                           std::vector<Dim>& out, size_t& bad_a, size_t& bad_b) {
  (void)c;
  size_t n = std::max(a.size(), b.size());
  out.assign(n, Dim::unknown());
  for (size_t i = 0; i < n; ++i) {
    const Dim* da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const Dim* db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    Dim& r = out[n - 1 - i];
    if (!da)
      r = *db;
    else if (!db)
      r = *da;
    else if (da->same(*db))
      r = da->origin != kNoOrigin ? *da : *db;
    else if (is_one(*da))
      r = *db;
    else if (is_one(*db))
      r = *da;
    else if (da->is_unknown())
      r = is_one(*db) ? Dim::unknown() : *db;
    else if (db->is_unknown())
      r = *da;
    else {
      bad_a = a.size() - 1 - i;
      bad_b = b.size() - 1 - i;
      return false;
    }
  }
  return true;
}

Type Checker::broadcast(const Type& a, const Type& b, const Expr* ea, const Expr* eb,
                        SourceRange op_range, std::string_view op) {
  (void)ea;
  (void)eb;
  if (!a.rank_known || !b.rank_known) return Type::tensor_unknown_rank();
  std::vector<Dim> out;
  size_t ia = 0, ib = 0;
  if (!broadcast_dims(*this, a.dims, b.dims, out, ia, ib)) {
    auto& d =
        sink_.report(DiagCode::E0402, op_range,
                     fmt::format("shapes of `{}` do not broadcast: {} vs {}: dim {} is {} vs {}",
                                 op, a.to_string(), b.to_string(),
                                 static_cast<int64_t>(ia) - static_cast<int64_t>(a.dims.size()),
                                 describe(a.dims[ia]), describe(b.dims[ib])));
    note_origins(d, a.dims[ia], b.dims[ib]);
    return Type::unknown();
  }
  return Type::tensor(std::move(out));
}

Type Checker::matmul(const Type& a, const Type& b, const Expr* ea, const Expr* eb,
                     SourceRange op_range, std::string_view op) {
  if (!a.rank_known || !b.rank_known) return Type::tensor_unknown_rank();
  for (auto [t, e] : {std::pair{&a, ea}, std::pair{&b, eb}})
    if (t->dims.empty()) {
      sink_.report(DiagCode::E0404, e->range,
                   fmt::format("`{}` needs tensors of rank 1 or more, not a rank-0 tensor", op));
      return Type::unknown();
    }
  const Dim& inner_a = a.dims.back();
  const Dim& inner_b = b.dims.size() == 1 ? b.dims[0] : b.dims[b.dims.size() - 2];
  if (!inner_a.same(inner_b) && !inner_a.is_unknown() && !inner_b.is_unknown()) {
    auto& d = sink_.report(
        DiagCode::E0403, op_range,
        fmt::format("inner dimensions of `{}` differ: {} vs {} ({} {} {})", op, describe(inner_a),
                    describe(inner_b), a.to_string(), op, b.to_string()));
    note_origins(d, inner_a, inner_b);
    return Type::unknown();
  }
  std::vector<Dim> batch_a(a.dims.begin(), a.dims.end() - std::min<size_t>(2, a.dims.size()));
  std::vector<Dim> batch_b(b.dims.begin(), b.dims.end() - std::min<size_t>(2, b.dims.size()));
  std::vector<Dim> out;
  size_t ia = 0, ib = 0;
  if (!broadcast_dims(*this, batch_a, batch_b, out, ia, ib)) {
    auto& d = sink_.report(DiagCode::E0402, op_range,
                           fmt::format("batch dimensions of `{}` do not broadcast: {} vs {}", op,
                                       describe(batch_a[ia]), describe(batch_b[ib])));
    note_origins(d, batch_a[ia], batch_b[ib]);
    return Type::unknown();
  }
  if (a.dims.size() >= 2) out.push_back(a.dims[a.dims.size() - 2]);
  if (b.dims.size() >= 2) out.push_back(b.dims.back());
  return Type::tensor(std::move(out));
}

std::optional<size_t> Checker::normalize_dim(const Type& x, const Expr* dim_expr,
                                             const Type& dim_type, std::string_view fn,
                                             bool allow_end) {
  const Dim* v = dim_type.int_value();
  if (!x.rank_known || !v || !v->is_const()) return std::nullopt;
  int64_t rank = static_cast<int64_t>(x.dims.size()) + (allow_end ? 1 : 0);
  int64_t d = v->value < 0 ? v->value + rank : v->value;
  if (d < 0 || d >= rank) {
    sink_.report(DiagCode::E0409, dim_expr->range,
                 fmt::format("dim {} is out of range for `{}` of {} (rank {}: dims {}..{})",
                             v->value, fn, x.to_string(), x.dims.size(), -rank, rank - 1));
    return std::nullopt;
  }
  return static_cast<size_t>(d);
}

Type Checker::reduce(const Type& x, const Expr* dim_expr, const Type& dim_type, bool keepdim,
                     std::string_view fn) {
  if (!x.rank_known) return Type::tensor_unknown_rank();
  if (!dim_expr) {
    if (!keepdim) return Type::tensor({});
    return Type::tensor(std::vector<Dim>(x.dims.size(), Dim::constant(1)));
  }
  auto d = normalize_dim(x, dim_expr, dim_type, fn, false);
  if (!d) {
    // Unknown dim (or reported): the rank is still known.
    if (x.dims.empty()) return Type::tensor({});
    return Type::tensor(
        std::vector<Dim>(keepdim ? x.dims.size() : x.dims.size() - 1, Dim::unknown()));
  }
  std::vector<Dim> out = x.dims;
  if (keepdim)
    out[*d] = Dim::constant(1);
  else
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(*d));
  return Type::tensor(std::move(out));
}

std::optional<std::vector<Dim>> Checker::shape_from_args(const std::vector<const Expr*>& es,
                                                         const std::vector<Type>& ts) {
  if (ts.size() == 1 && ts[0].is(TypeKind::Shape)) {
    if (!ts[0].rank_known) return std::nullopt;
    return ts[0].dims;
  }
  if (ts.size() == 1 && ts[0].is(TypeKind::List)) {
    const auto* lit = dyn_cast<ListLit>(es[0]);
    if (!lit) return std::nullopt;
    std::vector<Dim> dims;
    for (const Expr* e : lit->elements) {
      const Type& t = out_.expr_types[e->id];
      const Dim* v = t.int_value();
      if (!t.is(TypeKind::Int)) {
        sink_.report(DiagCode::E0401, e->range,
                     fmt::format("a shape holds ints, not {}", t.to_string()));
        return std::nullopt;
      }
      dims.push_back(v ? *v : Dim::unknown());
    }
    return dims;
  }
  std::vector<Dim> dims;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].is_unknown()) {
      dims.push_back(Dim::unknown());
      continue;
    }
    if (!ts[i].is(TypeKind::Int)) {
      sink_.report(DiagCode::E0401, es[i]->range,
                   fmt::format("a shape is given as ints, one Shape or one list, not {}",
                               ts[i].to_string()));
      return std::nullopt;
    }
    const Dim* v = ts[i].int_value();
    dims.push_back(v ? *v : Dim::unknown());
  }
  return dims;
}

Type Checker::reshape(const Type& x, const std::vector<Dim>& target, SourceRange range) {
  int minus_ones = 0;
  for (const Dim& d : target) {
    if (d.is_const() && d.value == -1)
      ++minus_ones;
    else if (d.is_const() && d.value < 0) {
      sink_.report(DiagCode::E0410, range, fmt::format("reshape to a negative size {}", d.value));
      return Type::unknown();
    }
  }
  if (minus_ones > 1) {
    sink_.report(DiagCode::E0410, range, "reshape: at most one dimension may be -1");
    return Type::unknown();
  }
  std::vector<Dim> out = target;
  if (!x.rank_known) {
    for (Dim& d : out)
      if (d.is_const() && d.value == -1) d = Dim::unknown();
    return Type::tensor(std::move(out));
  }
  bool src_known =
      std::all_of(x.dims.begin(), x.dims.end(), [](const Dim& d) { return d.is_const(); });
  bool tgt_known = true;
  size_t minus_at = out.size();
  std::vector<Dim> target_known;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].is_const() && out[i].value == -1)
      minus_at = i;
    else if (out[i].is_const())
      target_known.push_back(out[i]);
    else
      tgt_known = false;
  }
  if (!fits_tensor_limit(target_known) || !fits_tensor_limit(x.dims)) {
    sink_.report(DiagCode::E0419, range,
                 "reshape of a tensor that is too large: one tensor may have at most 2^40 "
                 "elements");
    return Type::unknown();
  }
  // Both fit the limit (the source is a tensor), so neither product overflows.
  const int64_t numel = const_product(x.dims).value_or(0);
  const int64_t prod = const_product(target_known).value_or(0);
  if (src_known && tgt_known) {
    if (minus_at == out.size() && prod != numel) {
      sink_.report(
          DiagCode::E0410, range,
          fmt::format(
              "cannot reshape {} ({} elements) to [{}] ({} elements)", x.to_string(), numel,
              [&] {
                std::string s;
                for (size_t i = 0; i < out.size(); ++i) s += (i ? ", " : "") + out[i].to_string();
                return s;
              }(),
              prod));
      return Type::unknown();
    }
    if (minus_at != out.size()) {
      if (prod == 0 || numel % prod != 0) {
        sink_.report(
            DiagCode::E0410, range,
            fmt::format("cannot reshape {} ({} elements) with -1: {} is not a multiple of {}",
                        x.to_string(), numel, numel, prod));
        return Type::unknown();
      }
      out[minus_at] = Dim::constant(numel / prod);
    }
    return Type::tensor(std::move(out));
  }
  // Symbolic: -1 is known when the other target dims are the source's dims but one.
  if (minus_at != out.size()) {
    std::vector<Dim> rest = x.dims;
    bool matched = true;
    for (size_t i = 0; i < out.size() && matched; ++i) {
      if (i == minus_at) continue;
      auto it =
          std::find_if(rest.begin(), rest.end(), [&](const Dim& d) { return d.same(out[i]); });
      if (it == rest.end())
        matched = false;
      else
        rest.erase(it);
    }
    out[minus_at] = matched && rest.size() == 1 ? rest[0] : Dim::unknown();
  }
  return Type::tensor(std::move(out));
}

Type Checker::index_tensor(const Type& x, const Index* ix) {
  if (!x.rank_known) return Type::tensor_unknown_rank();
  if (ix->items.size() > x.dims.size()) {
    sink_.report(DiagCode::E0413, ix->items[x.dims.size()]->range,
                 fmt::format("too many indices: {} has rank {} but {} indices are given",
                             x.to_string(), x.dims.size(), ix->items.size()));
    return Type::unknown();
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < ix->items.size(); ++i) {
    const Expr* it = ix->items[i];
    const Dim& d = x.dims[i];
    if (const auto* s = dyn_cast<Slice>(it)) {
      auto value = [&](const Expr* e) -> std::optional<int64_t> {
        if (!e) return std::nullopt;
        const Dim* v = out_.expr_types[e->id].int_value();
        if (v && v->is_const()) return v->value;
        return std::nullopt;
      };
      auto start = value(s->start), stop = value(s->stop), step = value(s->step);
      bool simple = (!s->start || start) && (!s->stop || stop) && (!s->step || step);
      if (s->step && step && *step == 0) {
        sink_.report(DiagCode::E0413, s->step->range, "slice step cannot be zero");
        return Type::unknown();
      }
      if (!s->start && !s->stop && (!s->step || (step && *step == 1))) {
        out.push_back(d);  // `:` keeps the dim (and its size variable)
      } else if (d.is_const() && simple) {
        // Python slice semantics, clamped.
        int64_t n = d.value, st = step.value_or(1);
        auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
          if (!v) return dflt;
          int64_t r = *v < 0 ? *v + n : *v;
          if (st > 0) return std::clamp<int64_t>(r, 0, n);
          return std::clamp<int64_t>(r, -1, n - 1);
        };
        int64_t b = clamp(start, st > 0 ? 0 : n - 1), e = clamp(stop, st > 0 ? n : -1);
        int64_t len = st > 0 ? (e > b ? (e - b + st - 1) / st : 0)
                             : (b > e ? (b - e + (-st) - 1) / (-st) : 0);
        out.push_back(Dim::constant(len));
      } else {
        out.push_back(Dim::unknown());
      }
      continue;
    }
    const Type& t = out_.expr_types[it->id];
    if (t.is_unknown()) continue;
    if (t.is(TypeKind::List) && ix->items.size() == 1 &&
        (t.elem == TypeKind::Int || t.elem == TypeKind::Unknown || is_empty_list(t))) {
      // E[ids]: the rows named by a list of ints (an embedding lookup), [len(ids), ...].
      out.push_back(t.rank_known && t.dims.size() == 1 ? t.dims[0] : Dim::unknown());
      continue;
    }
    if (!t.is(TypeKind::Int)) {
      sink_.report(DiagCode::E0401, it->range,
                   fmt::format("a tensor index must be an int, a slice or a list of ints, not {}",
                               t.to_string()));
      return Type::unknown();
    }
    const Dim* v = t.int_value();
    if (v && v->is_const() && d.is_const() && (v->value >= d.value || v->value < -d.value)) {
      auto& diag = sink_.report(
          DiagCode::E0413, it->range,
          fmt::format("index {} is out of range for dim {} of size {}", v->value, i, describe(d)));
      note_origins(diag, d, Dim::unknown());
      return Type::unknown();
    }
  }
  out.insert(out.end(), x.dims.begin() + static_cast<std::ptrdiff_t>(ix->items.size()),
             x.dims.end());
  return Type::tensor(std::move(out));
}

bool Checker::require_same_shape(const Type& a, const Type& b, const Expr* ea, const Expr* eb,
                                 std::string_view what) {
  (void)ea;
  if (!a.is_tensor() || !b.is_tensor() || !a.rank_known || !b.rank_known) return true;
  if (a.dims.size() != b.dims.size()) {
    sink_.report(DiagCode::E0414, eb->range,
                 fmt::format("{}: shapes differ: {} vs {}", what, a.to_string(), b.to_string()));
    return false;
  }
  for (size_t i = 0; i < a.dims.size(); ++i) {
    if (a.dims[i].is_unknown() || b.dims[i].is_unknown() || a.dims[i].same(b.dims[i])) continue;
    auto& d = sink_.report(
        DiagCode::E0414, eb->range,
        fmt::format("{}: shapes differ: {} vs {}: dim {} is {} vs {}", what, a.to_string(),
                    b.to_string(), i, describe(a.dims[i]), describe(b.dims[i])));
    note_origins(d, a.dims[i], b.dims[i]);
    return false;
  }
  return true;
}

Type Checker::permute(const Type& x, const std::vector<const Expr*>& dims,
                      const std::vector<Type>& dim_types) {
  if (dims.size() != x.dims.size()) {
    sink_.report(DiagCode::E0411, dims.empty() ? SourceRange{} : dims.front()->range,
                 fmt::format("transpose of {} needs all {} dims (a permutation) or two dims to "
                             "swap, got {}",
                             x.to_string(), x.dims.size(), dims.size()));
    return Type::unknown();
  }
  std::vector<Dim> out;
  std::vector<bool> seen(x.dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    auto d = normalize_dim(x, dims[i], dim_types[i], "transpose", false);
    if (!d) {
      if (dim_types[i].int_value() && dim_types[i].int_value()->is_const()) return Type::unknown();
      return Type::tensor(std::vector<Dim>(x.dims.size(), Dim::unknown()));
    }
    if (seen[*d]) {
      sink_.report(DiagCode::E0411, dims[i]->range,
                   fmt::format("dim {} appears twice in the permutation", *d));
      return Type::unknown();
    }
    seen[*d] = true;
    out.push_back(x.dims[*d]);
  }
  return Type::tensor(std::move(out));
}

// einsum("bhqd,bhkd->bhqk", q, k): each letter is bound to one size over all operands; a
// mismatch is reported at the operand that disagrees.
Type Checker::einsum(const Call* c, const BoundArgs& a) {
  const auto* lit = a.exprs.empty() ? nullptr : dyn_cast<StringLit>(a.exprs[0]);
  if (!lit) return Type::tensor_unknown_rank();
  EinsumSpec spec;
  try {
    spec = parse_einsum(lit->value, a.rest.size());
  } catch (const RuntimeError& e) {
    sink_.report(DiagCode::E0411, lit->range, e.what());
    return Type::unknown();
  }
  struct Binding {
    Dim size;
    size_t operand;
  };
  std::vector<std::pair<char, Binding>> letters;
  auto find = [&](char ch) -> Binding* {
    for (auto& [l, b] : letters)
      if (l == ch) return &b;
    return nullptr;
  };
  bool known = true;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    const Type& t = a.rest_types[i];
    const std::string& term = spec.inputs[i];
    if (!t.is_tensor() || !t.rank_known) {
      known = false;
      continue;
    }
    if (t.dims.size() != term.size()) {
      sink_.report(DiagCode::E0404, a.rest[i]->range,
                   fmt::format("einsum: operand {} is {} (rank {}) but its subscripts \"{}\" "
                               "name {} dims",
                               i + 1, t.to_string(), t.dims.size(), term, term.size()));
      return Type::unknown();
    }
    for (size_t k = 0; k < term.size(); ++k) {
      Binding* b = find(term[k]);
      if (!b) {
        letters.push_back({term[k], Binding{t.dims[k], i}});
      } else if (b->size.is_unknown()) {
        b->size = t.dims[k];
      } else if (!t.dims[k].is_unknown() && !b->size.same(t.dims[k])) {
        auto& d = sink_.report(
            DiagCode::E0414, a.rest[i]->range,
            fmt::format("einsum: `{}` is {} in operand {} but {} in operand {} (dim {} of {})",
                        term[k], describe(b->size), b->operand + 1, describe(t.dims[k]), i + 1, k,
                        t.to_string()));
        note_origins(d, b->size, t.dims[k]);
        return Type::unknown();
      }
    }
  }
  (void)c;
  if (!known) return Type::tensor(std::vector<Dim>(spec.output.size(), Dim::unknown()));
  std::vector<Dim> out;
  for (char ch : spec.output) out.push_back(find(ch)->size);
  return Type::tensor(std::move(out));
}

}  // namespace tl::sema
