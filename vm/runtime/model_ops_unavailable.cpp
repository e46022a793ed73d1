// Stand-in for model_ops.cpp in builds without the tl_model library.
#include "vm/core/error.h"
#include "vm/runtime/model_ops.h"

namespace tl {
namespace {
[[noreturn]] void unavailable() {
  throw RuntimeError("model files are not supported in this build (tl_model is not linked)");
}
}  // namespace

Value m_load_model(const std::string&, const std::filesystem::path&) {
  unavailable();
}
Value m_get_tensor(Backend*, const Value&, const std::string&) {
  unavailable();
}
Value m_member(Backend*, const Value&, const std::string&) {
  unavailable();
}
bool m_has_tensor(const Value&, const std::string&) {
  unavailable();
}
Value m_tensor_names(const Value&) {
  unavailable();
}
int64_t m_length(const Value&) {
  unavailable();
}
Value m_metadata(const Value&, const std::string&) {
  unavailable();
}
Value m_tokenize(const Value&, const std::string&, const Value&) {
  unavailable();
}
Value m_detokenize(const Value&, const Value&) {
  unavailable();
}
void m_save_model(const Value&, const std::string&, const std::filesystem::path&) {
  unavailable();
}
std::string m_summary(const ModelObj&) {
  return "Model(?)";
}

}  // namespace tl
