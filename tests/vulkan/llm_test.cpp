// The language-model ops on Vulkan against the CPU backend (and float64 for attention):
// arg_reduce exactly, embedding of F16 and quantized tables, rope, attention (GQA, KV cache).
#include <cmath>
#include <cstring>

#include "tests/common/llm_reference64.h"
#include "tests/vulkan/vulkan_test_util.h"
#include "vm/core/error.h"
#include "vm/cpu/cpu_backend.h"

namespace tl::test {
namespace {

class VulkanLlm : public VulkanTest {
 protected:
  Tensor cpu_up(const HostTensor& h) {
    const std::vector<f16_bits> b = h.bits();
    return cpu.upload(h.shape, DType::F16, std::as_bytes(std::span(b)));
  }
  HostTensor cpu_down(const Tensor& t) {
    std::vector<f16_bits> b(static_cast<size_t>(t.numel()));
    cpu.download(t, b);
    HostTensor h{t.shape, std::vector<double>(b.size())};
    for (size_t i = 0; i < b.size(); ++i) h.v[i] = f16_to_f32(b[i]);
    return h;
  }
  CpuBackend cpu;
};

TEST_F(VulkanLlm, ArgReduceEqualsCpu) {
  for (const Shape& s : {Shape{40000}, Shape{4, 37, 300}, Shape{3, 5000}, Shape{600, 7}}) {
    HostTensor x = random(s, -1, 1);
    for (double& e : x.v) e = std::round(e * 8) / 8;  // many ties: the first index must win
    const Tensor c = cpu_up(x), g = up(x);
    for (ArgOp op : {ArgOp::ArgMax, ArgOp::ArgMin})
      for (int dim = -1; dim < static_cast<int>(s.rank()); ++dim) {
        const std::optional<int> d = dim < 0 ? std::nullopt : std::optional<int>(dim);
        EXPECT_EQ(be->arg_reduce(op, g, d), cpu.arg_reduce(op, c, d))
            << op_name(op) << " " << s.to_string() << " dim " << dim;
      }
  }
  EXPECT_THROW(be->arg_reduce(ArgOp::ArgMax, up(random(Shape{0, 3})), 0), RuntimeError);
}

TEST_F(VulkanLlm, ArgReduceNaNAndLateIndex) {
  HostTensor x{Shape{32000}, std::vector<double>(32000, 0.0)};
  x.v[31999] = 1.0;
  EXPECT_EQ(be->arg_reduce(ArgOp::ArgMax, up(x), std::nullopt), std::vector<int64_t>{31999});
  x.v[7] = NAN;
  x.v[9] = NAN;
  EXPECT_EQ(be->arg_reduce(ArgOp::ArgMax, up(x), 0), std::vector<int64_t>{7});
  EXPECT_EQ(be->arg_reduce(ArgOp::ArgMin, up(x), 0), std::vector<int64_t>{7});
}

TEST_F(VulkanLlm, EmbeddingEqualsCpu) {
  const std::vector<int64_t> ids = {8, 2, 2, 0, 5};
  const HostTensor table = random(Shape{9, 64});
  expect_near(be->embedding(up(table), ids), cpu_down(cpu.embedding(cpu_up(table), ids)), 0, 0);
  for (DType type : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    SCOPED_TRACE(std::string(dtype_name(type)));
    const auto bytes = random_quant_rows(type, 9, 512, 11);
    const Tensor got = be->embedding(be->upload({9, 512}, type, bytes), ids);
    const HostTensor want = cpu_down(cpu.embedding(cpu.upload({9, 512}, type, bytes), ids));
    expect_near(got, want, 1e-6, 1.0 / 2048);
  }
  EXPECT_THROW(be->embedding(up(table), std::vector<int64_t>{9}), RuntimeError);
}

TEST_F(VulkanLlm, RopeEqualsCpu) {
  const HostTensor x = random(Shape{6, 4, 32});
  for (RopeMode mode : {RopeMode::Norm, RopeMode::Neox})
    for (int64_t start : {int64_t{0}, int64_t{3000}}) {
      SCOPED_TRACE(std::to_string(start));
      // Same f32 angles (host-computed); the rotation may contract to FMA on the device.
      expect_near(be->rope(up(x), start, 10000.0f, mode),
                  cpu_down(cpu.rope(cpu_up(x), start, 10000.0f, mode)), 2e-3, 1.0 / 1024);
    }
}

TEST_F(VulkanLlm, AttentionEqualsCpuAndFloat64) {
  struct Case {
    int64_t T, H, Hkv, hd, S, start;
  };
  for (const Case& c :
       {Case{1, 4, 4, 16, 1, 0}, Case{6, 4, 2, 32, 6, 0}, Case{5, 8, 2, 64, 150, 70},
        Case{1, 8, 1, 128, 300, 299}, Case{3, 2, 2, 20, 9, 4}}) {
    SCOPED_TRACE("T " + std::to_string(c.T) + " S " + std::to_string(c.S));
    const HostTensor q = random(Shape{c.T, c.H, c.hd}, -1.5, 1.5);
    HostTensor k = random(Shape{c.S, c.Hkv, c.hd}, -1.5, 1.5), v = random(Shape{c.S, c.Hkv, c.hd});
    for (int64_t i = (c.start + c.T) * c.Hkv * c.hd; i < c.S * c.Hkv * c.hd; ++i)
      k.v[i] = v.v[i] = NAN;  // rows past start + T are never read
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.hd));
    const Tensor g = be->attention(up(q), up(k), up(v), c.start, scale);
    expect_near(g, cpu_down(cpu.attention(cpu_up(q), cpu_up(k), cpu_up(v), c.start, scale)), 2e-3,
                2.0 / 1024);
    HostTensor want{g.shape, attention64(q.v, k.v, v.v, c.T, c.H, c.Hkv, c.hd, c.start, scale)};
    expect_near(g, want, 2e-3, 1.0 / 1024);
  }
  EXPECT_THROW(be->attention(up(random(Shape{1, 2, 512})), up(random(Shape{1, 2, 512})),
                             up(random(Shape{1, 2, 512})), 0, 1.0f),
               RuntimeError);  // head dim above the kernel's limit
}

}  // namespace
}  // namespace tl::test
