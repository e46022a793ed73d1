#include "vm/runtime/tensor_ops.h"

#include <fmt/format.h>

#include <optional>

#include <algorithm>
#include <cmath>

#include "vm/bytecode/disasm.h"
#include "vm/core/error.h"
#include "vm/core/half.h"
#include "vm/runtime/sampling.h"

namespace tl {
namespace {

float scalar_of(const Value& v, const char* what) {
  if (v.is_number()) return static_cast<float>(v.as_number());
  if (v.is_bool()) return v.as_bool() ? 1.f : 0.f;
  throw RuntimeError(
      fmt::format("{}: expected a tensor or a number, got {}", what, tag_name(v.tag())));
}

int64_t int_of(const Value& v, const char* what) {
  if (!v.is_int())
    throw RuntimeError(fmt::format("{}: expected an int, got {}", what, tag_name(v.tag())));
  return v.as_int();
}

Shape shape_of_args(std::span<const Value> args, const char* fn) {
  std::vector<int64_t> dims;
  if (args.size() == 1 && args[0].tag() == ValueTag::Shape) return args[0].as_shape();
  if (args.size() == 1 && args[0].tag() == ValueTag::List) {
    for (const Value& d : args[0].as_list().items) dims.push_back(int_of(d, fn));
    return Shape(dims);
  }
  for (const Value& d : args) dims.push_back(int_of(d, fn));
  return Shape(dims);
}

}  // namespace

Backend& need_backend(Backend* b) {
  if (!b)
    throw RuntimeError("tensor operations need a backend, and none is available in this build");
  return *b;
}

// Quantized model weights stay quantized in memory (on the device for Vulkan); an op that needs
// f16 values dequantizes them through the backend, into a temporary. Only linear's weight is
// used quantized as it is (fused dequantize + dot product).
Tensor f16_tensor(const Tensor& t) {
  return t.quantized() ? t.backend->dequantize(t) : t;
}

Tensor need_tensor(const Value& v, const char* what) {
  if (!v.is_tensor())
    throw RuntimeError(fmt::format("{}: expected a Tensor, got {}", what, tag_name(v.tag())));
  return f16_tensor(v.as_tensor());
}

std::vector<float> download_f32(const Tensor& t) {
  std::vector<f16_bits> bits(static_cast<size_t>(t.numel()));
  t.backend->download(t, bits);
  std::vector<float> f(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) f[i] = f16_to_f32(bits[i]);
  return f;
}

double tensor_as_number(const Tensor& t) {
  if (t.numel() != 1)
    throw RuntimeError(
        fmt::format("a comparison takes numbers, and this is a tensor of shape "
                    "{}: compare one element (x[i, j]) or a reduction (max(x))",
                    t.shape.to_string()));
  return download_f32(f16_tensor(t))[0];
}

Value t_binary(Backend* be, BinaryOp op, const Value& a, const Value& b) {
  Backend& B = need_backend(be);
  std::string what = fmt::format("operator {}", op_name(op));
  if (a.is_tensor() && b.is_tensor())
    return Value::tensor(B.binary(op, f16_tensor(a.as_tensor()), f16_tensor(b.as_tensor())));
  if (a.is_tensor())
    return Value::tensor(
        B.binary_scalar(op, f16_tensor(a.as_tensor()), scalar_of(b, what.c_str()), false));
  if (b.is_tensor())
    return Value::tensor(
        B.binary_scalar(op, f16_tensor(b.as_tensor()), scalar_of(a, what.c_str()), true));
  throw RuntimeError(fmt::format("{}: expected at least one Tensor operand, got {} and {}", what,
                                 tag_name(a.tag()), tag_name(b.tag())));
}

Value t_unary(Backend* be, UnaryOp op, const Value& x) {
  std::string what(op_name(op));
  return Value::tensor(need_backend(be).unary(op, need_tensor(x, what.c_str())));
}

Value t_elementwise(Backend* be, const ElementwiseProgram& p, std::span<const Value> args) {
  Backend& B = need_backend(be);
  // The compiler chose each input's kind from the checker's types; should a value arrive as the
  // other kind, the program is run with the kinds the values have (as the unfused ops would),
  // which is an error only where the unfused ops would fail too (a unary op of a number, say).
  ElementwiseProgram actual;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k].is_tensor() != (p.inputs[k] == ElementwiseProgram::InputKind::Tensor)) {
      actual = p;
      for (size_t j = 0; j < args.size(); ++j)
        actual.inputs[j] = args[j].is_tensor() ? ElementwiseProgram::InputKind::Tensor
                                               : ElementwiseProgram::InputKind::Scalar;
      if (std::string why = validate(actual); !why.empty())
        throw RuntimeError(fmt::format("element-wise operand {}: expected {}, got {}", k,
                                       args[k].is_tensor() ? "a number" : "a Tensor",
                                       tag_name(args[k].tag())));
      break;
    }
  }
  const ElementwiseProgram& run = actual.steps.empty() ? p : actual;
  std::vector<ElementwiseArg> in;
  in.reserve(args.size());
  for (size_t k = 0; k < args.size(); ++k) {
    if (run.inputs[k] == ElementwiseProgram::InputKind::Scalar)
      in.push_back(ElementwiseArg::of(scalar_of(args[k], "element-wise operand")));
    else
      in.push_back(ElementwiseArg::of(need_tensor(args[k], "element-wise operand")));
  }
  return Value::tensor(B.elementwise(run, in));
}

