// Quantized weights: dequantize and linear on every ggml block format the backend keeps on the
// device, against a block-by-block transcription of ggml-quants.c's dequantize_row_* (f32).
#include <cmath>
#include <cstring>

#include "tests/common/ggml_blocks.h"
#include "tests/vulkan/vulkan_test_util.h"

namespace tl::test {
namespace {

using u8 = uint8_t;
float h(const u8* p) {
  return f16_to_f32(static_cast<f16_bits>(p[0] | (p[1] << 8)));
}

void scale_min_k4(int j, const u8* q, u8* d, u8* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// One block of `type` at b -> y (block_elems floats), as ggml does it.
void ref_block(DType type, const u8* b, float* y) {
  switch (type) {
    case DType::Q4_0:
      for (int j = 0; j < 16; ++j) {
        y[j] = ((b[2 + j] & 0xF) - 8) * h(b);
        y[j + 16] = ((b[2 + j] >> 4) - 8) * h(b);
      }
      return;
    case DType::Q4_1:
      for (int j = 0; j < 16; ++j) {
        y[j] = (b[4 + j] & 0xF) * h(b) + h(b + 2);
        y[j + 16] = (b[4 + j] >> 4) * h(b) + h(b + 2);
      }
      return;
    case DType::Q5_0:
    case DType::Q5_1: {
      const bool one = type == DType::Q5_1;
      const u8* qhp = b + (one ? 4 : 2);
      uint32_t qh;
      std::memcpy(&qh, qhp, 4);
      for (int j = 0; j < 16; ++j) {
        const u8 xh0 = ((qh >> (j + 0)) << 4) & 0x10, xh1 = ((qh >> (j + 12))) & 0x10;
        const int x0 = (qhp[4 + j] & 0x0F) | xh0, x1 = (qhp[4 + j] >> 4) | xh1;
        y[j] = one ? x0 * h(b) + h(b + 2) : (x0 - 16) * h(b);
        y[j + 16] = one ? x1 * h(b) + h(b + 2) : (x1 - 16) * h(b);
      }
      return;
    }
    case DType::Q8_0:
      for (int j = 0; j < 32; ++j) y[j] = static_cast<int8_t>(b[2 + j]) * h(b);
      return;
    case DType::Q8_1:
      for (int j = 0; j < 32; ++j) y[j] = static_cast<int8_t>(b[4 + j]) * h(b);
      return;
    case DType::Q2_K: {
      const float d = h(b + 80), mn = h(b + 82);
      const u8* q = b + 16;
      int is = 0;
      for (int n = 0; n < 256; n += 128) {
        int shift = 0;
        for (int j = 0; j < 4; ++j) {
          u8 sc = b[is++];
          float dl = d * (sc & 0xF), ml = mn * (sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * ((q[l] >> shift) & 3) - ml;
          sc = b[is++];
          dl = d * (sc & 0xF), ml = mn * (sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * ((q[l + 16] >> shift) & 3) - ml;
          shift += 2;
        }
        q += 32;
      }
      return;
    }
    case DType::Q3_K: {
      const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
      uint32_t aux[4];
      std::memcpy(aux, b + 96, 12);
      const uint32_t tmp = aux[2];
      aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
      aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
      aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
      aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
      const int8_t* scales = reinterpret_cast<const int8_t*>(aux);
      const float d = h(b + 108);
      const u8* q = b + 32;
      const u8* hm = b;
      u8 m = 1;
      int is = 0;
      for (int n = 0; n < 256; n += 128) {
        int shift = 0;
        for (int j = 0; j < 4; ++j) {
          float dl = d * (scales[is++] - 32);
          for (int l = 0; l < 16; ++l) *y++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
          dl = d * (scales[is++] - 32);
          for (int l = 0; l < 16; ++l)
            *y++ = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
          shift += 2;
          m <<= 1;
        }
        q += 32;
      }
      return;
    }
    case DType::Q4_K:
    case DType::Q5_K: {
      const bool five = type == DType::Q5_K;
      const float d = h(b), mn = h(b + 2);
      const u8* scales = b + 4;
      const u8* qh = b + 16;
      const u8* ql = b + (five ? 48 : 16);
      int is = 0;
      u8 sc, m, u1 = 1, u2 = 2;
      for (int j = 0; j < 256; j += 64) {
        scale_min_k4(is + 0, scales, &sc, &m);
        const float d1 = d * sc, m1 = mn * m;
        scale_min_k4(is + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = mn * m;
        for (int l = 0; l < 32; ++l)
          *y++ = d1 * ((ql[l] & 0xF) + (five && (qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; ++l)
          *y++ = d2 * ((ql[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0)) - m2;
        ql += 32;
        is += 2;
        u1 <<= 2;
        u2 <<= 2;
      }
      return;
    }
    case DType::Q6_K: {
      const float d = h(b + 208);
      const u8* ql = b;
      const u8* qh = b + 128;
      const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
      for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          const int q1 = static_cast<int8_t>((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          const int q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          const int q3 = static_cast<int8_t>((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          const int q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          y[l + 0] = d * sc[is + 0] * q1;
          y[l + 32] = d * sc[is + 2] * q2;
          y[l + 64] = d * sc[is + 4] * q3;
          y[l + 96] = d * sc[is + 6] * q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
      }
      return;
    }
    case DType::Q8_K: {
      float d;
      std::memcpy(&d, b, 4);
      for (int j = 0; j < 256; ++j) y[j] = d * static_cast<int8_t>(b[4 + j]);
      return;
    }
    default:
      FAIL() << "no reference for " << dtype_name(type);
  }
}

// Random blocks with sane (finite, small) scales at the f16/f32 scale offsets of each format.
std::vector<std::byte> random_blocks(DType type, int64_t elems, std::mt19937& rng) {
  const DTypeInfo& info = dtype_info(type);
  const int64_t nb = elems / info.block_elems;
  std::vector<std::byte> data(nb * info.block_bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.001f, 0.02f);
  for (auto& x : data) x = static_cast<std::byte>(byte(rng));
  const std::vector<int> halves = test::ggml_f16_scale_offsets(type);
  for (int64_t i = 0; i < nb; ++i) {
    std::byte* b = data.data() + i * info.block_bytes;
    for (int off : halves) {
      const f16_bits v = f32_to_f16(scale(rng));
      std::memcpy(b + off, &v, 2);
    }
    if (type == DType::Q8_K) {
      const float v = scale(rng);
      std::memcpy(b, &v, 4);
    }
  }
  return data;
}

std::vector<double> ref_dequant(DType type, const std::vector<std::byte>& data, int64_t elems) {
  const DTypeInfo& info = dtype_info(type);
  std::vector<float> f(elems);
  for (int64_t i = 0; i < elems / info.block_elems; ++i)
    ref_block(type, reinterpret_cast<const u8*>(data.data()) + i * info.block_bytes,
              f.data() + i * info.block_elems);
  return std::vector<double>(f.begin(), f.end());
}

using VulkanQuant = VulkanTest;

constexpr DType kQuantTypes[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                 DType::Q8_0, DType::Q8_1, DType::Q2_K, DType::Q3_K,
                                 DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

TEST_F(VulkanQuant, DequantizeMatchesGgml) {
  for (DType type : kQuantTypes) {
    SCOPED_TRACE(std::string(dtype_name(type)));
    const Shape s{3, 512};
    const auto data = random_blocks(type, s.numel(), rng);
    const Tensor q = be->upload(s, type, data);
    EXPECT_TRUE(q.quantized());
    HostTensor want{s, ref_dequant(type, data, s.numel())};
    for (double& v : want.v) v = f16_to_f32(f64_to_f16(v));  // the contract: then rounded to f16
    expect_near(be->dequantize(q), want, 0, kRtol);  // one f16 rounding, maybe different direction
  }
}

TEST_F(VulkanQuant, LinearOnQuantizedWeights) {
  for (bool gpu_kernels : {false, true}) {
    if (gpu_kernels) use_gpu_kernels();  // on lavapipe: also the kernels a GPU gets
    for (DType type : kQuantTypes) {
      for (int64_t rows : {1, 3, 9}) {
        SCOPED_TRACE(std::string(dtype_name(type)) + " rows=" + std::to_string(rows));
        const int64_t n = 37, k = 512;
        const auto data = random_blocks(type, n * k, rng);
        const Tensor w = be->upload(Shape{n, k}, type, data);
        const std::vector<double> wf = ref_dequant(type, data, n * k);
        const HostTensor x = random(Shape{rows, k}, -1, 1);
        HostTensor want{Shape{rows, n}, std::vector<double>(rows * n)};
        double scale = 0;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < n; ++j) {
            double s = 0, a = 0;
            for (int64_t kk = 0; kk < k; ++kk) {
              // rows > kMatvecMaxRows dequantize W to f16 first: the reference does the same.
              const double wv = rows > 4 ? f16_to_f32(f64_to_f16(wf[j * k + kk])) : wf[j * k + kk];
              s += x.v[r * k + kk] * wv;
              a += std::abs(x.v[r * k + kk] * wv);
            }
            want.v[r * n + j] = s;
            scale = std::max(scale, a);
          }
        expect_near(be->linear(up(x), w, nullptr), want, 1e-5 * scale + 1e-4, kRtol);
      }
    }
  }
}

TEST_F(VulkanQuant, DownloadDequantizes) {
  const auto data = random_blocks(DType::Q8_0, 64, rng);
  const Tensor q = be->upload(Shape{64}, DType::Q8_0, data);
  HostTensor want{Shape{64}, ref_dequant(DType::Q8_0, data, 64)};
  expect_near(q, want, 0, kRtol);
}

}  // namespace
}  // namespace tl::test
