#include "vm/runtime/pytorch_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "vm/core/error.h"
#include "vm/core/half.h"
#include "vm/runtime/scalar_ops.h"
#include "vm/runtime/tensor_ops.h"
#include "vm/tensor/einsum.h"

namespace tl {
namespace {

int64_t int_arg(const Value& v, const char* what) {
  if (!v.is_int())
    throw RuntimeError(fmt::format("{}: expected an int, got {}", what, tag_name(v.tag())));
  return v.as_int();
}

Tensor upload_f32(Backend& B, Shape shape, const std::vector<float>& values) {
  std::vector<f16_bits> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = f32_to_f16(values[i]);
  return B.upload(shape, DType::F16, std::as_bytes(std::span<const f16_bits>(bits)));
}

// x where cond != 0, else 0: a tensor or a number `x`.
Tensor keep(Backend& B, BinaryOp op, const Tensor& cond, const Value& x, const char* fn) {
  if (x.is_tensor()) return B.binary(op, cond, need_tensor(x, fn));
  if (!x.is_number() && !x.is_bool())
    throw RuntimeError(
        fmt::format("{}: expected a tensor or a number, got {}", fn, tag_name(x.tag())));
  const float s = x.is_bool() ? (x.as_bool() ? 1.f : 0.f) : static_cast<float>(x.as_number());
  return B.binary_scalar(op, cond, s, false);
}

Tensor where_tensor(Backend& B, const Tensor& cond, const Value& a, const Value& b,
                    const char* fn) {
  return B.binary(BinaryOp::Add, keep(B, BinaryOp::KeepWhere, cond, a, fn),
                  keep(B, BinaryOp::KeepWhereNot, cond, b, fn));
}

Tensor permuted(Backend& B, const Tensor& t, const std::vector<int>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int>(i)) return B.permute(t, perm);
  return t;
}

}  // namespace

Value t_floordiv(Backend* be, const Value& a, const Value& b) {
  if (a.is_tensor() || b.is_tensor()) return t_binary(be, BinaryOp::FloorDiv, a, b);
  if (a.is_int() && b.is_int()) {
    const int64_t x = a.as_int(), y = b.as_int();
    if (y == 0) throw RuntimeError("floordiv: integer division by zero");
    if (x == INT64_MIN && y == -1) throw RuntimeError("integer overflow in floordiv");
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
    return Value::integer(q);
  }
  if (a.is_number() && b.is_number()) {
    if (b.as_number() == 0) throw RuntimeError("floordiv: division by zero");
    return Value::number(std::floor(a.as_number() / b.as_number()));
  }
  throw RuntimeError(fmt::format("floordiv: expected numbers or tensors, got {} and {}",
                                 tag_name(a.tag()), tag_name(b.tag())));
}

Value t_unsqueeze(const Value& x, const Value& dim) {
  const Tensor t = need_tensor(x, "unsqueeze");
  std::vector<int64_t> dims = t.shape.dims();
  const int d = normalize_dim(int_arg(dim, "unsqueeze dim"), dims.size() + 1);
  dims.insert(dims.begin() + d, 1);
  return Value::tensor(t.reshaped(Shape(std::move(dims))));
}

Value t_squeeze(const Value& x, const Value& dim) {
  const Tensor t = need_tensor(x, "squeeze");
  std::vector<int64_t> dims = t.shape.dims();
  if (dim.is_none()) {
    std::erase(dims, 1);
  } else {
    const int d = normalize_dim(int_arg(dim, "squeeze dim"), dims.size());
    if (dims[static_cast<size_t>(d)] == 1) dims.erase(dims.begin() + d);
  }
  return Value::tensor(t.reshaped(Shape(std::move(dims))));
}

Value t_stack(Backend* be, std::span<const Value> xs, const Value& dim) {
  if (xs.size() == 1 && xs[0].tag() == ValueTag::List) xs = xs[0].as_list().items;
  if (xs.empty()) throw RuntimeError("stack: needs at least one tensor");
  const Tensor first = need_tensor(xs[0], "stack");
  const int64_t d = dim.is_none() ? 0 : int_arg(dim, "stack dim");
  const int at = normalize_dim(d, first.shape.rank() + 1);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor t = need_tensor(xs[i], "stack");
    if (!(t.shape == first.shape))
      throw RuntimeError(fmt::format("stack: tensor {} has shape {} but tensor 0 has {}", i,
                                     t.shape.to_string(), first.shape.to_string()));
    std::vector<int64_t> dims = t.shape.dims();
    dims.insert(dims.begin() + at, 1);
    parts.push_back(t.reshaped(Shape(std::move(dims))));
  }
  return Value::tensor(need_backend(be).concat(parts, at));
}