Value t_matmul(Backend* be, const Value& a, const Value& b) {
  return Value::tensor(need_backend(be).matmul(need_tensor(a, "matmul"), need_tensor(b, "matmul")));
}

// An optional tensor argument (none: absent).
std::optional<Tensor> optional_tensor(const Value& v, const char* what) {
  if (v.is_none()) return std::nullopt;
  return need_tensor(v, what);
}

// linear's weight as stored: a quantized weight goes to the backend's fused path.
const Tensor& linear_weight(const Value& w) {
  if (!w.is_tensor())
    throw RuntimeError(fmt::format("linear weight: expected a Tensor, got {}", tag_name(w.tag())));
  return w.as_tensor();
}

Value t_linear(Backend* be, const Value& x, const Value& w, const Value& bias) {
  const auto b_opt = optional_tensor(bias, "linear bias");
  const Tensor* b = b_opt ? &*b_opt : nullptr;
  return Value::tensor(need_backend(be).linear(need_tensor(x, "linear"), linear_weight(w), b));
}

Value t_reduce(Backend* be, ReduceOp op, const Value& x, const Value& dim, const Value& keepdim) {
  std::string what(op_name(op));
  const Tensor t = need_tensor(x, what.c_str());
  std::optional<int> d;
  if (!dim.is_none()) d = normalize_dim(int_of(dim, what.c_str()), t.shape.rank());
  bool keep = !keepdim.is_none() && truthy(keepdim);
  Tensor r = need_backend(be).reduce(op, t, d, keep);
  return Value::tensor(std::move(r));
}

namespace {
// Indices laid out over `dims` (row-major) as nested lists of ints.
Value index_lists(std::span<const int64_t> idx, std::span<const int64_t> dims) {
  std::vector<Value> items;
  if (dims.size() == 1) {
    for (int64_t i : idx) items.push_back(Value::integer(i));
    return Value::list(std::move(items));
  }
  const int64_t n = dims[0], step = n ? static_cast<int64_t>(idx.size()) / n : 0;
  for (int64_t i = 0; i < n; ++i)
    items.push_back(index_lists(
        idx.subspan(static_cast<size_t>(i * step), static_cast<size_t>(step)), dims.subspan(1)));
  return Value::list(std::move(items));
}
}  // namespace

Value t_arg_reduce(Backend* be, ArgOp op, const Value& x, const Value& dim) {
  const std::string what(op_name(op));
  const Tensor t = need_tensor(x, what.c_str());
  if (dim.is_none()) return Value::integer(need_backend(be).arg_reduce(op, t, std::nullopt)[0]);
  const int d = normalize_dim(int_of(dim, what.c_str()), t.shape.rank());
  const std::vector<int64_t> idx = need_backend(be).arg_reduce(op, t, d);
  if (t.shape.rank() == 1) return Value::integer(idx[0]);
  std::vector<int64_t> rest = t.shape.dims();
  rest.erase(rest.begin() + d);
  return index_lists(idx, rest);
}

