// Repacked Q8_0/Q4_0/Q4_K weights and their AVX512-VNNI products (layout: repack.h).
//
// Per block and group of 4 weight rows, two VPDPBUSD leave in int32 lanes 4j..4j+3 the exact
// dot product of row j's block with the activation block, in four parts:
//   Q4_0: the nibbles 0..15 (unsigned) times x (signed); -8·sum(x), the same for every row,
//         enters lane 4j first (Q8Activations keeps each block's sum).
//   Q8_0: x + 128 (unsigned) times w (signed); 128·sum(w) per lane, from two more VPDPBUSD
//         with the constant 128, is taken back out.
// One permute spreads row j's f16-converted scale over its 4 lanes, then one conversion and one
// FMA accumulate 4 rows; the 4 lanes of a row are added at the end of the row.
// Q4_K (ggml_vec_dot_q4_K_q8_K's arithmetic, exact in int32 per super-block) keeps row i in lane
// i throughout: tile_q4_k below.
#include "vm/cpu/repack.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "vm/core/error.h"
#include "vm/cpu/convert.h"
#include "vm/cpu/simd.h"

namespace tl::cpu {

HugeBuffer::HugeBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  mapped_ = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw RuntimeError(
        fmt::format("cannot allocate {} bytes for a repacked weight: {}", bytes, strerror(errno)));
#ifdef MADV_HUGEPAGE
  // Advice only: where transparent huge pages are off, the memory is ordinary pages.
  ::madvise(p, mapped_, MADV_HUGEPAGE);
#endif
  data_ = static_cast<std::byte*>(p);
}

HugeBuffer::~HugeBuffer() {
  if (data_) ::munmap(data_, mapped_);
}

RepackArena::Piece RepackArena::allocate(size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  if (bytes > kChunkBytes) {
    auto own = std::make_shared<HugeBuffer>(bytes);
    return {own->data(), own};
  }
  std::lock_guard lock(mutex_);
  if (!chunk_ || used_ + bytes > chunk_->size()) {
    chunk_ = std::make_shared<HugeBuffer>(kChunkBytes);
    used_ = 0;
  }
  Piece piece{chunk_->data() + used_, chunk_};
  used_ += bytes;
  return piece;
}

namespace {

#ifdef TL_CPU_X86
// Lanes 4j..4j+3 <- lane 4g + j of the 16 scales.
TL_TARGET_AVX512VNNI inline __m512i group_index(int g) {
  return _mm512_setr_epi32(4 * g, 4 * g, 4 * g, 4 * g, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1,
                           4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 2, 4 * g + 3, 4 * g + 3,
                           4 * g + 3, 4 * g + 3);
}

TL_TARGET_AVX512VNNI inline __m512i broadcast16(const int8_t* p) {
  return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Row 4g + j of the tile <- the sum of lanes 4j..4j+3 of acc[g].
TL_TARGET_AVX512VNNI inline void store_row(const __m512* acc, float* out) {
  for (int g = 0; g < 4; ++g) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, acc[g]);
    for (int j = 0; j < 4; ++j)
      out[4 * g + j] = (lanes[4 * j] + lanes[4 * j + 1]) + (lanes[4 * j + 2] + lanes[4 * j + 3]);
  }
}

// The 4 bytes at p in every int32 lane (an embedded broadcast of VPDPBUSD's memory operand).
TL_TARGET_AVX512VNNI inline __m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// How far ahead in a tile's values (and proportionally in its scales) the kernels prefetch: the
// hardware prefetchers alone left a decode of 4096 x 14336 Q4_0 weights 25-40% slower
// (tl_kernel_bench, EPYC). Past a tile's end it reaches the next tile, which a task reads next.
constexpr int64_t kAhead = 4096;

