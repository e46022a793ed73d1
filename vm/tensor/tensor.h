// Tensor handles: a shape, a storage dtype, and a reference-counted buffer owned by a backend.
//
// Tensors are always contiguous and row-major. Element storage is f16, except model weights in a
// ggml block format (Q4_0, Q8_0, ...) which stay quantized until a backend op needs them.
// Reshape shares the buffer; every other op writes a new one.
#pragma once

#include <memory>

#include "vm/core/dtype.h"
#include "vm/tensor/shape.h"

namespace tl {

class Backend;

// Device memory of one backend. Backends subclass it; its destructor frees the memory.
class Buffer {
 public:
  virtual ~Buffer() = default;
};

struct Tensor {
  Shape shape;
  DType dtype = DType::F16;  // F16, or a DTypeKind::Quant block format
  std::shared_ptr<Buffer> buffer;
  Backend* backend = nullptr;  // the backend that owns `buffer`; outlives every tensor it made

  bool quantized() const { return dtype != DType::F16; }
  int64_t numel() const { return shape.numel(); }
  // Same storage, new shape (element counts must match: see resolve_reshape).
  Tensor reshaped(Shape s) const { return Tensor{std::move(s), dtype, buffer, backend}; }
};

}  // namespace tl
