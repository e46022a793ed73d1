// `--device auto` decides lazily: a program without tensor operations never loads a Vulkan
// driver (that probe cost ~25 ms of start-up), and the first tensor operation picks the backend.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "vm/bytecode/builder.h"
#include "vm/runtime/backend_factory.h"
#include "vm/runtime/interp.h"

namespace tl {
namespace {

// Whether a shared object whose path contains `name` is mapped into this process.
bool mapped(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

// Vulkan drivers (ICDs) are shared objects named libvulkan_<driver>.so (lavapipe: libvulkan_lvp,
// radv: libvulkan_radeon, anv: libvulkan_intel, ...); the loader maps one when an instance is
// created.
bool vulkan_driver_loaded() {
  return mapped("libvulkan_");
}
// The loader itself (libvulkan.so.1) is opened with dlopen when the Vulkan backend is made.
bool vulkan_loader_loaded() {
  return mapped("libvulkan.so");
}

Module print_hello() {
  ModuleBuilder mb;
  uint32_t main = mb.declare_function("<script>", 0);
  mb.set_entry(main);
  auto& f = mb.function(main);
  f.emit(OpCode::LOADK, 1, static_cast<int>(mb.constant("hello")));
  f.emit(OpCode::LOADNONE, 2, 0);  // print's end and stderr: none
  f.emit(OpCode::LOADNONE, 3, 0);
  f.call_builtin(0, Builtin::Print, 3);  // R[1]; end, stderr: R[2], R[3]
  f.emit(OpCode::RETURN, 0, 0);
  return mb.finish();
}

TEST(AutoBackend, AProgramWithoutTensorOpsProbesNothing) {
  ASSERT_FALSE(vulkan_driver_loaded()) << "a driver was loaded before the test started";
  ASSERT_FALSE(vulkan_loader_loaded()) << "the loader was loaded before the test started";
  auto backend = make_backend("auto");
  ASSERT_NE(backend, nullptr);
  const Module m = print_hello();
  std::ostringstream out;
  VmOptions opts;
  opts.backend = backend.get();
  opts.out = &out;
  Vm vm(m, opts);
  vm.run();
  backend->synchronize();  // at exit: nothing to wait for, nothing to create
  EXPECT_EQ(out.str(), "hello\n");
  EXPECT_FALSE(vulkan_driver_loaded());
  EXPECT_FALSE(vulkan_loader_loaded());
}

TEST(AutoBackend, TheFirstTensorOpChoosesAndForwards) {
  auto backend = make_backend("auto");
  const Tensor t = backend->full(Shape{2, 3}, 1.5f);
  std::vector<f16_bits> bits(6);
  backend->download(t, bits);
  for (f16_bits b : bits) EXPECT_EQ(f16_to_f32(b), 1.5f);
  // The tensor belongs to the backend chosen behind the proxy, which later ops use directly.
  ASSERT_NE(t.backend, nullptr);
  EXPECT_EQ(t.backend->name(), backend->name());
  EXPECT_TRUE(backend->name() == "cpu" || backend->name() == "vulkan") << backend->name();
  const Tensor y = backend->unary(UnaryOp::Neg, t);
  backend->download(y, bits);
  EXPECT_EQ(f16_to_f32(bits[0]), -1.5f);
}

TEST(AutoBackend, UnknownDeviceIsRejected) {
  EXPECT_THROW(make_backend("tpu"), std::invalid_argument);
}

}  // namespace
}  // namespace tl
