// Expressions: names, operators, calls, members, indexing and literals.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/sema/checker.h"
#include "compiler/sema/suggest.h"

namespace tl::sema {

using namespace ast;

Type Checker::check_expr(const Expr* e) {
  ++expr_depth_;
  Type t = check_expr_impl(e);
  --expr_depth_;
  out_.expr_types[e->id] = t;
  return t;
}

Type Checker::as_value(const Type& t) const {
  // With the file's header, a path that is no tensor is a prefix (`m.blk[0]`): a value of its
  // own whose members are tensors. Without it, it may be either.
  if (t.is(TypeKind::ModelPath)) return t.model ? t : Type::unknown();
  return t;
}

Type Checker::check_expr_impl(const Expr* e) {
  switch (e->kind) {
    case NodeKind::IntLit: {
      const auto* lit = cast<IntLit>(e);
      if (lit->value > static_cast<uint64_t>(INT64_MAX)) return Type::of(TypeKind::Int);
      return Type::integer(Dim::constant(static_cast<int64_t>(lit->value)));
    }
    case NodeKind::FloatLit:
      return Type::of(TypeKind::Float);
    case NodeKind::StringLit:
      return Type::string(std::string(cast<StringLit>(e)->value));
    case NodeKind::BoolLit:
      return Type::of(TypeKind::Bool);
    case NodeKind::Ident:
      return check_ident(cast<Ident>(e));
    case NodeKind::Unary:
      return check_unary(cast<Unary>(e));
    case NodeKind::Binary:
      return check_binary(cast<Binary>(e));
    case NodeKind::Call:
      return check_postfix(e);
    case NodeKind::Member:
      return check_postfix(e);
    case NodeKind::Index:
      return check_postfix(e);
    case NodeKind::Slice: {
      const auto* s = cast<Slice>(e);
      for (const Expr* part : {s->start, s->stop, s->step}) {
        if (!part) continue;
        Type t = check_expr(part);
        if (!t.is_unknown() && !t.is(TypeKind::Int))
          sink_.report(DiagCode::E0401, part->range,
                       fmt::format("slice bounds must be int, not {}", t.to_string()));
      }
      return Type::unknown();
    }
    case NodeKind::ListLit:
      return check_list(cast<ListLit>(e));
    case NodeKind::MapLit:
      return check_map(cast<MapLit>(e));
    case NodeKind::TensorCtor:
      return check_tensor_ctor(cast<TensorCtor>(e));
    case NodeKind::Paren:
      return check_expr(cast<Paren>(e)->inner);
    default:
      return Type::unknown();  // ErrorExpr: the parser has reported it
  }
}

Type Checker::check_ident(const Ident* id) {
  SymbolId s = lookup(id->name);
  if (s != kNoSymbol) {
    reference(id, s, false);
    if (out_.symbols[s].kind == SymbolKind::Function) fn_escapes_[out_.symbols[s].function] = 1;
    return current_[s];
  }
  if (id->name == "inf" || id->name == "nan") return Type::of(TypeKind::Float);  // constants
  if (id->name == "none") return Type::of(TypeKind::None);
  if (builtin_by_name(id->name)) {
    sink_.report(DiagCode::E0310, id->range,
                 fmt::format("builtin `{}` can only be called: `{}(...)`", id->name, id->name));
    return Type::unknown();
  }
  report_unknown_name(id->name, id->range);
  return Type::unknown();
}

Type Checker::check_unary(const Unary* u) {
  Type t = as_value(check_expr(u->operand));
  if (t.is_unknown()) return t;
  if (u->op == UnaryOp::Neg) {
    if (t.is_tensor() || t.is(TypeKind::Float)) return t;
    if (t.is(TypeKind::Int)) {
      const Dim* v = t.int_value();
      if (v && v->is_const()) return Type::integer(Dim::constant(-v->value));
      return Type::of(TypeKind::Int);
    }
  } else if (t.is(TypeKind::Bool)) {
    return t;
  }
  sink_.report(
      DiagCode::E0401, u->range,
      fmt::format("`{}` cannot be applied to {}", unary_op_spelling(u->op), t.to_string()));
  return Type::unknown();
}

// `max(x) > 0`, `x[0, 1] == y[0, 1]`: a tensor compares as a number when it has one element (a
// reduction, an indexed element), giving a bool. A bigger tensor compares element by element,
// giving a 0/1 mask (E0417 remains for a mask used as a condition).
Type Checker::tensor_comparison(const Binary* b, const Type& l, const Type& r) {
  const std::string_view op = binary_op_spelling(b->op);
  bool unknown = false;
  for (const auto& [t, e] : {std::pair{&l, b->lhs}, std::pair{&r, b->rhs}}) {
    if (!t->is_tensor()) {
      if (!t->is_number()) {
        sink_.report(
            DiagCode::E0401, b->op_range,
            fmt::format("`{}` cannot be applied to {} and {}", op, l.to_string(), r.to_string()));
        return Type::unknown();
      }
      continue;
    }
    if (!t->rank_known) {
      unknown = true;  // one element or not: the VM checks
      continue;
    }
    bool one = true, known = true;
    for (const Dim& d : t->dims) {
      if (!d.is_const())
        known = false;
      else if (d.value != 1)
        one = false;
    }
    if (!one) {
      // Element by element: a float16 0/1 mask of the broadcast shape (what `where` and
      // `masked_fill` take; a mask is no `if` condition).
      if (l.is_tensor() && r.is_tensor()) return broadcast(l, r, b->lhs, b->rhs, b->op_range, op);
      return *t;
    }
    unknown |= !known;
  }
  return unknown ? Type::unknown() : Type::of(TypeKind::Bool);
}

// Left-deep chains (`1 + 1 + ... + 1`, legal at any length) are walked iteratively: recursion
// on the left operand would follow the chain's length, not the parser's nesting limit.
Type Checker::check_binary(const Binary* top) {
  std::vector<const Binary*> spine;
  const Expr* leftmost = top;
  while (const auto* b = dyn_cast<Binary>(leftmost)) {
    spine.push_back(b);
    leftmost = b->lhs;
  }
  Type l = check_expr(leftmost);
  for (size_t i = spine.size(); i-- > 1;) {
    l = binary_result(spine[i], as_value(l));
    out_.expr_types[spine[i]->id] = l;
  }
  return binary_result(top, as_value(l));
}

// `x @ [[1.0, 2.0]]`, `x + [1.0, 2.0]`: a numeric list literal that meets a tensor operand is a
// float16 tensor literal of its shape (the compiler builds it as one).
Type Checker::list_as_tensor(const Expr* e, const Type& t) {
  const Expr* inner = e;
  while (const auto* p = dyn_cast<Paren>(inner)) inner = p->inner;
  if (!isa<ListLit>(inner) || !t.is(TypeKind::List) || !t.rank_known ||
      (t.elem != TypeKind::Int && t.elem != TypeKind::Float))
    return t;
  Type tensor = Type::tensor(t.dims);
  for (const Expr* p = e;; p = cast<Paren>(p)->inner) {
    out_.expr_types[p->id] = tensor;
    if (p == inner) break;
  }
  return tensor;
}

Type Checker::binary_result(const Binary* b, Type l) {
  Type r = as_value(check_expr(b->rhs));
  if (l.is_tensor()) r = list_as_tensor(b->rhs, r);
  if (r.is_tensor()) l = list_as_tensor(b->lhs, l);
  std::string_view op = binary_op_spelling(b->op);
  auto mismatch = [&]() {
    sink_.report(
        DiagCode::E0401, b->op_range,
        fmt::format("`{}` cannot be applied to {} and {}", op, l.to_string(), r.to_string()));
    return Type::unknown();
  };
  if (l.is_unknown() || r.is_unknown()) {
    switch (b->op) {
      case BinaryOp::Or:
      case BinaryOp::And:
        return Type::of(TypeKind::Bool);
      default:
        return Type::unknown();
    }
  }
  switch (b->op) {
    case BinaryOp::Or:
    case BinaryOp::And:
      if (!l.is(TypeKind::Bool) || !r.is(TypeKind::Bool)) return mismatch();
      return Type::of(TypeKind::Bool);
    case BinaryOp::MatMul:
      if (!l.is_tensor() || !r.is_tensor()) return mismatch();
      return matmul(l, r, b->lhs, b->rhs, b->op_range, "@");
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      if (l.is_tensor() || r.is_tensor()) return tensor_comparison(b, l, r);
      if (l.kind != r.kind && !(l.is_number() && r.is_number())) return mismatch();
      return Type::of(TypeKind::Bool);
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
      if (l.is_tensor() || r.is_tensor()) return tensor_comparison(b, l, r);
      if (l.is_number() && r.is_number()) return Type::of(TypeKind::Bool);
      if (l.is(TypeKind::String) && r.is(TypeKind::String)) return Type::of(TypeKind::Bool);
      return mismatch();
    default:
      break;
  }
  // Arithmetic: + - * / % **
  if (l.is_tensor() && r.is_tensor()) return broadcast(l, r, b->lhs, b->rhs, b->op_range, op);
  if (l.is_tensor() && r.is_number()) return l;
  if (r.is_tensor() && l.is_number()) return r;
  if (l.is(TypeKind::String) && r.is(TypeKind::String) && b->op == BinaryOp::Add)
    return concat_strings(l, r);
  if (l.is(TypeKind::List) && r.is(TypeKind::List) && b->op == BinaryOp::Add) {
    // A new list: the left's items, then the right's (an empty literal says nothing of them).
    Type joined = Type::of(TypeKind::List);
    joined.elem = is_empty_list(l)   ? r.elem
                  : is_empty_list(r) ? l.elem
                  : l.elem == r.elem ? l.elem
                                     : TypeKind::Unknown;
    return joined;
  }
  if (!l.is_number() || !r.is_number()) return mismatch();
  if (l.is(TypeKind::Int) && r.is(TypeKind::Int) && b->op != BinaryOp::Div) {
    const Dim* x = l.int_value();
    const Dim* y = r.int_value();
    if (x && y && x->is_const() && y->is_const()) {
      // An overflowing fold is left to run time, which reports the overflow at this position.
      int64_t a = x->value, c = y->value, v = 0;
      switch (b->op) {
        case BinaryOp::Add:
          if (!__builtin_add_overflow(a, c, &v)) return Type::integer(Dim::constant(v));
          break;
        case BinaryOp::Sub:
          if (!__builtin_sub_overflow(a, c, &v)) return Type::integer(Dim::constant(v));
          break;
        case BinaryOp::Mul:
          if (!__builtin_mul_overflow(a, c, &v)) return Type::integer(Dim::constant(v));
          break;
        default:
          break;
      }
    }
    return Type::of(TypeKind::Int);
  }
  return Type::of(TypeKind::Float);
}

// --- literals -----------------------------------------------------------------------------------

// A map literal; with constant keys its entries are known (a record: `hp["n_head"]` is an int).
// (Out of check_expr_impl, whose frame every nested expression pays for.)
Type Checker::check_map(const MapLit* m) {
  auto fields = std::make_shared<MapFields>();
  bool known = true;
  for (const MapEntry& en : m->entries) {
    Type k = check_expr(en.key);
    if (!k.is_unknown() && !k.is(TypeKind::String))
      sink_.report(DiagCode::E0401, en.key->range,
                   fmt::format("map keys are strings, not {}", k.to_string()));
    Type v = as_value(check_expr(en.value));
    if (!k.is(TypeKind::String) || k.text != Type::Text::Known) {
      known = false;
      continue;
    }
    auto same = std::find_if(fields->begin(), fields->end(),
                             [&](const MapField& f) { return f.key == k.path; });
    if (same != fields->end()) fields->erase(same);  // the later entry wins, as at run time
    fields->push_back({k.path, std::move(v)});
  }
  Type t = Type::of(TypeKind::Map);
  if (known) t.fields = std::move(fields);
  return t;
}

Type Checker::check_list(const ListLit* l) {
  Type t = Type::of(TypeKind::List);
  std::vector<Type> elems;
  elems.reserve(l->elements.size());
  for (const Expr* e : l->elements) elems.push_back(as_value(check_expr(e)));
  t.rank_known = true;
  t.dims.push_back(Dim::constant(static_cast<int64_t>(elems.size())));
  if (elems.empty()) {
    t.elem = TypeKind::Float;
    return t;
  }
  bool numbers =
      std::all_of(elems.begin(), elems.end(), [](const Type& x) { return x.is_number(); });
  if (numbers) {
    bool ints =
        std::all_of(elems.begin(), elems.end(), [](const Type& x) { return x.is(TypeKind::Int); });
    t.elem = ints ? TypeKind::Int : TypeKind::Float;
    return t;
  }
  bool rows = std::all_of(elems.begin(), elems.end(), [](const Type& x) {
    return x.is(TypeKind::List) && x.rank_known && x.elem != TypeKind::Tensor;
  });
  if (rows) {
    const Type& first = elems[0];
    for (size_t i = 1; i < elems.size(); ++i) {
      if (elems[i].dims.size() == first.dims.size()) {
        bool same = true;
        for (size_t k = 0; k < first.dims.size(); ++k) same &= elems[i].dims[k].same(first.dims[k]);
        if (same) continue;
      }
      auto count = [](const Type& row) {
        if (row.dims.size() != 1) return "shape " + row.to_string().substr(5);
        std::string n = row.dims[0].to_string();
        return n + (n == "1" ? " element" : " elements");
      };
      const std::string got = count(elems[i]);
      const std::string want = count(first);
      sink_
          .report(
              DiagCode::E0408, l->elements[i]->range,
              fmt::format("ragged tensor literal: row {} has {} but row 0 has {}", i, got, want))
          .note(l->elements[0]->range, "row 0 is here");
      return Type::unknown();
    }
    t.elem = first.elem == TypeKind::Int ? TypeKind::Int : TypeKind::Float;
    t.dims.insert(t.dims.end(), first.dims.begin(), first.dims.end());
    return t;
  }
  bool tensors =
      std::all_of(elems.begin(), elems.end(), [](const Type& x) { return x.is_tensor(); });
  if (tensors) {
    t.elem = TypeKind::Tensor;
    return t;
  }
  // A list of numbers and lists: ragged at the first element of the other kind.
  bool any_number =
      std::any_of(elems.begin(), elems.end(), [](const Type& x) { return x.is_number(); });
  bool any_list =
      std::any_of(elems.begin(), elems.end(), [](const Type& x) { return x.is(TypeKind::List); });
  if (any_number && any_list) {
    bool first_list = elems[0].is(TypeKind::List);
    for (size_t i = 1; i < elems.size(); ++i)
      if (elems[i].is(TypeKind::List) != first_list &&
          (elems[i].is_number() || elems[i].is(TypeKind::List))) {
        sink_
            .report(
                DiagCode::E0408, l->elements[i]->range,
                fmt::format("ragged tensor literal: element {} is {} but element 0 is {}", i,
                            first_list ? "a number" : "a list", first_list ? "a list" : "a number"))
            .note(l->elements[0]->range, "element 0 is here");
        return Type::unknown();
      }
  }
  t.rank_known = true;
  t.elem = TypeKind::Unknown;
  return t;
}

Type Checker::check_tensor_ctor(const TensorCtor* tc) {
  Type data = Type::unknown();
  bool have_data = false;
  if (classify_element(tc->element) == ElementClass::Unknown) {
    sink_.report(DiagCode::E0308, tc->element_range,
                 fmt::format("unknown element type `{}`; TL tensors are float16", tc->element));
  } else if (classify_element(tc->element) == ElementClass::Integer) {
    sink_.report(
        DiagCode::E0309, tc->element_range,
        fmt::format("`{}` tensors are not supported: TL tensors are floating point (float16)",
                    tc->element));
  } else if (classify_element(tc->element) == ElementClass::OtherFloat) {
    sink_.report(DiagCode::W0301, tc->element_range,
                 fmt::format("`{}` values are stored and computed as float16", tc->element));
  }
  for (const Arg& a : tc->args) {
    if (a.named()) {
      if (a.name == "device") {
        std::string_view dev;
        if (const auto* id = dyn_cast<Ident>(a.value))
          dev = id->name;
        else if (const auto* s = dyn_cast<StringLit>(a.value))
          dev = s->value;
        if (dev != "gpu" && dev != "cpu")
          sink_.report(DiagCode::E0315, a.value->range, "device must be `gpu` or `cpu`");
        continue;
      }
      sink_.report(
          DiagCode::E0312, a.name_range,
          fmt::format("`tensor<...>(...)` has no parameter `{}` (it takes data and device)",
                      a.name));
      continue;
    }
    if (have_data) {
      sink_.report(DiagCode::E0311, a.range, "`tensor<...>(...)` takes one data argument");
      check_expr(a.value);
      continue;
    }
    have_data = true;
    data = as_value(check_expr(a.value));
  }
  if (!have_data) {
    sink_.report(DiagCode::E0311, tc->range, "`tensor<...>(...)` needs its data: a nested list");
    return Type::tensor_unknown_rank();
  }
  if (data.is(TypeKind::List) && data.rank_known && data.elem != TypeKind::Tensor &&
      data.elem != TypeKind::Unknown)
    return Type::tensor(data.dims);
  if (data.is_tensor()) return data;
  if (data.is_number()) return Type::tensor({});
  if (!data.is_unknown() && !data.is(TypeKind::List))
    sink_.report(
        DiagCode::E0401, tc->args[0].value->range,
        fmt::format("tensor data must be a nested list of numbers, not {}", data.to_string()));
  return Type::tensor_unknown_rank();
}

// --- members and indexing -----------------------------------------------------------------------

// The object a postfix operation applies to: `o` in `o.m`, `o[i]`, `o.f(a)` and `o(a)`; nullptr
// for a call of a name (`f(a)`), which starts a chain.
static const Expr* postfix_object(const Expr* e) {
  if (const auto* m = dyn_cast<Member>(e)) return m->object;
  if (const auto* ix = dyn_cast<Index>(e)) return ix->object;
  if (const auto* c = dyn_cast<Call>(e)) {
    if (isa<Ident>(c->callee)) return nullptr;
    if (const auto* m = dyn_cast<Member>(c->callee)) return m->object;
    return c->callee;
  }
  return nullptr;
}

// Postfix chains (`x.relu().exp()[0].shape`, legal at any length) are walked iteratively, from
// the innermost object out, for the same reason as operator chains.
Type Checker::check_postfix(const Expr* top) {
  std::vector<const Expr*> spine;
  const Expr* base = top;
  while (const Expr* next = postfix_object(base)) {
    spine.push_back(base);
    base = next;
  }
  const auto* module = dyn_cast<Ident>(base);
  const auto* call = spine.empty() ? nullptr : dyn_cast<Call>(spine.back());
  const auto* method = call ? dyn_cast<Member>(call->callee) : nullptr;
  const bool module_prefix = module && method && method->object == base &&
                             is_module_prefix(module->name) && lookup(module->name) == kNoSymbol &&
                             builtin_by_name(method->name);
  if (module_prefix) {
    // `torch.softmax(x, dim=-1)` is `softmax(x, dim: -1)` (check_call binds no receiver).
    sink_
        .report(DiagCode::W0304, module->range,
                fmt::format("`{}.` is ignored: TL builtins are plain functions (`{}(...)`)",
                            module->name, method->name))
        .fix(SourceRange{module->range.file, module->range.begin, method->name_range.begin}, "");
  }
  Type t = isa<Call>(base) ? check_call(cast<Call>(base), nullptr)
           : module_prefix ? Type::unknown()
                           : check_expr(base);
  if (isa<Call>(base)) out_.expr_types[base->id] = t;
  for (size_t i = spine.size(); i-- > 0;) {
    const Expr* e = spine[i];
    if (const auto* m = dyn_cast<Member>(e))
      t = check_member(m, std::move(t));
    else if (const auto* ix = dyn_cast<Index>(e))
      t = check_index(ix, std::move(t));
    else
      t = check_call(cast<Call>(e), &t);
    out_.expr_types[e->id] = t;
  }
  return t;
}

Type Checker::check_member(const Member* m, Type obj) {
  if (obj.is(TypeKind::Model) || obj.is(TypeKind::ModelPath)) {
    std::string path =
        obj.is(TypeKind::Model) ? std::string(m->name) : obj.path + "." + std::string(m->name);
    return model_path(obj, std::move(path), m->range);
  }
  if (obj.is_unknown()) return obj;
  if (m->name == "shape" && obj.is_tensor()) {
    if (!obj.rank_known) return Type::of(TypeKind::Shape);
    return Type::shape(obj.dims);
  }
  if (m->name == "ndim" && obj.is_tensor()) {
    if (!obj.rank_known) return Type::of(TypeKind::Int);
    return Type::integer(Dim::constant(static_cast<int64_t>(obj.dims.size())));
  }
  if ((m->name == "T" || m->name == "mT") && obj.is_tensor()) {
    if (!obj.rank_known) return obj;
    Type t = obj;
    if (m->name == "T") {
      std::reverse(t.dims.begin(), t.dims.end());
    } else if (t.dims.size() < 2) {
      sink_.report(DiagCode::E0404, m->name_range,
                   fmt::format("`.mT` swaps the last two dims; {} has rank {}", obj.to_string(),
                               obj.dims.size()));
      return Type::unknown();
    } else {
      std::swap(t.dims[t.dims.size() - 1], t.dims[t.dims.size() - 2]);
    }
    return t;
  }
  auto& d = sink_.report(
      DiagCode::E0313, m->name_range,
      fmt::format(
          "{} has no member `{}`{}", obj.to_string(), m->name,
          obj.is_tensor() ? " (tensors have `.shape`, `.ndim`, `.T` and builtin methods)" : ""));
  if (const ForeignName* f = foreign_name(m->name)) d.note({}, std::string(f->advice));
  return Type::unknown();
}

Type Checker::check_index(const Index* ix, Type obj) {
  std::vector<Type> items;
  for (const Expr* it : ix->items) items.push_back(as_value(check_expr(it)));
  if (obj.is(TypeKind::Model) || obj.is(TypeKind::ModelPath)) {
    if (ix->items.size() == 1) {
      std::string key;
      if (const auto* i = dyn_cast<IntLit>(ix->items[0]))
        key = std::string(i->text);
      else if (const auto* s = dyn_cast<StringLit>(ix->items[0]))
        key = std::string(s->value);
      // An int the checker knows (`let k = 3`) names one layer; one known only at run time,
      // every `blk.<n>` (`*` in the path).
      if (const Dim* v = items[0].int_value(); key.empty() && v && v->is_const())
        key = std::to_string(v->value);
      if (key.empty() && (items[0].is(TypeKind::Int) || items[0].is_unknown()) &&
          !isa<Slice>(ix->items[0]))
        key = "*";
      if (!key.empty()) {
        std::string path = obj.is(TypeKind::Model) ? key : obj.path + "." + key;
        return model_path(obj, std::move(path), ix->range);
      }
    }
    return Type::unknown();
  }
  obj = as_value(obj);
  switch (obj.kind) {
    case TypeKind::Tensor:
      return index_tensor(obj, ix);
    case TypeKind::Shape: {
      if (ix->items.size() != 1 || isa<Slice>(ix->items[0])) return Type::of(TypeKind::Shape);
      const Dim* v = items[0].int_value();
      if (!obj.rank_known || !v || !v->is_const()) return Type::of(TypeKind::Int);
      int64_t rank = static_cast<int64_t>(obj.dims.size());
      int64_t i = v->value < 0 ? v->value + rank : v->value;
      if (i < 0 || i >= rank) {
        sink_.report(
            DiagCode::E0413, ix->items[0]->range,
            fmt::format("index {} is out of range for a shape of rank {}", v->value, rank));
        return Type::of(TypeKind::Int);
      }
      return Type::integer(obj.dims[static_cast<size_t>(i)]);
    }
    case TypeKind::List:
      if (obj.rank_known && obj.dims.size() > 1 && ix->items.size() == 1 &&
          !isa<Slice>(ix->items[0])) {
        Type row = obj;
        row.dims.erase(row.dims.begin());
        return row;
      }
      if (obj.elem == TypeKind::Int || obj.elem == TypeKind::Float) return Type::of(obj.elem);
      if (obj.strings && ix->items.size() == 1 && !isa<Slice>(ix->items[0])) {
        // A known list of constant strings (args()) at a constant index. Only from the front:
        // append() may grow the list at run time, which moves what a negative index names.
        const Dim* v = items[0].int_value();
        if (v && v->is_const() && v->value >= 0 &&
            static_cast<uint64_t>(v->value) < obj.strings->size())
          return Type::string((*obj.strings)[static_cast<size_t>(v->value)]);
        return Type::of(TypeKind::String);
      }
      return Type::unknown();
    case TypeKind::String:
      return obj;
    case TypeKind::Map:
      if (ix->items.size() == 1) return map_field(obj, items[0]);
      return Type::unknown();
    case TypeKind::Unknown:
      return Type::unknown();
    default:
      sink_.report(DiagCode::E0401, ix->range,
                   fmt::format("{} cannot be indexed", obj.to_string()));
      return Type::unknown();
  }
}

// `m["k"]` of a map whose entries are known: the entry's type, unless the file assigns that key
// somewhere (`m["k"] = v`: the entry may have changed by then, through any name).
Type Checker::map_field(const Type& map, const Type& key) {
  if (!map.fields || !key.is(TypeKind::String) || key.text != Type::Text::Known)
    return Type::unknown();
  if (!assigned_keys_ready_) collect_assigned_keys();
  if (assigned_keys_.count(key.path)) return Type::unknown();
  for (const MapField& f : *map.fields)
    if (f.key == key.path) return f.type;
  return Type::unknown();
}

// The keys of every `x["key"] = v` in the file (statements only: assignments are statements).
void Checker::collect_assigned_keys() {
  assigned_keys_ready_ = true;
  std::vector<const Stmt*> work(tree_.module()->items.begin(), tree_.module()->items.end());
  auto push_block = [&](const Block* b) {
    if (b) work.insert(work.end(), b->stmts.begin(), b->stmts.end());
  };
  while (!work.empty()) {
    const Stmt* s = work.back();
    work.pop_back();
    if (!s) continue;
    if (const auto* as = dyn_cast<Assign>(s)) {
      if (const auto* ix = dyn_cast<Index>(as->target); ix && ix->items.size() == 1)
        if (const auto* key = dyn_cast<StringLit>(ix->items[0])) assigned_keys_.emplace(key->value);
    } else if (const auto* b = dyn_cast<Block>(s)) {
      push_block(b);
    } else if (const auto* i = dyn_cast<If>(s)) {
      push_block(i->then_block);
      work.push_back(i->else_branch);
    } else if (const auto* w = dyn_cast<While>(s)) {
      push_block(w->body);
    } else if (const auto* f = dyn_cast<For>(s)) {
      push_block(f->body);
    } else if (const auto* fn = dyn_cast<FnDecl>(s)) {
      push_block(fn->body);
    } else if (const auto* m = dyn_cast<MainBlock>(s)) {
      push_block(m->body);
    }
  }
}

// --- calls --------------------------------------------------------------------------------------

Type Checker::check_call(const Call* c, const Type* object) {
  CallInfo info;
  Type result = Type::unknown();
  bool handled = false;
  if (const auto* id = dyn_cast<Ident>(c->callee)) {
    SymbolId s = lookup(id->name);
    if (s != kNoSymbol) {
      reference(id, s, false);
      const Type& t = current_[s];
      out_.expr_types[id->id] = t;
      if (t.is(TypeKind::Function)) {
        result = call_function(c, t.fn, info);
        handled = true;
      } else if (!t.is_unknown()) {
        sink_
            .report(DiagCode::E0310, id->range,
                    fmt::format("`{}` is not a function (it is {})", id->name, t.to_string()))
            .note(out_.symbols[s].name_range, fmt::format("`{}` declared here", id->name));
      }
    } else if (auto b = builtin_by_name(id->name)) {
      result = call_builtin(c, *b, nullptr, nullptr, info);
      handled = true;
    } else {
      report_unknown_name(id->name, id->range);
    }
  } else if (const auto* m = dyn_cast<Member>(c->callee)) {
    Type self = *object;
    const auto* module = dyn_cast<Ident>(m->object);
    if (auto b = builtin_by_name(m->name); b && module && self.is_unknown() &&
                                           lookup(module->name) == kNoSymbol &&
                                           is_module_prefix(module->name)) {
      // `torch.softmax(x, dim=-1)`: W0304 said the prefix is ignored; `softmax(x, ...)`.
      result = call_builtin(c, *b, nullptr, nullptr, info);
      handled = true;
    } else if (b) {
      info.method = true;
      Type v = as_value(self);
      result = call_builtin(c, *b, m->object, &v, info);
      handled = true;
    } else if (!self.is_unknown()) {
      auto& d = sink_.report(DiagCode::E0313, m->name_range,
                             fmt::format("{} has no method `{}`", self.to_string(), m->name));
      if (const ForeignName* f = foreign_name(m->name)) {
        d.note({}, std::string(f->advice));
        if (!f->rename.empty()) d.fix(m->name_range, std::string(f->rename));
      } else {
        std::vector<std::string> names;
        for (const auto& bi : kBuiltinTable) names.emplace_back(bi.name);
        auto close = closest(m->name, names);
        if (!close.empty())
          d.note({}, "did you mean " + join_names(close) + "?").fix(m->name_range, close[0]);
      }
    }
  } else {
    const Type& t = *object;
    if (!t.is_unknown())
      sink_.report(DiagCode::E0310, c->callee->range,
                   fmt::format("a {} cannot be called", t.to_string()));
  }
  if (!handled)
    for (const Arg& a : c->args) check_expr(a.value);
  if (result.is_tensor() && result.rank_known && !fits_tensor_limit(result.dims)) {
    sink_.report(DiagCode::E0419, c->range,
                 fmt::format("{} is too large: one tensor may have at most 2^40 elements",
                             result.to_string()));
    result = Type::unknown();
  }
  out_.expr_call[c->id] = static_cast<uint32_t>(out_.calls.size());
  out_.calls.push_back(std::move(info));
  return result;
}

bool Checker::bind_builtin_args(const Call* c, const BuiltinSignature& sig, const Expr* self,
                                const Type* self_type, BoundArgs& out) {
  out.sig = &sig;
  out.exprs.assign(sig.params.size(), nullptr);
  out.types.assign(sig.params.size(), Type::unknown());
  std::vector<std::pair<const Expr*, Type>> positional;
  if (self) positional.emplace_back(self, *self_type);
  std::vector<Type> arg_types;
  for (const Arg& a : c->args) arg_types.push_back(as_value(check_expr(a.value)));
  for (size_t i = 0; i < c->args.size(); ++i)
    if (!c->args[i].named()) positional.emplace_back(c->args[i].value, arg_types[i]);
  if (sig.id == Builtin::LayerNorm && positional.size() >= 2 && isa<ListLit>(positional[1].first)) {
    // layer_norm(x, [D], w, b): PyTorch's normalized shape, which must be x's last dim (the
    // compiler drops it the same way).
    check_normalized_shape(positional[0].second, cast<ListLit>(positional[1].first));
    positional.erase(positional.begin() + 1);
  }
  bool ok = true;
  size_t p = 0;
  for (auto& [e, t] : positional) {
    while (p < sig.params.size() && !sig.params[p].variadic && out.exprs[p]) ++p;
    if (p >= sig.params.size()) {
      sink_.report(DiagCode::E0311, e->range,
                   fmt::format("too many arguments: `{}` takes {}", sig.name, sig.params.size()));
      ok = false;
      break;
    }
    if (sig.params[p].variadic) {
      out.rest.push_back(e);
      out.rest_types.push_back(t);
      continue;
    }
    out.exprs[p] = e;
    out.types[p] = t;
    ++p;
  }
  for (size_t i = 0; i < c->args.size(); ++i) {
    const Arg& a = c->args[i];
    if (!a.named()) continue;
    auto it = std::find_if(sig.params.begin(), sig.params.end(),
                           [&](const BuiltinParam& bp) { return bp.name == a.name; });
    if (it == sig.params.end()) {
      auto& d = sink_.report(DiagCode::E0312, a.name_range,
                             fmt::format("`{}` has no parameter `{}`", sig.name, a.name));
      std::vector<std::string> names;
      for (const auto& bp : sig.params) names.push_back(bp.name);
      auto close = closest(a.name, names);
      if (!close.empty())
        d.note({}, "did you mean " + join_names(close) + "?").fix(a.name_range, close[0]);
      ok = false;
      continue;
    }
    size_t k = static_cast<size_t>(it - sig.params.begin());
    if (out.exprs[k]) {
      sink_.report(DiagCode::E0311, a.range,
                   fmt::format("argument `{}` of `{}` is given twice", a.name, sig.name));
      ok = false;
      continue;
    }
    out.exprs[k] = a.value;
    out.types[k] = arg_types[i];
  }
  for (size_t k = 0; k < sig.params.size(); ++k) {
    const BuiltinParam& bp = sig.params[k];
    if (bp.variadic) {
      for (size_t r = 0; r < out.rest.size(); ++r)
        if (!accepts(bp.type, out.rest_types[r])) {
          sink_.report(DiagCode::E0401, out.rest[r]->range,
                       fmt::format("arguments `{}` of `{}` must be {}, not {}", bp.name, sig.name,
                                   param_type_name(bp.type), out.rest_types[r].to_string()));
          ok = false;
        }
      continue;
    }
    if (!out.exprs[k]) {
      if (!bp.has_default) {
        sink_.report(DiagCode::E0311, c->range,
                     fmt::format("missing argument `{}` of `{}`", bp.name, sig.name));
        ok = false;
      }
      continue;
    }
    // `none` passed for an optional parameter is the default.
    if (out.types[k].is(TypeKind::None) && bp.has_default && bp.default_text == "none") {
      out.exprs[k] = nullptr;
      continue;
    }
    if (!accepts(bp.type, out.types[k])) {
      sink_.report(DiagCode::E0401, out.exprs[k]->range,
                   fmt::format("argument `{}` of `{}` must be {}, not {}", bp.name, sig.name,
                               param_type_name(bp.type), out.types[k].to_string()));
      ok = false;
    }
  }
  return ok;
}

void Checker::check_normalized_shape(const Type& x, const ListLit* shape) {
  const Type& t = out_.expr_types[shape->id];
  if (shape->elements.size() != 1) {
    sink_.report(DiagCode::E0414, shape->range,
                 "layer_norm normalizes over the last dim only: the normalized shape is `[D]`");
    return;
  }
  const Dim* d = out_.expr_types[shape->elements[0]->id].int_value();
  if (!t.is(TypeKind::List) || !x.is_tensor() || !x.rank_known || x.dims.empty() || !d ||
      d->is_unknown() || x.dims.back().is_unknown())
    return;
  if (!d->same(x.dims.back())) {
    auto& diag = sink_.report(DiagCode::E0414, shape->range,
                              fmt::format("layer_norm over [{}], but the last dim of x is {}",
                                          d->to_string(), describe(x.dims.back())));
    note_origins(diag, x.dims.back(), *d);
  }
}

Type Checker::call_builtin(const Call* c, Builtin b, const Expr* self, const Type* self_type,
                           CallInfo& info) {
  info.callee = CallInfo::Callee::Builtin;
  info.builtin = b;
  const BuiltinSignature& sig = builtin_signature(b);
  BoundArgs args;
  if (!bind_builtin_args(c, sig, self, self_type, args)) return Type::unknown();
  return builtin_rule(c, b, args);
}

Type Checker::call_function(const Call* c, uint32_t fn, CallInfo& info) {
  info.callee = CallInfo::Callee::Function;
  info.function = fn;
  // A specialization never starts a generic check (it puts back all it writes): there, an
  // unchecked callee is specialized instead.
  if (fn_state_[fn] == 0 && !out_.functions[fn].declared_result && spec_depth_ == 0)
    check_function_body(fn);
  // Copies: checking the arguments below may check other functions' bodies, which declare
  // symbols (and nested functions) and so move out_.symbols and out_.functions.
  const FunctionInfo f = out_.functions[fn];
  const std::string fname = out_.symbols[f.symbol].name;

  // Match arguments to parameters.
  std::vector<const Arg*> bound(f.params.size(), nullptr);
  std::vector<Type> types(f.params.size(), Type::unknown());
  size_t next = 0;
  bool ok = true;
  for (const Arg& a : c->args) {
    Type t = as_value(check_expr(a.value));
    size_t k;
    if (a.named()) {
      auto it = std::find(f.param_names.begin(), f.param_names.end(), a.name);
      if (it == f.param_names.end()) {
        sink_.report(DiagCode::E0312, a.name_range,
                     fmt::format("`{}` has no parameter `{}`", fname, a.name));
        ok = false;
        continue;
      }
      k = static_cast<size_t>(it - f.param_names.begin());
    } else {
      while (next < bound.size() && bound[next]) ++next;
      if (next >= bound.size()) {
        sink_
            .report(DiagCode::E0311, a.range,
                    fmt::format("too many arguments: `{}` takes {}", fname, f.params.size()))
            .note(f.decl->name_range, fmt::format("`{}` declared here", fname));
        ok = false;
        continue;
      }
      k = next;
    }
    if (bound[k]) {
      sink_.report(DiagCode::E0311, a.range,
                   fmt::format("argument `{}` is given twice", f.param_names[k]));
      ok = false;
      continue;
    }
    bound[k] = &a;
    types[k] = std::move(t);
  }
  for (size_t k = 0; k < bound.size(); ++k)
    if (!bound[k] && !(k < f.has_default.size() && f.has_default[k])) {
      sink_
          .report(DiagCode::E0311, c->range,
                  fmt::format("missing argument `{}` of `{}`", f.param_names[k], fname))
          .note(f.decl->name_range, fmt::format("`{}` declared here", fname));
      ok = false;
    }
  if (!ok) return Type::unknown();

  // Unify each tensor parameter's dims with its argument's: size variables bind per call.
  struct Bound {
    Dim value;
    SourceRange at;
    std::string param;
    uint32_t expr_id;
    uint32_t dim;
  };
  std::vector<std::pair<std::string, Bound>> vars;
  auto find_var = [&](const std::string& n) -> Bound* {
    for (auto& [name, b] : vars)
      if (name == n) return &b;
    return nullptr;
  };
  for (size_t k = 0; k < bound.size(); ++k) {
    if (!bound[k]) continue;  // the default value, checked at the declaration
    const Type& P = f.params[k];
    const Type& A = types[k];
    const Expr* arg = bound[k]->value;
    const std::string& pname = f.param_names[k];
    if (P.is_unknown()) continue;
    if (!A.is_unknown() &&
        (P.is_tensor() != A.is_tensor() ||
         (!P.is_tensor() && P.kind != A.kind && !(P.is(TypeKind::Float) && A.is(TypeKind::Int))))) {
      sink_.report(DiagCode::E0401, arg->range,
                   fmt::format("argument `{}` of `{}` must be {}, not {}", pname, fname,
                               P.to_string(), A.to_string()));
      continue;
    }
    if (!P.is_tensor() || !P.rank_known) continue;
    // An argument of unknown type or rank is checked at run time: rank, then each dim.
    const bool rank_known = A.is_tensor() && A.rank_known;
    if (rank_known && P.dims.size() != A.dims.size()) {
      sink_
          .report(
              DiagCode::E0404, arg->range,
              fmt::format("argument `{}` of `{}` must be {} (rank {}), but it is {} (rank {})",
                          pname, fname, P.to_string(), P.dims.size(), A.to_string(), A.dims.size()))
          .note(f.decl->name_range, fmt::format("`{}` declared here", fname));
      continue;
    }
    RuntimeCheck rc;
    rc.expr_id = arg->id;
    rc.range = arg->range;
    rc.message = fmt::format("argument `{}` of `{}` must be {}", pname, fname, P.to_string());
    rc.rank_unknown = !rank_known;
    bool runtime = !rank_known;
    for (size_t j = 0; j < P.dims.size(); ++j) {
      const Dim& pd = P.dims[j];
      const Dim ad = rank_known ? A.dims[j] : Dim::unknown();
      ExpectedDim x;
      if (pd.is_const()) {
        if (ad.is_unknown()) {
          x.kind = ExpectedDim::Kind::Const;
          x.value = pd.value;
          runtime = true;
        } else if (!pd.same(ad)) {
          auto& d = sink_.report(
              DiagCode::E0407, arg->range,
              fmt::format("argument `{}` of `{}` must be {}, but it is {}: dim {} is "
                          "{} vs {}",
                          pname, fname, P.to_string(), A.to_string(), j, describe(ad), pd.value));
          note_origins(d, ad, Dim::unknown());
        }
      } else if (pd.is_var()) {
        Bound* b = find_var(pd.name);
        if (!b) {
          vars.emplace_back(pd.name,
                            Bound{ad, arg->range, pname, arg->id, static_cast<uint32_t>(j)});
        } else if (b->value.is_unknown() || ad.is_unknown()) {
          // One side is known only at run time: compare with the argument that bound the size
          // (or with its constant value), after this argument is evaluated.
          if (b->value.is_const()) {
            x.kind = ExpectedDim::Kind::Const;
            x.value = b->value.value;
          } else {
            x.kind = ExpectedDim::Kind::SameAs;
            x.expr_id = b->expr_id;
            x.dim = b->dim;
            x.message = fmt::format(
                "size `{}` of `{}` differs between argument `{}` (dimension {}) and argument "
                "`{}` (dimension {})",
                pd.name, fname, b->param, b->dim, pname, j);
          }
          runtime = true;
          if (b->value.is_unknown() && !ad.is_unknown()) {
            b->value = ad;
            b->at = arg->range;
          }
        } else if (!b->value.same(ad)) {
          auto& d = sink_.report(
              DiagCode::E0405, arg->range,
              fmt::format(
                  "size `{}` of `{}` is bound to {} by argument `{}`, but argument `{}` gives {}",
                  pd.name, fname, describe(b->value), b->param, pname, describe(ad)));
          d.note(b->at, fmt::format("`{}` = {} bound here", pd.name, b->value.to_string()));
          note_origins(d, b->value, ad);
        }
      }
      rc.dims.push_back(std::move(x));
    }
    if (runtime) out_.runtime_checks.push_back(std::move(rc));
  }
  for (auto& [name, b] : vars) info.bindings.push_back({name, b.value, b.at});

  // The body checked with these arguments' types when they say more than the parameters'.
  std::optional<Type> specialized;
  if (wants_specialization(fn, f, types, bound)) {
    std::vector<std::pair<std::string, Dim>> sizes;
    for (const auto& [name, b] : vars)
      if (b.value.is_const()) sizes.emplace_back(name, b.value);
    specialized = specialize(c, fn, f, types, bound, sizes);
  }

  // The result with the bindings substituted; unbound size variables are unknown.
  Type r = f.result;
  if (specialized) {
    // A declared result stays; what the body yields fills in what it leaves open.
    const Type& s = *specialized;
    if (!f.declared_result)
      r = s;
    else if (r.is_tensor() && s.is_tensor() && !r.rank_known)
      r = s;
    else
      r = refine(r, s);
  } else if (!f.declared_result && fn_state_[fn] != 2) {
    return Type::unknown();  // recursion, or a specialization's callee it could not specialize
  }
  for (Dim& d : r.dims) {
    if (!d.is_var()) continue;
    Bound* b = find_var(d.name);
    d = b ? b->value : Dim::unknown();
  }
  return r;
}

}  // namespace tl::sema