Value t_embedding(Backend* be, const Value& table, const Value& ids) {
  if (!table.is_tensor())
    throw RuntimeError(
        fmt::format("embedding table: expected a Tensor, got {}", tag_name(table.tag())));
  std::vector<int64_t> list;
  if (ids.is_int()) {
    list.push_back(ids.as_int());
  } else if (ids.tag() == ValueTag::List) {
    for (const Value& v : ids.as_list().items) list.push_back(int_of(v, "embedding id"));
  } else {
    throw RuntimeError(fmt::format("embedding ids: expected an int or a list of ints, got {}",
                                   tag_name(ids.tag())));
  }
  // The table as stored: a quantized one has only the rows used dequantized.
  Tensor rows = need_backend(be).embedding(table.as_tensor(), list);
  if (ids.is_int()) rows = rows.reshaped(Shape{rows.shape[1]});
  return Value::tensor(std::move(rows));
}

Value t_rope(Backend* be, const Value& x, const Value& start, const Value& theta,
             const Value& mode) {
  const Tensor t = need_tensor(x, "rope");
  if (!mode.is_string())
    throw RuntimeError(fmt::format("rope mode: expected a string, got {}", tag_name(mode.tag())));
  const std::string& m = mode.as_string();
  if (m != "norm" && m != "neox")
    throw RuntimeError(fmt::format(
        "rope mode: expected \"norm\" (adjacent pairs, GGUF llama) or \"neox\" (i, i + hd/2), "
        "got \"{}\"",
        m));
  const float base = scalar_of(theta, "rope theta");
  if (!(base > 0.0f)) throw RuntimeError(fmt::format("rope theta: must be positive, got {}", base));
  return Value::tensor(need_backend(be).rope(t, int_of(start, "rope start"), base,
                                             m == "norm" ? RopeMode::Norm : RopeMode::Neox));
}

Value t_attention(Backend* be, const Value& q, const Value& k, const Value& v, const Value& start,
                  const Value& scale) {
  const Tensor tq = need_tensor(q, "attention q");
  const Tensor tk = need_tensor(k, "attention k");
  const Tensor tv = need_tensor(v, "attention v");
  if (tq.shape.rank() != 3)
    throw RuntimeError(
        fmt::format("attention: q must be [T, H, hd], got {}", tq.shape.to_string()));
  const float s = scale.is_none() ? 1.0f / std::sqrt(static_cast<float>(tq.shape[2]))
                                  : scalar_of(scale, "attention scale");
  return Value::tensor(need_backend(be).attention(tq, tk, tv, int_of(start, "attention start"), s));
}

Value t_causal_mask(Backend* be, const Value& rows, const Value& cols) {
  const int64_t T = int_of(rows, "causal_mask T");
  const int64_t S = cols.is_none() ? T : int_of(cols, "causal_mask S");
  if (T < 0 || S < T)
    throw RuntimeError(fmt::format(
        "causal_mask: needs 0 <= T <= S (T queries, the last T of S keys), got T {} and S {}", T,
        S));
  if (T * S > (int64_t{1} << 31))
    throw RuntimeError(fmt::format("causal_mask: [{}, {}] is too large", T, S));
  std::vector<f16_bits> mask(static_cast<size_t>(T * S));
  const f16_bits zero = f32_to_f16(0.0f), minus_inf = 0xfc00;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t s = 0; s < S; ++s) mask[t * S + s] = s <= t + (S - T) ? zero : minus_inf;
  return Value::tensor(need_backend(be).upload(Shape{T, S}, DType::F16,
                                               std::as_bytes(std::span<const f16_bits>(mask))));
}

Value t_temperature_sample(Backend* be, RunRandom& rng, const Value& logits,
                           const Value& temperature, const Value& top_k, const Value& top_p,
                           const Value& seed) {
  Tensor t = need_tensor(logits, "temperature_sample logits");
  if (t.shape.rank() == 2 && t.shape[0] > 0) {  // [T, V]: the last position's logits
    const SliceAxis last[] = {{t.shape[0] - 1, t.shape[0], 1}, {0, t.shape[1], 1}};
    t = need_backend(be).slice(t, last).reshaped(Shape{t.shape[1]});
  }
  if (t.shape.rank() != 1)
    throw RuntimeError(fmt::format("temperature_sample: logits must be [V] or [T, V], got {}",
                                   t.shape.to_string()));
  if (!seed.is_none()) rng.seed(static_cast<uint64_t>(int_of(seed, "temperature_sample seed")));
  SamplingParams p;
  p.temperature = scalar_of(temperature, "temperature_sample temperature");
  p.top_k = int_of(top_k, "temperature_sample top_k");
  p.top_p = scalar_of(top_p, "temperature_sample top_p");
  return Value::integer(sample_token(download_f32(t), p, rng));
}

