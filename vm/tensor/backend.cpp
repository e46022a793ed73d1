#include "vm/tensor/backend.h"

namespace tl {

std::string_view op_name(UnaryOp op) {
  switch (op) {
#define X(e, s)    \
  case UnaryOp::e: \
    return s;
    TL_UNARY_OPS(X)
#undef X
  }
  return "?";
}

std::string_view op_name(BinaryOp op) {
  switch (op) {
#define X(e, s)     \
  case BinaryOp::e: \
    return s;
    TL_BINARY_OPS(X)
#undef X
  }
  return "?";
}

std::string_view op_name(ReduceOp op) {
  switch (op) {
#define X(e, s)     \
  case ReduceOp::e: \
    return s;
    TL_REDUCE_OPS(X)
#undef X
  }
  return "?";
}

}  // namespace tl
