#include "vm/vulkan/api.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include "vm/core/error.h"

namespace tl::vk {
namespace {

// What a user without a working loader can do; every loader error ends with it.
constexpr std::string_view kInstallHint =
    "install the Vulkan loader and a driver (Debian/Ubuntu: apt install libvulkan1 "
    "mesa-vulkan-drivers), or use --device cpu";

// Casts the untyped pointer a *ProcAddr call returns to the member's type, and refuses null.
template <class Pfn>
void fetch(Pfn& member, PFN_vkVoidFunction f, const char* name, std::string_view where) {
  if (!f)
    throw RuntimeError(
        fmt::format("the Vulkan {} has no {} (TensorLogic needs Vulkan 1.2)", where, name));
  member = reinterpret_cast<Pfn>(f);
}

}  // namespace

LoaderLibrary::LoaderLibrary(std::string_view name) : name_(name) {
  // RTLD_LOCAL: the loader's symbols stay out of the global namespace, where they could
  // interpose on a driver's or a layer's; RTLD_NOW: a broken library fails here, not mid-run.
  handle_ = dlopen(name_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* why = dlerror();
    throw RuntimeError(fmt::format("cannot load the Vulkan loader {} ({}): {}", name_,
                                   why ? why : "no reason given", kInstallHint));
  }
  void* sym = dlsym(handle_, "vkGetInstanceProcAddr");
  if (!sym) {
    dlclose(handle_);  // the destructor does not run for a constructor that throws
    throw RuntimeError(fmt::format(
        "{} is not a Vulkan loader (it has no vkGetInstanceProcAddr): {}", name_, kInstallHint));
  }
  get_instance_proc_addr_ = reinterpret_cast<PFN_vkGetInstanceProcAddr>(sym);
}

LoaderLibrary::~LoaderLibrary() {
  dlclose(handle_);
}

Api::Api(const LoaderLibrary& library) : vkGetInstanceProcAddr(library.get_instance_proc_addr()) {
  const std::string where = fmt::format("loader {}", library.name());
#define TL_VK_FETCH(name) fetch(name, vkGetInstanceProcAddr(nullptr, #name), #name, where);
  TL_VK_GLOBAL_FUNCTIONS(TL_VK_FETCH)
#undef TL_VK_FETCH
}

void Api::load_instance(VkInstance instance) {
#define TL_VK_FETCH(name) fetch(name, vkGetInstanceProcAddr(instance, #name), #name, "loader");
  TL_VK_INSTANCE_FUNCTIONS(TL_VK_FETCH)
#undef TL_VK_FETCH
#define TL_VK_FETCH_OPTIONAL(name) \
  name = reinterpret_cast<PFN_##name>(vkGetInstanceProcAddr(instance, #name));
  TL_VK_DEBUG_UTILS_FUNCTIONS(TL_VK_FETCH_OPTIONAL)
#undef TL_VK_FETCH_OPTIONAL
}

void Api::load_device(VkDevice device) {
#define TL_VK_FETCH(name) fetch(name, vkGetDeviceProcAddr(device, #name), #name, "driver");
  TL_VK_DEVICE_FUNCTIONS(TL_VK_FETCH)
#undef TL_VK_FETCH
}

}  // namespace tl::vk
