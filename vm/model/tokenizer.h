// Tokenizers built from a GGUF file's `tokenizer.ggml.*` metadata, matching llama.cpp's
// (src/llama-vocab.cpp) token for token:
//   - "llama": SentencePiece BPE (llm_tokenizer_spm): space prefix, ' ' -> U+2581, merges by
//     score with ties to the left, byte fallback to <0xXX> tokens;
//   - "gpt2": byte-level BPE (llm_tokenizer_bpe) with the pre-tokenizer named by
//     `tokenizer.ggml.pre` (see pretokenizer.h), merges by rank.
// Text of special tokens (control, unknown, user-defined) becomes those tokens first, as llama.cpp
// does for a prompt with parse_special. A leaf of tl_model: no VM, no backend.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vm/model/model.h"

namespace tl {

// llama.cpp's llama_token_type values as stored in tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct TokenizeOptions {
  bool add_bos = false;       // prepend the BOS token (error when the vocabulary has none)
  bool add_eos = false;       // append the EOS token (error when the vocabulary has none)
  bool parse_special = true;  // text of control/unknown tokens becomes those tokens
};

class Tokenizer {
 public:
  enum class Kind { Spm, Bpe };

  // Reads tokenizer.ggml.* from a GGUF header. Throws FormatError (naming the file) for a
  // non-GGUF file, a file without tokenizer metadata, an unknown tokenizer model or
  // pre-tokenizer (named), and malformed metadata (wrong types, arrays shorter than the vocab).
  static Tokenizer from_gguf(const ModelHeader& header);

  std::vector<int32_t> tokenize(std::string_view text, const TokenizeOptions& options) const;
  // The bytes a token stands for, as llama.cpp's token_to_piece without special: control and
  // unknown tokens give "", byte tokens their byte, normal tokens their text (SPM: U+2581 -> ' ';
  // BPE: byte-level decoded). Throws RuntimeError for an id outside [0, size()).
  std::string piece(int64_t id) const;
  // The concatenation of piece(id) for every id (what a streaming generator prints).
  std::string detokenize(std::span<const int64_t> ids) const;

  Kind kind() const { return kind_; }
  size_t size() const { return tokens_.size(); }
  const std::string& model_name() const { return model_; }  // "llama" / "gpt2"
  const std::string& pre() const { return pre_; }
  std::optional<int32_t> bos() const { return bos_; }
  std::optional<int32_t> eos() const { return eos_; }
  bool add_bos_default() const { return add_bos_; }
  bool add_eos_default() const { return add_eos_; }
  // The id of a token's exact text, if any (the last id wins for duplicate texts, as llama.cpp).
  std::optional<int32_t> find(std::string_view text) const;
  const std::string& text(int32_t id) const { return tokens_[static_cast<size_t>(id)].text; }

 private:
  struct Token {
    std::string text;
    float score = 0;
    TokenType type = TokenType::Normal;
    bool lstrip = false, rstrip = false;  // special-token attributes (phi-3)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TextMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;
  // Merge ranks keyed by (left, right), looked up by string_views without allocating.
  using Pair = std::pair<std::string, std::string>;
  using PairView = std::pair<std::string_view, std::string_view>;
  struct PairHash {
    using is_transparent = void;
    size_t operator()(PairView p) const {
      const size_t h = std::hash<std::string_view>{}(p.first);
      return h ^ (std::hash<std::string_view>{}(p.second) + 0x9E3779B97F4A7C15ull + (h << 6) +
                  (h >> 2));
    }
    size_t operator()(const Pair& p) const { return (*this)(PairView(p.first, p.second)); }
  };
  struct PairEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::string_view(a.first) == std::string_view(b.first) &&
             std::string_view(a.second) == std::string_view(b.second);
    }
  };
  // A piece of the input: raw text (a byte range of it) or an already-recognised special token.
  struct Fragment {
    int32_t token;  // -1 for raw text
    size_t offset, length;
  };

  Tokenizer() = default;
  std::vector<Fragment> split_special(std::string_view text, bool parse_special) const;
  void tokenize_spm(std::string_view text, std::vector<int32_t>& out) const;
  void tokenize_bpe(std::string_view text, std::vector<int32_t>& out) const;
  void bpe_word(std::string_view word, std::vector<int32_t>& out) const;
  int32_t byte_token(uint8_t byte) const;
  int rank(std::string_view left, std::string_view right) const;

  Kind kind_ = Kind::Spm;
  std::string model_, pre_, path_;
  std::vector<Token> tokens_;
  TextMap ids_;
  std::vector<int32_t> special_;  // special tokens, longest text first
  std::unordered_map<Pair, int, PairHash, PairEq> ranks_;
  int pre_type_ = 0;  // pretokenizer.h's PreTokenizer, for BPE
  bool ignore_merges_ = false;
  std::optional<int32_t> bos_, eos_, unk_;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false;
};

}  // namespace tl