template <int R>
TL_TARGET_AVX512VNNI void tile_q4_0(const std::byte* tile, int64_t nb, const Q8Activations& a,
                                    int64_t m0, float* out) {
  const std::byte* values = tile;
  const std::byte* scales = tile + nb * 256;
  __m512 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < 4; ++g) acc[r][g] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(15);
  const __m512i index[4] = {group_index(0), group_index(1), group_index(2), group_index(3)};
  for (int64_t b = 0; b < nb; ++b) {
    __m512i xlo[R], xhi[R], corr[R];
    __m512 xd[R];
    for (int r = 0; r < R; ++r) {
      const int8_t* x = a.row_q(m0 + r) + b * kQK;
      xlo[r] = broadcast16(x);
      xhi[r] = broadcast16(x + 16);
      corr[r] = _mm512_maskz_set1_epi32(0x1111, -8 * a.row_sum(m0 + r)[b]);
      xd[r] = _mm512_set1_ps(a.row_d(m0 + r)[b]);
    }
    __m512 sc =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + 32 * b)));
    if constexpr (R == 1) sc = _mm512_mul_ps(sc, xd[0]);
    const std::byte* v = values + b * 256;
    _mm_prefetch(reinterpret_cast<const char*>(scales + 32 * b + kAhead / 8), _MM_HINT_T0);
    for (int g = 0; g < 4; ++g) {
      _mm_prefetch(reinterpret_cast<const char*>(v + 64 * g + kAhead), _MM_HINT_T0);
      const __m512i nib = _mm512_loadu_si512(v + 64 * g);
      const __m512i lo = _mm512_and_si512(nib, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(nib, 4), low4);
      const __m512 sg = _mm512_permutexvar_ps(index[g], sc);
      for (int r = 0; r < R; ++r) {
        const __m512i isum =
            _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(corr[r], lo, xlo[r]), hi, xhi[r]);
        const __m512 s = R == 1 ? sg : _mm512_mul_ps(sg, xd[r]);
        acc[r][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[r][g]);
      }
    }
  }
  for (int r = 0; r < R; ++r) store_row(acc[r], out + 16 * r);
}

template <int R>
TL_TARGET_AVX512VNNI void tile_q8_0(const std::byte* tile, int64_t nb, const Q8Activations& a,
                                    int64_t m0, float* out) {
  const std::byte* values = tile;
  const std::byte* scales = tile + nb * 512;
  __m512 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int g = 0; g < 4; ++g) acc[r][g] = _mm512_setzero_ps();
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i index[4] = {group_index(0), group_index(1), group_index(2), group_index(3)};
  for (int64_t b = 0; b < nb; ++b) {
    __m512i xlo[R], xhi[R];
    __m512 xd[R];
    for (int r = 0; r < R; ++r) {
      const int8_t* x = a.row_q(m0 + r) + b * kQK;
      xlo[r] = _mm512_xor_si512(broadcast16(x), flip);
      xhi[r] = _mm512_xor_si512(broadcast16(x + 16), flip);
      xd[r] = _mm512_set1_ps(a.row_d(m0 + r)[b]);
    }
    __m512 sc =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + 32 * b)));
    if constexpr (R == 1) sc = _mm512_mul_ps(sc, xd[0]);
    const std::byte* v = values + b * 512;
    _mm_prefetch(reinterpret_cast<const char*>(scales + 32 * b + kAhead / 16), _MM_HINT_T0);
    for (int g = 0; g < 4; ++g) {
      _mm_prefetch(reinterpret_cast<const char*>(v + 128 * g + kAhead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(v + 128 * g + 64 + kAhead), _MM_HINT_T0);
      const __m512i lo = _mm512_loadu_si512(v + 128 * g);
      const __m512i hi = _mm512_loadu_si512(v + 128 * g + 64);
      const __m512i wsum128 =
          _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), flip, lo), flip, hi);
      const __m512 sg = _mm512_permutexvar_ps(index[g], sc);
      for (int r = 0; r < R; ++r) {
        const __m512i isum = _mm512_sub_epi32(
            _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), xlo[r], lo), xhi[r],
                                hi),
            wsum128);
        const __m512 s = R == 1 ? sg : _mm512_mul_ps(sg, xd[r]);
        acc[r][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[r][g]);
      }
    }
  }
  for (int r = 0; r < R; ++r) store_row(acc[r], out + 16 * r);
}