Value t_softmax(Backend* be, const Value& x, int64_t dim) {
  const Tensor t = need_tensor(x, "softmax");
  return Value::tensor(need_backend(be).softmax(t, normalize_dim(dim, t.shape.rank())));
}

Value t_rms_norm(Backend* be, const Value& x, const Value& weight, const Value& eps) {
  const auto w_opt = optional_tensor(weight, "rms_norm weight");
  const Tensor* w = w_opt ? &*w_opt : nullptr;
  float e = eps.is_none() ? 1e-6f : scalar_of(eps, "rms_norm eps");
  return Value::tensor(need_backend(be).rms_norm(need_tensor(x, "rms_norm"), w, e));
}

Value t_layer_norm(Backend* be, const Value& x, const Value& weight, const Value& bias,
                   const Value& eps) {
  const auto w_opt = optional_tensor(weight, "layer_norm weight");
  const Tensor* w = w_opt ? &*w_opt : nullptr;
  const auto b_opt = optional_tensor(bias, "layer_norm bias");
  const Tensor* b = b_opt ? &*b_opt : nullptr;
  float e = eps.is_none() ? 1e-5f : scalar_of(eps, "layer_norm eps");
  return Value::tensor(need_backend(be).layer_norm(need_tensor(x, "layer_norm"), w, b, e));
}

Value t_reshape(const Value& x, std::span<const Value> dims) {
  const Tensor t = need_tensor(x, "reshape");
  Shape target = shape_of_args(dims, "reshape");
  return Value::tensor(t.reshaped(resolve_reshape(t.shape, target.dims())));
}

Value t_transpose(Backend* be, const Value& x, std::span<const Value> dims) {
  const Tensor t = need_tensor(x, "transpose");
  size_t rank = t.shape.rank();
  std::vector<int> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int>(i);
  if (dims.empty()) {
    if (rank < 2)
      throw RuntimeError(
          fmt::format("transpose: needs at least 2 dims, got shape {}", t.shape.to_string()));
    std::swap(perm[rank - 1], perm[rank - 2]);
  } else {
    if (dims.size() != rank)
      throw RuntimeError(
          fmt::format("transpose: {} dims given for a tensor of rank {}", dims.size(), rank));
    std::vector<bool> seen(rank);
    for (size_t i = 0; i < rank; ++i) {
      perm[i] = normalize_dim(int_of(dims[i], "transpose"), rank);
      if (seen[static_cast<size_t>(perm[i])])
        throw RuntimeError("transpose: repeated dim in permutation");
      seen[static_cast<size_t>(perm[i])] = true;
    }
  }
  return Value::tensor(need_backend(be).permute(t, perm));
}

namespace {
// The axes that (start, stop, step) triples select in a tensor of shape `shape` (step int 0: an
// integer index at start), Python's clamping; `dims` is the result's shape (indexed dims dropped).
struct SliceSpec {
  std::vector<SliceAxis> axes;
  std::vector<int64_t> dims;
  std::vector<bool> indexed;  // per dim of the tensor: selected by an integer index
  bool changed = false;       // false: the whole tensor
};
SliceSpec slice_spec(const Shape& shape, std::span<const Value> triples) {
  size_t naxes = triples.size() / 3;
  if (naxes > shape.rank())
    throw RuntimeError(
        fmt::format("too many indices: {} for a tensor of shape {}", naxes, shape.to_string()));
  SliceSpec r;
  r.axes.resize(shape.rank());
  r.indexed.resize(shape.rank(), false);
  for (size_t d = 0; d < shape.rank(); ++d) {
    int64_t n = shape[d];
    SliceAxis ax{0, n, 1};
    if (d < naxes) {
      const Value &vs = triples[3 * d], &ve = triples[3 * d + 1], &vstep = triples[3 * d + 2];
      if (vstep.is_int() && vstep.as_int() == 0) {  // integer index: dim dropped
        int64_t i = int_of(vs, "index");
        int64_t j = i < 0 ? i + n : i;
        if (j < 0 || j >= n)
          throw RuntimeError(fmt::format("index {} out of range for dim {} of size {} (shape {})",
                                         i, d, n, shape.to_string()));
        r.axes[d] = {j, j + 1, 1};
        r.indexed[d] = true;
        r.changed = true;
        continue;
      }
      int64_t step = vstep.is_none() ? 1 : int_of(vstep, "slice step");
      if (step < 1) throw RuntimeError(fmt::format("slice step must be positive, got {}", step));
      auto norm = [&](const Value& v, int64_t dflt) {
        if (v.is_none()) return dflt;
        int64_t i = int_of(v, "slice bound");
        if (i < 0) i += n;
        return std::clamp<int64_t>(i, 0, n);
      };
      ax.start = norm(vs, 0);
      ax.stop = std::max(ax.start, norm(ve, n));
      ax.step = step;
      r.changed = true;
    }
    r.axes[d] = ax;
    r.dims.push_back((ax.stop - ax.start + ax.step - 1) / ax.step);
  }
  return r;
}
}  // namespace