Value t_full_like(Backend* be, const Value& x, float value, const char* fn) {
  return Value::tensor(need_backend(be).full(need_tensor(x, fn).shape, value));
}

Value t_arange(Backend* be, const Value& start, const Value& stop, const Value& step) {
  auto number = [](const Value& v, const char* what) {
    if (!v.is_number())
      throw RuntimeError(
          fmt::format("arange: {} must be a number, got {}", what, tag_name(v.tag())));
    return v.as_number();
  };
  double lo = 0, hi = 0, by = 1;
  if (stop.is_none()) {
    hi = number(start, "stop");
  } else {
    lo = number(start, "start");
    hi = number(stop, "stop");
  }
  if (!step.is_none()) by = number(step, "step");
  if (by == 0) throw RuntimeError("arange: step must not be zero");
  const double count = std::ceil((hi - lo) / by);
  if (count > double(1 << 26)) throw RuntimeError("arange: too many elements");
  const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = static_cast<float>(lo + i * by);
  return Value::tensor(upload_f32(need_backend(be), Shape({n}), values));
}

Value t_where(Backend* be, const Value& cond, const Value& a, const Value& b) {
  Backend& B = need_backend(be);
  if (cond.is_bool()) return cond.as_bool() ? a : b;  // a one-element comparison
  return Value::tensor(where_tensor(B, need_tensor(cond, "where"), a, b, "where"));
}

Value t_masked_fill(Backend* be, const Value& x, const Value& mask, const Value& value) {
  Backend& B = need_backend(be);
  const Tensor t = need_tensor(x, "masked_fill");
  Tensor out = where_tensor(B, need_tensor(mask, "masked_fill"), value, x, "masked_fill");
  if (!(out.shape == t.shape))
    throw RuntimeError(fmt::format("masked_fill: the mask {} does not broadcast to x {}",
                                   need_tensor(mask, "masked_fill").shape.to_string(),
                                   t.shape.to_string()));
  return Value::tensor(out);
}

