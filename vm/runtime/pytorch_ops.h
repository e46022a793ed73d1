// The builtins a PyTorch or NumPy user reaches for (docs/pytorch.md): shape helpers, masks,
// triangles, arange, einsum, floor division and list append. Each is built from Backend ops
// (reshape, permute, reduce, matmul, the element-wise ops with their comparison and select
// forms), so both backends run them with their own kernels.
#pragma once

#include <span>

#include "vm/runtime/value.h"
#include "vm/tensor/backend.h"

namespace tl {

Value t_floordiv(Backend* be, const Value& a, const Value& b);
Value t_unsqueeze(const Value& x, const Value& dim);
Value t_squeeze(const Value& x, const Value& dim);
// tensors one by one, or one list of them; dim none = 0.
Value t_stack(Backend* be, std::span<const Value> xs, const Value& dim);
Value t_full_like(Backend* be, const Value& x, float value, const char* fn);
Value t_arange(Backend* be, const Value& start, const Value& stop, const Value& step);
Value t_where(Backend* be, const Value& cond, const Value& a, const Value& b);
Value t_masked_fill(Backend* be, const Value& x, const Value& mask, const Value& value);
Value t_triangle(Backend* be, const Value& x, const Value& diagonal, bool upper);
Value t_einsum(Backend* be, const Value& subscripts, std::span<const Value> operands);
// E[ids]: the rows of x named by a list of ints, stacked: [len(ids), x.shape[1:]...].
Value t_gather(Backend* be, const Value& x, const Value& ids);
void list_append(const Value& list, const Value& item);
// `xs = xs + [item]` compiled into xs's own register: extends the list in place when nothing
// else holds it (amortized O(1) appends). Returns false when it does not apply.
bool add_list_in_place(Value& dst, const Value& x, const Value& y);

}  // namespace tl