Value t_slice(Backend* be, const Value& x, std::span<const Value> triples) {
  // One row of a quantized matrix (`E[id]` on an embedding table): only that row is dequantized.
  if (x.is_tensor() && x.as_tensor().quantized() && x.as_tensor().shape.rank() == 2 &&
      triples.size() == 3 && triples[0].is_int() && triples[2].is_int() &&
      triples[2].as_int() == 0) {
    const Tensor& q = x.as_tensor();
    const int64_t i = triples[0].as_int(), n = q.shape[0], j = i < 0 ? i + n : i;
    if (j < 0 || j >= n)
      throw RuntimeError(fmt::format("index {} out of range for dim 0 of size {} (shape {})", i, n,
                                     q.shape.to_string()));
    const int64_t row[] = {j};
    return Value::tensor(need_backend(be).embedding(q, row).reshaped(Shape{q.shape[1]}));
  }
  const Tensor t = need_tensor(x, "slice");
  SliceSpec spec = slice_spec(t.shape, triples);
  if (!spec.changed) return x;
  Tensor r = need_backend(be).slice(t, spec.axes);
  return Value::tensor(r.reshaped(Shape(spec.dims)));
}

void t_assign_slice(Backend* be, Value& target, std::span<const Value> triples,
                    const Value& value) {
  if (!target.is_tensor())
    throw RuntimeError(
        fmt::format("a {} does not support slice assignment", tag_name(target.tag())));
  Backend& backend = need_backend(be);
  const Tensor& t = target.as_tensor();
  SliceSpec spec = slice_spec(t.shape, triples);
  // The value broadcasts (NumPy's rules) to the selected region, indexed dims dropped; the
  // backend gets it at the target's rank, with 1 where an index dropped a dim.
  Tensor src;
  if (value.is_tensor())
    src = need_tensor(value, "slice assignment");
  else if (value.is_number())
    src = backend.full(Shape{}, static_cast<float>(value.as_number()));
  else if (value.tag() == ValueTag::List)  // a nested list of numbers, as a tensor literal
    src = t_from_data(be, value).as_tensor();
  else
    throw RuntimeError(fmt::format("slice assignment: expected a tensor or a number, got {}",
                                   tag_name(value.tag())));
  const std::vector<int64_t>& region = spec.dims;
  const Shape& vs = src.shape;
  bool fits = vs.rank() <= region.size();
  for (size_t i = 0; fits && i < vs.rank(); ++i) {
    const int64_t v = vs[vs.rank() - 1 - i], r = region[region.size() - 1 - i];
    fits = v == r || v == 1;
  }
  if (!fits)
    throw RuntimeError(fmt::format("cannot assign a tensor of shape {} to a slice of shape [{}]",
                                   vs.to_string(), fmt::join(region, ", ")));
  std::vector<int64_t> src_dims;
  const size_t pad = region.size() - vs.rank();
  for (size_t d = 0, k = 0; d < t.shape.rank(); ++d) {
    if (spec.indexed[d]) {
      src_dims.push_back(1);
    } else {
      src_dims.push_back(k < pad ? 1 : vs[k - pad]);
      ++k;
    }
  }
  src = src.reshaped(Shape(src_dims));
  // Tensors are values: write in place only when nothing else holds this tensor or its storage.
  if (target.unique() && backend.sole_owner(t)) {
    if (t.quantized()) target = Value::tensor(backend.dequantize(t));
  } else {
    std::vector<SliceAxis> all(t.shape.rank());
    for (size_t d = 0; d < all.size(); ++d) all[d] = {0, t.shape[d], 1};
    target = Value::tensor(backend.slice(f16_tensor(t), all));
  }
  backend.assign_slice(target.as_tensor(), spec.axes, src);
}

