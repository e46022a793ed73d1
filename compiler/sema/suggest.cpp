#include "compiler/sema/suggest.h"

#include "vm/core/suggest.h"

namespace tl::sema {

std::vector<std::string> closest(std::string_view name,
                                 const std::vector<std::string>& candidates) {
  return closest_names(name, candidates, 3);  // the one definition, shared with model I/O
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " or " : ", ";
    s += "`" + names[i] + "`";
  }
  return s;
}

namespace {
constexpr ForeignName kForeignNames[] = {
    {"cat", "concat", "`torch.cat` is `concat(a, b, dim: 0)` (or `concat(list, dim: 0)`) in TL"},
    {"concatenate", "concat", "`np.concatenate` is `concat(a, b, dim: 0)` in TL"},
    {"hstack", "", "`hstack` is `concat(a, b, dim: -1)` in TL"},
    {"vstack", "", "`vstack` is `concat(a, b, dim: 0)` in TL"},
    {"size", "", "the shape of a tensor is `x.shape` (`x.shape[0]` for one dim) in TL"},
    {"view", "reshape", "`view` is `reshape(x, d1, d2, ...)` in TL"},
    {"flatten", "", "`flatten` is `reshape(x, -1)` in TL"},
    {"permute", "transpose", "`permute` is `transpose(x, 0, 2, 1)` (all dims) in TL"},
    {"swapaxes", "transpose", "`swapaxes(x, a, b)` is `transpose(x, a, b)` in TL"},
    {"expand_dims", "unsqueeze", "`np.expand_dims` is `unsqueeze(x, dim)` in TL"},
    {"mm", "matmul", "`torch.mm` is `a @ b` (or `matmul(a, b)`) in TL"},
    {"bmm", "matmul", "`torch.bmm` is `a @ b` (or `matmul(a, b)`) in TL"},
    {"dot", "matmul", "`dot` is `a @ b` (or `matmul(a, b)`) in TL"},
    {"amax", "max", "`amax` is `max(x, dim: d)` in TL"},
    {"amin", "min", "`amin` is `min(x, dim: d)` in TL"},
    {"clamp", "", "`clamp(x, lo, hi)` is `minimum(maximum(x, lo), hi)` in TL"},
    {"clip", "", "`clip(x, lo, hi)` is `minimum(maximum(x, lo), hi)` in TL"},
    {"pow", "", "`pow(a, b)` is `a ** b` in TL"},
    {"log_softmax", "", "`log_softmax(x, dim)` is `log(softmax(x, dim: dim))` in TL"},
    {"full", "", "`full(shape, v)` is `ones(shape) * v` in TL"},
    {"empty", "zeros", "TL has no uninitialised tensors: `zeros(d1, d2, ...)`"},
    {"array", "tensor", "`np.array([...])` is `tensor([...])` in TL"},
    {"asarray", "tensor", "`np.asarray([...])` is `tensor([...])` in TL"},
    {"from_numpy", "", "TL reads arrays from model files: `load_model(path).get_tensor(name)`"},
    {"load", "load_model", "`torch.load` is `load_model(path)` (safetensors or GGUF) in TL"},
    {"save", "save_model", "`torch.save` is `save_model({\"name\": t}, path)` in TL"},
    {"expand", "", "TL broadcasts automatically: `x + y` needs no `expand`"},
    {"broadcast_to", "", "TL broadcasts automatically: `x + y` needs no `broadcast_to`"},
    {"contiguous", "", "TL tensors are always contiguous: drop `.contiguous()`"},
    {"item", "", "a one-element tensor compares and prints as a number; index it with `x[0]`"},
    {"numel", "", "the element count is the product of `x.shape`"},
    {"dim", "", "the rank of a tensor is `x.ndim` (or `len(x.shape)`) in TL"},
    {"float", "", "TL tensors are float16: no conversion is needed"},
    {"half", "", "TL tensors are float16 already: drop `.half()`"},
    {"to", "", "TL places tensors with `--device`: drop `.to(...)`"},
    {"cuda", "", "TL places tensors with `--device vulkan`: drop `.cuda()`"},
    {"cpu", "", "TL places tensors with `--device cpu`: drop `.cpu()`"},
    {"detach", "", "TL has no autograd: drop `.detach()`"},
    {"numpy", "",
     "TL has no modules: call the builtins directly (`concat`, not `numpy.concatenate`)"},
    {"np", "", "TL has no modules: call the builtins directly (`concat`, not `np.concatenate`)"},
    {"torch", "",
     "TL has no modules: call the builtins directly (`softmax(x, dim: -1)`, not `torch.softmax`)"},
    {"F", "", "TL has no modules: call the builtins directly (`relu(x)`, not `F.relu(x)`)"},
    {"nn", "", "TL has no modules: layers are functions over tensors (`linear(x, w, b)`)"},
    {"math", "", "TL has no modules: `sqrt`, `exp`, `log`, `abs` are builtins"},
    {"self", "", "TL has no classes: pass the weights to a function or read them from a Model"},
    {"def", "", "TL declares functions with `fn name(x) { ... }`"},
    {"clone", "", "TL tensors are values: `let y = x` is already a copy"},
    {"copy", "", "TL tensors are values: `let y = x` is already a copy"},
    {"randn", "",
     "TL has no random tensors: load data with load_model, or build it (arange, ones)"},
    {"rand", "", "TL has no random tensors: load data with load_model, or build it (arange, ones)"},
    {"std", "", "`std(x)` is `sqrt(mean((x - mean(x)) ** 2))` in TL"},
    {"var", "", "`var(x)` is `mean((x - mean(x)) ** 2)` in TL"},
    {"norm", "", "the 2-norm is `sqrt(sum(x * x))` in TL"},
    {"outer", "", "`outer(a, b)` is `unsqueeze(a, 1) * unsqueeze(b, 0)` in TL"},
    {"split", "", "split with slices: `x[:, 0:64]`, `x[:, 64:128]`"},
    {"chunk", "", "split with slices: `x[:, 0:64]`, `x[:, 64:128]`"},
    {"repeat", "", "repeat with `concat(x, x, dim: d)` (TL broadcasts, so it is rarely needed)"},
    {"tile", "", "repeat with `concat(x, x, dim: d)` (TL broadcasts, so it is rarely needed)"},
    {"null", "none", "the empty value is `none` in TL"},
    {"nil", "none", "the empty value is `none` in TL"},
};
}  // namespace

bool is_module_prefix(std::string_view name) {
  return name == "torch" || name == "np" || name == "numpy" || name == "F" || name == "math";
}

const ForeignName* foreign_name(std::string_view name) {
  for (const ForeignName& f : kForeignNames)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace tl::sema