Value t_triangle(Backend* be, const Value& x, const Value& diagonal, bool upper) {
  const char* fn = upper ? "triu" : "tril";
  const Tensor t = need_tensor(x, fn);
  const size_t rank = t.shape.rank();
  if (rank < 2)
    throw RuntimeError(
        fmt::format("{}: needs a tensor of rank 2 or more, got shape {}", fn, t.shape.to_string()));
  const int64_t k = diagonal.is_none() ? 0 : int_arg(diagonal, fn);
  const int64_t rows = t.shape[rank - 2], cols = t.shape[rank - 1];
  std::vector<float> keep_mask(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      keep_mask[static_cast<size_t>(i * cols + j)] = (upper ? j - i >= k : j - i <= k) ? 1.f : 0.f;
  Backend& B = need_backend(be);
  return Value::tensor(
      B.binary(BinaryOp::KeepWhere, upload_f32(B, Shape({rows, cols}), keep_mask), t));
}

// Two operands: letters in both and in the output are batch dims, in both but not in the output
// are contracted; the others are summed out first when the output lacks them. The contraction
// is one batched matmul: [batch, M, K] @ [batch, K, N].
Value t_einsum(Backend* be, const Value& subscripts, std::span<const Value> operands) {
  if (!subscripts.is_string()) throw RuntimeError("einsum: the subscripts must be a string");
  const EinsumSpec spec = parse_einsum(subscripts.as_string(), operands.size());
  if (operands.empty() || operands.size() > 2)
    throw RuntimeError("einsum: takes one or two operands");
  Backend& B = need_backend(be);
  std::map<char, int64_t> size;
  std::vector<Tensor> ts;
  std::vector<std::string> terms = spec.inputs;
  for (size_t i = 0; i < operands.size(); ++i) {
    Tensor t = need_tensor(operands[i], "einsum");
    if (t.shape.rank() != terms[i].size())
      throw RuntimeError(
          fmt::format("einsum: operand {} has shape {} but its subscripts \"{}\" "
                      "name {} dims",
                      i + 1, t.shape.to_string(), terms[i], terms[i].size()));
    for (size_t k = 0; k < terms[i].size(); ++k) {
      auto [it, fresh] = size.emplace(terms[i][k], t.shape[k]);
      if (!fresh && it->second != t.shape[k])
        throw RuntimeError(fmt::format("einsum: '{}' is {} in one operand but {} in operand {}",
                                       terms[i][k], it->second, t.shape[k], i + 1));
    }
    ts.push_back(std::move(t));
  }
  // Sums out the letters of ts[i] that neither the output nor the other operand has.
  auto sum_out = [&](size_t i, const std::string& keep) {
    for (size_t k = terms[i].size(); k-- > 0;)
      if (keep.find(terms[i][k]) == std::string::npos) {
        ts[i] = B.reduce(ReduceOp::Sum, ts[i], static_cast<int>(k), false);
        terms[i].erase(k, 1);
      }
  };
  auto to_output = [&](const Tensor& t, const std::string& term) {
    std::vector<int> perm;
    for (char c : spec.output) perm.push_back(static_cast<int>(term.find(c)));
    return Value::tensor(permuted(B, t, perm));
  };
  if (ts.size() == 1) {
    sum_out(0, spec.output);
    return to_output(ts[0], terms[0]);
  }
  sum_out(0, spec.output + terms[1]);
  sum_out(1, spec.output + terms[0]);
  std::string batch, contracted, a_free, b_free;
  for (char c : terms[0]) {
    const bool in_b = terms[1].find(c) != std::string::npos;
    const bool in_out = spec.output.find(c) != std::string::npos;
    (in_b ? (in_out ? batch : contracted) : a_free) += c;
  }
  for (char c : terms[1])
    if (terms[0].find(c) == std::string::npos) b_free += c;
  auto product = [&](const std::string& letters) {
    int64_t p = 1;
    for (char c : letters) p *= size[c];
    return p;
  };
  auto arrange = [&](size_t i, const std::string& order, int64_t rows, int64_t cols) {
    std::vector<int> perm;
    for (char c : order) perm.push_back(static_cast<int>(terms[i].find(c)));
    std::vector<int64_t> dims;
    for (char c : batch) dims.push_back(size[c]);
    dims.push_back(rows);
    dims.push_back(cols);
    return permuted(B, ts[i], perm).reshaped(Shape(std::move(dims)));
  };
  const int64_t m = product(a_free), k = product(contracted), n = product(b_free);
  const Tensor lhs = arrange(0, batch + a_free + contracted, m, k);
  const Tensor rhs = arrange(1, batch + contracted + b_free, k, n);
  std::vector<int64_t> dims;
  for (char c : batch + a_free + b_free) dims.push_back(size[c]);
  const Tensor prod = B.matmul(lhs, rhs).reshaped(Shape(std::move(dims)));
  return to_output(prod, batch + a_free + b_free);
}

Value t_gather(Backend* be, const Value& x, const Value& ids) {
  const Tensor t = need_tensor(x, "tensor index");
  if (t.shape.rank() == 0) throw RuntimeError("a 0-d tensor cannot be indexed");
  std::vector<int64_t> row_dims = t.shape.dims();
  row_dims[0] = 1;
  std::vector<Tensor> rows;
  for (const Value& id : ids.as_list().items) {
    const int64_t i = int_arg(id, "tensor index list");
    if (i < -t.shape[0] || i >= t.shape[0])
      throw RuntimeError(
          fmt::format("index {} is out of range for dim 0 of size {}", i, t.shape[0]));
    rows.push_back(need_tensor(t_index(be, x, i), "tensor index").reshaped(Shape(row_dims)));
  }
  if (rows.empty()) {
    row_dims[0] = 0;
    return Value::tensor(need_backend(be).full(Shape(row_dims), 0.f));
  }
  return Value::tensor(need_backend(be).concat(rows, 0));
}

void list_append(const Value& list, const Value& item) {
  if (list.tag() != ValueTag::List)
    throw RuntimeError(fmt::format("append: expected a list, got {}", tag_name(list.tag())));
  list.as_list().items.push_back(item);
}

bool add_list_in_place(Value& dst, const Value& x, const Value& y) {
  if (&dst != &x || x.tag() != ValueTag::List || y.tag() != ValueTag::List || x.as_list().refs != 1)
    return false;
  auto& items = x.as_list().items;
  const auto& more = y.as_list().items;
  if (&items == &more) return false;
  items.insert(items.end(), more.begin(), more.end());
  return true;
}

}  // namespace tl
