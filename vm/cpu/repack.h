// Q8_0/Q4_0/Q4_K weights re-laid once for the int8 products, as llama.cpp repacks at load (its
// "CPU_REPACK" buffers): tiles of 16 weight rows whose blocks sit side by side. Q8_0/Q4_0: one
// 64-byte load feeds VPDPBUSD with 4 rows at once and one load of 16 f16 scales serves all 16;
// the layout is the same size as the file's (18 or 34 bytes per row and block), only the order
// changes. Q4_K: one 64-byte load holds 4 bytes of each of the 16 rows (one row per int32 lane),
// so a row's super-block sum builds up in one lane and the 6-bit scales and mins, unpacked here
// into bytes, are one load and one widening each; 148 bytes per row and super-block instead of
// the file's 144 (the unpacked scales and mins: one layout for the repack to decode once rather
// than every product). Internal to vm/cpu (and its tests and benches).
//
// Tile t (rows 16t .. 16t+15) of a Q8_0/Q4_0 weight with nb blocks per row:
//   values[nb][V]  block b of the 16 rows; group g (rows 16t+4g .. +3) at byte offset (V/4)·g:
//                    Q4_0 (V = 256): row 4g+j's 16 packed nibble bytes, as stored, at 16j
//                    Q8_0 (V = 512): lo[64] row 4g+j's values 0..15 at 16j; hi[64] its 16..31
//   scales[nb][16] f16: block b's scale of row 16t+i at i
// then tile t+1.
// Tile t of a Q4_K weight: its nb super-blocks one after the other (one stream to prefetch),
// super-block b of the 16 rows in kQ4KTileBlock = 2368 bytes:
//   qs[8][4][16][4]  sub-block j (values 32j..32j+31), part k, row i: byte e holds value 4k + e
//                    of the sub-block in its low nibble and value 16 + 4k + e in its high one
//   scales[8][16]    u8: sub-block j's 6-bit scale of row i at 16j + i
//   mins[4][16][2]   u8: the mins of sub-blocks 2t, 2t+1 of row i at 32t + 2i (a VPMOVZXBW makes
//                    the int16 pairs that VPDPWSSD multiplies with pairs of Q8_K's bsums)
//   d[16], dmin[16]  f16, as in the file
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "vm/core/dtype.h"
#include "vm/core/half.h"
#include "vm/cpu/kernels.h"

namespace tl::cpu {

// Offsets in a Q4_K tile's super-block (layout above).
inline constexpr int64_t kQ4KScales = 2048, kQ4KMins = 2176, kQ4KD = 2304, kQ4KTileBlock = 2368;

// Anonymous read-write memory, asked for in transparent huge pages (madvise MADV_HUGEPAGE): a
// weight-sized buffer then costs hundreds of page faults instead of hundreds of thousands, which
// on a VM is most of the cost of fresh memory. RAII over mmap/munmap.
class HugeBuffer {
 public:
  static constexpr size_t kHugePageBytes = size_t{2} << 20;  // x86-64's transparent huge page
  explicit HugeBuffer(size_t bytes);  // throws RuntimeError when the memory cannot be mapped
  ~HugeBuffer();
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  size_t size_ = 0, mapped_ = 0;
};

// Hands out 64-byte aligned pieces of huge-page chunks, so that the many small weights of a model
// (a 256 x 2048 Q4_0 projection is 288 KiB) share huge pages instead of each filling one. A piece
// keeps its chunk alive; a chunk is unmapped when its last piece goes (a model that is dropped
// gives its memory back). Pieces larger than a chunk get a buffer of their own. Thread-safe.
class RepackArena {
 public:
  static constexpr size_t kChunkBytes = size_t{64} << 20;
  struct Piece {
    std::byte* data = nullptr;
    std::shared_ptr<HugeBuffer> chunk;
  };
  Piece allocate(size_t bytes);

 private:
  std::mutex mutex_;
  std::shared_ptr<HugeBuffer> chunk_;
  size_t used_ = 0;
};

class RepackedWeight {
 public:
  static constexpr int64_t kTileRows = 16;
  // True when this machine's int8 kernels take the repacked form of a [rows, cols] weight.
  static bool supported(const Ctx& ctx, DType type, int64_t rows, int64_t cols);
  // Repacks rows `row_bytes` apart (tiles in parallel on ctx's pool). Requires supported().
  RepackedWeight(const Ctx& ctx, RepackArena& arena, DType type, const std::byte* w,
                 int64_t row_bytes, int64_t rows, int64_t cols);

  DType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t bytes() const { return static_cast<size_t>(tiles_ * tile_bytes_); }

  // C[M, rows] = A[M, cols] @ W^T (+ bias), A quantized to Q8_0 rows as gemm() does; each
  // block's int32 dot product is exact, so this differs from dot_rows_q8 only in the order of
  // the f32 sums.
  void gemm(const Ctx& ctx, int64_t M, const f16_bits* A, int64_t lda, const f16_bits* bias,
            f16_bits* C, int64_t ldc) const;
  // out[r * 16 + i] = dot(row 16·tile + i, activation row m0 + r) for r < mc <= 4 (for tests).
  void tile_dots(const Q8Activations& a, int64_t tile, int64_t m0, int64_t mc, float* out) const;
  // The same for Q4_K weights, mc <= kMaxRowsK.
  static constexpr int64_t kMaxRowsK = 8;
  void tile_dots(const Q8KActivations& a, int64_t tile, int64_t m0, int64_t mc, float* out) const;

 private:
  DType type_;
  int64_t rows_, cols_, blocks_, tiles_, values_bytes_, tile_bytes_;
  RepackArena::Piece mem_;
};

}  // namespace tl::cpu