// Q4_K: the 16 rows sit one per int32 lane, so a row's whole super-block sum builds up in its own
// lane (no lanes to add up, no permutes) and an activation's 4 bytes reach all 16 rows as one
// embedded broadcast. A load of sub-block j, part k holds per row the bytes
// q[4k + e] | q[16 + 4k + e] << 4 (e < 4, values of the sub-block); two parts (16 values,
// |sum| <= 16·15·128 < 2^15) go through VPDPBUSD, then VPDPWSSD scales them by the sub-block's
// scale (the int32's low 16 bits times the scale, its high 16 times 0) into the row's int32 sum.
template <int R>
TL_TARGET_AVX512VNNI void tile_q4_k(const std::byte* tile, int64_t nb, const Q8KActivations& a,
                                    int64_t m0, float* out) {
  __m512 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(15);
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* sb = tile + b * kQ4KTileBlock;
    for (int64_t line = kQ4KScales; line < kQ4KTileBlock; line += 64)
      _mm_prefetch(reinterpret_cast<const char*>(sb + line + kAhead), _MM_HINT_T0);
    const int8_t* x[R];
    __m512i isum[R];
    for (int r = 0; r < R; ++r) {
      x[r] = a.row_q(m0 + r) + b * kQKK;
      isum[r] = _mm512_setzero_si512();
    }
    for (int j = 0; j < 8; ++j) {
      const __m512i sc = _mm512_cvtepu8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(sb + kQ4KScales + 16 * j)));
      for (int h = 0; h < 2; ++h) {
        const std::byte* v = sb + 256 * j + 128 * h;
        _mm_prefetch(reinterpret_cast<const char*>(v + kAhead), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(v + 64 + kAhead), _MM_HINT_T0);
        const __m512i v0 = _mm512_loadu_si512(v), v1 = _mm512_loadu_si512(v + 64);
        const __m512i lo0 = _mm512_and_si512(v0, low4),
                      hi0 = _mm512_and_si512(_mm512_srli_epi16(v0, 4), low4),
                      lo1 = _mm512_and_si512(v1, low4),
                      hi1 = _mm512_and_si512(_mm512_srli_epi16(v1, 4), low4);
        for (int r = 0; r < R; ++r) {
          const int8_t* xs = x[r] + 32 * j + 8 * h;
          __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo0, bcast4(xs));
          p = _mm512_dpbusd_epi32(p, hi0, bcast4(xs + 16));
          p = _mm512_dpbusd_epi32(p, lo1, bcast4(xs + 4));
          p = _mm512_dpbusd_epi32(p, hi1, bcast4(xs + 20));
          isum[r] = _mm512_dpwssd_epi32(isum[r], p, sc);
        }
      }
    }
    // The mins: sum_j m_j · (bsum_2j + bsum_2j+1), two sub-blocks per VPDPWSSD.
    __m512i mins[4];
    for (int t = 0; t < 4; ++t)
      mins[t] = _mm512_cvtepu8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kQ4KMins + 32 * t)));
    const __m512 dw =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kQ4KD)));
    const __m512 dmw =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + kQ4KD + 32)));
    for (int r = 0; r < R; ++r) {
      const int16_t* bs = a.row_bsums(m0 + r) + b * 16;
      __m512i msum = _mm512_setzero_si512();
      for (int t = 0; t < 4; ++t) {
        const auto lo = static_cast<uint16_t>(bs[4 * t] + bs[4 * t + 1]),
                   hi = static_cast<uint16_t>(bs[4 * t + 2] + bs[4 * t + 3]);
        msum = _mm512_dpwssd_epi32(msum, mins[t],
                                   _mm512_set1_epi32(static_cast<int>(lo | uint32_t{hi} << 16)));
      }
      const __m512 xd = _mm512_set1_ps(a.row_d(m0 + r)[b]);
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_mul_ps(dw, xd), acc[r]);
      acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmw, xd), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) _mm512_storeu_ps(out + 16 * r, acc[r]);
}

// The tile's 16 rows of a Q4_K weight into the layout above (repack.h), row by row so that each
// row streams from the file in order.
void pack_tile_q4_k(const std::byte* w, int64_t row_bytes, int64_t nb, std::byte* tile) {
  for (int64_t i = 0; i < RepackedWeight::kTileRows; ++i) {
    const std::byte* row = w + i * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = row + b * kQ4KBytes;
      const auto* qs = reinterpret_cast<const uint8_t*>(blk + 16);
      auto* sb = reinterpret_cast<uint8_t*>(tile + b * kQ4KTileBlock);
      // Sub-block j's value m is the low (j even) or high (j odd) nibble of qs[32(j/2) + m].
      for (int j = 0; j < 8; ++j) {
        const uint8_t* q = qs + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        for (int k = 0; k < 4; ++k)
          for (int e = 0; e < 4; ++e)
            sb[256 * j + 64 * k + 4 * i + e] = static_cast<uint8_t>(
                ((q[4 * k + e] >> shift) & 15) | (((q[16 + 4 * k + e] >> shift) & 15) << 4));
      }
      uint8_t sm[16];
      q4k_scales_mins(blk + 4, sm);
      for (int j = 0; j < 8; ++j) sb[kQ4KScales + 16 * j + i] = sm[j];
      for (int t = 0; t < 4; ++t) {
        sb[kQ4KMins + 32 * t + 2 * i] = sm[8 + 2 * t];
        sb[kQ4KMins + 32 * t + 2 * i + 1] = sm[8 + 2 * t + 1];
      }
      std::memcpy(sb + kQ4KD + 2 * i, blk, 2);
      std::memcpy(sb + kQ4KD + 32 + 2 * i, blk + 2, 2);
    }
  }
}