Value t_index(Backend* be, const Value& x, int64_t index) {
  Value triple[3] = {Value::integer(index), Value(), Value::integer(0)};
  return t_slice(be, x, triple);
}

Value t_concat(Backend* be, std::span<const Value> xs, const Value& dim) {
  // concat(rows, dim: 0) with a list of tensors is concat(rows[0], rows[1], ..., dim: 0).
  if (xs.size() == 1 && xs[0].tag() == ValueTag::List) xs = xs[0].as_list().items;
  if (xs.empty()) throw RuntimeError("concat: needs at least one tensor");
  std::vector<Tensor> ts;
  for (const Value& v : xs) ts.push_back(need_tensor(v, "concat"));
  int64_t d = dim.is_none() ? 0 : int_of(dim, "concat dim");
  return Value::tensor(need_backend(be).concat(ts, normalize_dim(d, ts[0].shape.rank())));
}

namespace {
[[gnu::noinline]] void flatten(const Value& v, size_t depth, std::vector<int64_t>& dims,
                               std::vector<f16_bits>& out) {
  if (v.tag() == ValueTag::List) {
    const auto& items = v.as_list().items;
    if (depth == dims.size()) {
      if (!out.empty()) throw RuntimeError("tensor literal is ragged: nesting depths differ");
      dims.resize(depth + 1, static_cast<int64_t>(items.size()));
    } else if (dims[depth] != static_cast<int64_t>(items.size())) {
      throw RuntimeError(
          fmt::format("tensor literal is ragged: a list of {} where {} were expected at depth {}",
                      items.size(), dims[depth], depth));
    }
    for (const Value& item : items) flatten(item, depth + 1, dims, out);
    return;
  }
  if (depth != dims.size()) throw RuntimeError("tensor literal is ragged: nesting depths differ");
  if (!v.is_number())
    throw RuntimeError(fmt::format("tensor literal: expected numbers, got {}", tag_name(v.tag())));
  out.push_back(f64_to_f16(v.as_number()));
}
}  // namespace

Value t_from_data(Backend* be, const Value& data) {
  if (data.is_tensor()) return data;
  std::vector<int64_t> dims;
  std::vector<f16_bits> vals;
  flatten(data, 0, dims, vals);
  Shape s(dims);
  auto bytes = std::as_bytes(std::span<const f16_bits>(vals));
  return Value::tensor(need_backend(be).upload(s, DType::F16, bytes));
}

Value t_full(Backend* be, std::span<const Value> shape_args, float value, const char* fn) {
  Shape s = shape_of_args(shape_args, fn);
  for (int64_t d : s.dims())
    if (d < 0)
      throw RuntimeError(fmt::format("{}: negative dimension in shape {}", fn, s.to_string()));
  return Value::tensor(need_backend(be).full(s, value));
}

void t_assert_close(const Value& a, const Value& b, double rtol, double atol) {
  const Tensor x = need_tensor(a, "assert_close");
  const Tensor y = need_tensor(b, "assert_close");
  if (!(x.shape == y.shape))
    throw RuntimeError(fmt::format("assert_close: shapes differ: {} vs {}", x.shape.to_string(),
                                   y.shape.to_string()));
  std::vector<float> u = download_f32(x), v = download_f32(y);
  for (size_t i = 0; i < u.size(); ++i) {
    double d = std::fabs(static_cast<double>(u[i]) - v[i]);
    if (!(d <= atol + rtol * std::fabs(static_cast<double>(v[i]))))
      throw RuntimeError(fmt::format(
          "assert_close failed at flat index {}: {} vs {} (|diff| {} > atol {} + rtol {} * |b|)", i,
          u[i], v[i], d, atol, rtol));
  }
}

void t_check_shape(const Value& x, const ShapeConst& expected) {
  std::string exp_text = constant_text(Constant(expected));
  if (!x.is_tensor())
    throw RuntimeError(fmt::format("shape mismatch: expected a tensor of shape {}, got {}",
                                   exp_text, tag_name(x.tag())));
  const Shape& s = x.as_tensor().shape;
  bool ok = s.rank() == expected.dims.size();
  for (size_t i = 0; ok && i < s.rank(); ++i) ok = expected.dims[i] < 0 || expected.dims[i] == s[i];
  if (!ok)
    throw RuntimeError(fmt::format("shape mismatch: expected {}, got {}", exp_text, s.to_string()));
}

}  // namespace tl
