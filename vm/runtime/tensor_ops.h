// The VM side of tensor opcodes and tensor builtins: checks operand kinds, normalises
// arguments (dims, slices, scalars) and calls the Backend. Errors are RuntimeError (the
// interpreter adds the source position).
#pragma once

#include <span>
#include <vector>

#include "vm/bytecode/module.h"
#include "vm/runtime/value.h"
#include "vm/tensor/backend.h"

namespace tl {

class RunRandom;

Backend& need_backend(Backend* b);
// The tensor in `v` as f16 (a quantized weight is dequantized); errors name `what`.
Tensor need_tensor(const Value& v, const char* what);
std::vector<float> download_f32(const Tensor& t);
// A one-element tensor as the number it holds, for `<`, `==`, ...; an error for bigger ones.
double tensor_as_number(const Tensor& t);

Value t_binary(Backend* be, BinaryOp op, const Value& a, const Value& b);
Value t_unary(Backend* be, UnaryOp op, const Value& x);
// ELEMWISE: tensors (quantized ones dequantized) and numbers for the program's scalar inputs.
Value t_elementwise(Backend* be, const ElementwiseProgram& p, std::span<const Value> args);
Value t_matmul(Backend* be, const Value& a, const Value& b);
Value t_linear(Backend* be, const Value& x, const Value& w, const Value& bias);
// scale: none (1/sqrt(hd)) or a number.
Value t_attention(Backend* be, const Value& q, const Value& k, const Value& v, const Value& start,
                  const Value& scale);
// cols: none (= rows) or an int >= rows.
Value t_causal_mask(Backend* be, const Value& rows, const Value& cols);
// seed: none, or an int that reseeds rng before the draw.
Value t_temperature_sample(Backend* be, RunRandom& rng, const Value& logits,
                           const Value& temperature, const Value& top_k, const Value& top_p,
                           const Value& seed);
// dim: none (all) or int; keepdim: bool or none.
Value t_reduce(Backend* be, ReduceOp op, const Value& x, const Value& dim, const Value& keepdim);
// argmax/argmin: an int (no dim, or 1-D x), else nested lists of ints over the other dims.
Value t_arg_reduce(Backend* be, ArgOp op, const Value& x, const Value& dim);
// ids: an int ([D]) or a list of ints ([T, D]); the table may be quantized.
Value t_embedding(Backend* be, const Value& table, const Value& ids);
// mode: "norm" or "neox".
Value t_rope(Backend* be, const Value& x, const Value& start, const Value& theta,
             const Value& mode);
Value t_softmax(Backend* be, const Value& x, int64_t dim);
Value t_rms_norm(Backend* be, const Value& x, const Value& weight, const Value& eps);
Value t_layer_norm(Backend* be, const Value& x, const Value& weight, const Value& bias,
                   const Value& eps);
// dims: ints (one may be -1) or a single Shape / list of ints.
Value t_reshape(const Value& x, std::span<const Value> dims);
Value t_transpose(Backend* be, const Value& x, std::span<const Value> dims);
// 3 values per axis (start, stop, step); step int 0 means "integer index at start".
Value t_slice(Backend* be, const Value& x, std::span<const Value> triples);
Value t_index(Backend* be, const Value& x, int64_t index);
// target[triples] = value (a tensor or a number, broadcast to the selected region), in place when
// target is the only value holding its tensor and storage, else on a copy stored into target.
void t_assign_slice(Backend* be, Value& target, std::span<const Value> triples, const Value& value);
Value t_concat(Backend* be, std::span<const Value> xs, const Value& dim);
// A nested list of numbers (or a number) -> a float16 tensor; ragged lists are errors.
Value t_from_data(Backend* be, const Value& data);
Value t_full(Backend* be, std::span<const Value> shape_args, float value, const char* fn);
void t_assert_close(const Value& a, const Value& b, double rtol, double atol);
// CHECKSHAPE: throws "shape mismatch: expected [?, 4], got [3, 5]".
void t_check_shape(const Value& x, const ShapeConst& expected);

}  // namespace tl