// The tile's 16 rows' block b from the file's layout into the repacked one.
void pack_tile(DType type, const std::byte* w, int64_t row_bytes, int64_t nb, std::byte* tile) {
  const int64_t bb = type == DType::Q4_0 ? kQ4Bytes : kQ8Bytes,
                vb = type == DType::Q4_0 ? 256 : 512;
  std::byte* scales = tile + nb * vb;
  // Row by row: each weight row streams from the file in order.
  for (int64_t i = 0; i < RepackedWeight::kTileRows; ++i) {
    const int64_t g = i / 4, j = i % 4;
    const std::byte* row = w + i * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = row + b * bb;
      std::byte* v = tile + b * vb;
      if (type == DType::Q4_0) {
        std::memcpy(v + 64 * g + 16 * j, blk + 2, 16);
      } else {
        std::memcpy(v + 128 * g + 16 * j, blk + 2, 16);
        std::memcpy(v + 128 * g + 64 + 16 * j, blk + 18, 16);
      }
      std::memcpy(scales + 32 * b + 2 * i, blk, 2);
    }
  }
}
#endif

}  // namespace

bool RepackedWeight::supported(const Ctx& ctx, DType type, int64_t rows, int64_t cols) {
#ifdef TL_CPU_X86
  return has_q8_tiles(ctx) && (type == DType::Q4_0 || type == DType::Q8_0 || type == DType::Q4_K) &&
         rows > 0 && rows % kTileRows == 0 && cols > 0 && cols % dtype_info(type).block_elems == 0;
#else
  (void)ctx, (void)type, (void)rows, (void)cols;
  return false;
#endif
}

RepackedWeight::RepackedWeight(const Ctx& ctx, RepackArena& arena, DType type, const std::byte* w,
                               int64_t row_bytes, int64_t rows, int64_t cols)
    : type_(type),
      rows_(rows),
      cols_(cols),
      blocks_(cols / dtype_info(type).block_elems),
      tiles_(rows / kTileRows),
      values_bytes_(type == DType::Q4_0 ? 256 : 512),
      tile_bytes_(blocks_ * (type == DType::Q4_K ? kQ4KTileBlock : values_bytes_ + 32)),
      mem_(arena.allocate(static_cast<size_t>(tiles_ * tile_bytes_))) {
  if (!supported(ctx, type, rows, cols))
    throw RuntimeError(fmt::format("internal error: no repacked form of a {} weight [{}, {}]",
                                   dtype_name(type), rows, cols));
#ifdef TL_CPU_X86
  parallel(ctx, tiles_, [&](int64_t t) {
    const std::byte* rows16 = w + t * kTileRows * row_bytes;
    if (type == DType::Q4_K)
      pack_tile_q4_k(rows16, row_bytes, blocks_, mem_.data + t * tile_bytes_);
    else
      pack_tile(type, rows16, row_bytes, blocks_, mem_.data + t * tile_bytes_);
  });
#else
  (void)w, (void)row_bytes;
#endif
}

