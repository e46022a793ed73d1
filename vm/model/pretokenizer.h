// The pre-tokenizers of byte-level BPE vocabularies (`tokenizer.ggml.model = "gpt2"`): they split
// text into words before merges, as llama.cpp's unicode_regex_split does for the regular
// expressions of GPT-2, Llama 3, Qwen2, StarCoder, Falcon and DeepSeek (hand-written matchers
// equivalent to those expressions, not a regex engine), then map every byte of a word to GPT-2's
// printable byte-level alphabet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

enum class PreTokenizer {
  Gpt2,       // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Llama3,     // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
              // ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Qwen2,      // as Llama3 with \p{N} (one digit per word)
  StarCoder,  // every \p{N} isolated, then Gpt2
  // The rest are lists of expressions, each splitting the words of the one before further.
  Falcon,  // [\p{P}\$\+<=>\^~\|`]+, then Gpt2, then [0-9][0-9][0-9]
  // [\r\n], \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+, \s?[!-/:-~！-／：-～‘-‟　-。]+, \s+$,
  // [一-龥ࠀ-一가-퟿]+, \p{N}+
  DeepSeekLlm,
  DeepSeekCoder,  // [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}
};

struct PreTokenizerChoice {
  PreTokenizer type;
  bool ignore_merges = false;  // a word that is a whole token is taken as is (Llama 3)
  bool add_bos = false;        // llama.cpp's default for add_bos_token with this pre-tokenizer
  bool no_bos = false;         // this pre-tokenizer has no BOS token (glm4)
};

// llama.cpp's names in `tokenizer.ggml.pre` that select one of these, or nullopt.
std::optional<PreTokenizerChoice> pre_tokenizer_named(std::string_view name);
// Every name pre_tokenizer_named accepts, for error messages.
std::string supported_pre_tokenizers();

// The words of `text` under `type`, each byte-level encoded. Invalid UTF-8 bytes become U+FFFD
// first, as llama.cpp does.
std::vector<std::string> pre_tokenize(PreTokenizer type, std::string_view text);

// Codepoints of UTF-8 text, U+FFFD for each byte of an invalid sequence (llama.cpp's rule).
std::vector<uint32_t> utf8_codepoints(std::string_view text);
void append_utf8(std::string& out, uint32_t cpt);
// GPT-2's byte-level alphabet: the UTF-8 of the codepoint that stands for `byte`, and back
// (-1 for a codepoint outside the alphabet).
const std::string& byte_to_unicode(uint8_t byte);
int codepoint_to_byte(uint32_t cpt);

}  // namespace tl