void RepackedWeight::tile_dots(const Q8Activations& a, int64_t tile, int64_t m0, int64_t mc,
                               float* out) const {
#ifdef TL_CPU_X86
  const std::byte* p = mem_.data + tile * tile_bytes_;
  const bool q4 = type_ == DType::Q4_0;
  switch (mc) {
    case 4:
      return q4 ? tile_q4_0<4>(p, blocks_, a, m0, out) : tile_q8_0<4>(p, blocks_, a, m0, out);
    case 3:
      return q4 ? tile_q4_0<3>(p, blocks_, a, m0, out) : tile_q8_0<3>(p, blocks_, a, m0, out);
    case 2:
      return q4 ? tile_q4_0<2>(p, blocks_, a, m0, out) : tile_q8_0<2>(p, blocks_, a, m0, out);
    default:
      return q4 ? tile_q4_0<1>(p, blocks_, a, m0, out) : tile_q8_0<1>(p, blocks_, a, m0, out);
  }
#else
  (void)a, (void)tile, (void)m0, (void)mc, (void)out;
#endif
}

void RepackedWeight::tile_dots(const Q8KActivations& a, int64_t tile, int64_t m0, int64_t mc,
                               float* out) const {
#ifdef TL_CPU_X86
  static constexpr auto kernels = []<int... R>(std::integer_sequence<int, R...>) {
    return std::array{&tile_q4_k<R + 1>...};
  }
  (std::make_integer_sequence<int, kMaxRowsK>{});
  kernels[std::clamp<int64_t>(mc, 1, kMaxRowsK) - 1](mem_.data + tile * tile_bytes_, blocks_, a, m0,
                                                     out);
#else
  (void)a, (void)tile, (void)m0, (void)mc, (void)out;
#endif
}

namespace {
// Adds the bias to a tile's results for `rows` activation rows and writes them as f16: one
// VCVTPS2PH per row (round to nearest even, as f32_to_f16), where a call to the row converter
// costs more than converting 16 values.
#ifdef TL_CPU_X86
TL_TARGET_AVX512 void store_tile_rows(const float* out, int64_t rows, const float* bias,
                                      f16_bits* c, int64_t ldc) {
  const __m512 b = _mm512_loadu_ps(bias);
  for (int64_t r = 0; r < rows; ++r)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc),
                        _mm512_cvtps_ph(_mm512_add_ps(_mm512_loadu_ps(out + r * 16), b),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#else
void store_tile_rows(const float* out, int64_t rows, const float* bias, f16_bits* c, int64_t ldc) {
  float row[16];
  for (int64_t r = 0; r < rows; ++r) {
    for (int i = 0; i < 16; ++i) row[i] = out[r * 16 + i] + bias[i];
    f32_to_f16_row(row, c + r * ldc, 16);
  }
}
#endif
}  // namespace

void RepackedWeight::gemm(const Ctx& ctx, int64_t M, const f16_bits* A, int64_t lda,
                          const f16_bits* bias, f16_bits* C, int64_t ldc) const {
  if (M == 0) return;
  Q8Scratch local;
  Q8Scratch& scratch = ctx.q8_scratch ? *ctx.q8_scratch : local;
  const bool k_quant = type_ == DType::Q4_K;
  if (k_quant)
    scratch.act_k.quantize_f16(ctx, A, M, cols_, lda);
  else
    scratch.act.quantize_f16(ctx, A, M, cols_, lda);
  const int64_t step = k_quant ? kMaxRowsK : 4;
  // A task is a run of tiles against every activation row, 4 rows at a time (Q4_K: 8): the tile (at
  // most 16 rows x K) stays in L1/L2 while the rows stream past it. Few rows (decoding) make short
  // tasks, so runs of tiles keep the pool's per-task cost small.
  const int64_t workers = ctx.pool ? ctx.pool->size() : 1;
  const int64_t per_task = M >= 4 ? 1 : std::max<int64_t>(1, tiles_ / (8 * workers));
  const int64_t tasks = (tiles_ + per_task - 1) / per_task;
  parallel(ctx, tasks, [&](int64_t task) {
    alignas(64) float out[kMaxRowsK * kTileRows];
    for (int64_t t = task * per_task; t < std::min(tiles_, (task + 1) * per_task); ++t) {
      float bias_f[kTileRows] = {};
      if (bias) f16_to_f32_row(bias + t * kTileRows, bias_f, kTileRows);
      for (int64_t m0 = 0; m0 < M; m0 += step) {
        const int64_t mc = std::min<int64_t>(step, M - m0);
        if (k_quant)
          tile_dots(scratch.act_k, t, m0, mc, out);
        else
          tile_dots(scratch.act, t, m0, mc, out);
        store_tile_rows(out, mc, bias_f, C + m0 * ldc + t * kTileRows, ldc);
      }
    }
  });
}

}  // namespace tl::cpu
