#include "vm/model/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <queue>

#include "vm/core/error.h"
#include "vm/model/pretokenizer.h"

namespace tl {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// Reads `tokenizer.ggml.*` keys with the types llama.cpp requires; wrong types are errors that
// name the key.
class Meta {
 public:
  explicit Meta(const ModelHeader& h) : h_(h) {}

  [[noreturn]] void fail(const std::string& detail) const { throw ModelFileError(h_.path, detail); }

  const nlohmann::json* find(std::string_view key) const {
    const MetadataEntry* e = h_.find_metadata(key);
    return e && e->value ? e->value.get() : nullptr;
  }
  std::optional<std::string> string(std::string_view key) const {
    const nlohmann::json* j = find(key);
    if (!j) return std::nullopt;
    if (!j->is_string()) fail(fmt::format("metadata '{}' must be a string", key));
    return j->get<std::string>();
  }
  std::optional<bool> boolean(std::string_view key) const {
    const nlohmann::json* j = find(key);
    if (!j) return std::nullopt;
    if (!j->is_boolean()) fail(fmt::format("metadata '{}' must be a bool", key));
    return j->get<bool>();
  }
  std::optional<uint64_t> id(std::string_view key) const {
    const nlohmann::json* j = find(key);
    if (!j) return std::nullopt;
    if (!j->is_number_integer() || j->get<int64_t>() < 0)
      fail(fmt::format("metadata '{}' must be a non-negative integer", key));
    return j->get<uint64_t>();
  }
  // An array of `n` or more elements, each passing `ok`; nullptr when absent.
  const nlohmann::json* array(std::string_view key, size_t n, bool (*ok)(const nlohmann::json&),
                              const char* what) const {
    const nlohmann::json* j = find(key);
    if (!j) return nullptr;
    if (!j->is_array() || !std::all_of(j->begin(), j->end(), ok))
      fail(fmt::format("metadata '{}' must be an array of {}", key, what));
    if (j->size() < n)
      fail(fmt::format("metadata '{}' has {} elements for {} tokens", key, j->size(), n));
    return j;
  }

 private:
  const ModelHeader& h_;
};

bool is_string(const nlohmann::json& j) {
  return j.is_string();
}
bool is_number(const nlohmann::json& j) {
  return j.is_number();
}
bool is_integer(const nlohmann::json& j) {
  return j.is_number_integer();
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// Length of the UTF-8 sequence a byte starts, by its high nibble (llama.cpp's unicode_len_utf8:
// continuation bytes count as 1).
size_t utf8_len(char c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(c) >> 4];
}

// A linked list of symbols over a string, merged in place (llama.cpp's llm_symbol).
struct Symbol {
  int prev, next;
  size_t offset, n;
};

std::vector<Symbol> split_chars(std::string_view text) {
  std::vector<Symbol> out;
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_len(text[off]), text.size() - off);
    const int i = static_cast<int>(out.size());
    out.push_back({i - 1, off + n == text.size() ? -1 : i + 1, off, n});
    off += n;
  }
  return out;
}

// Merges `right` into `left` and unlinks it.
void merge(std::vector<Symbol>& sym, int left, int right) {
  Symbol& l = sym[static_cast<size_t>(left)];
  Symbol& r = sym[static_cast<size_t>(right)];
  l.n += r.n;
  r.n = 0;
  l.next = r.next;
  if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = left;
}

// Offers every adjacent pair to `try_pair` (which queues those that may merge), then merges the
// best queued pair while one is left. A queued pair is current when both symbols are alive,
// still neighbours and of the recorded total length (symbols only grow, to the right).
template <class Queue, class TryPair>
void merge_best_first(std::vector<Symbol>& sym, Queue& queue, TryPair try_pair) {
  for (int i = 1; i < static_cast<int>(sym.size()); ++i) try_pair(i - 1, i);
  while (!queue.empty()) {
    const auto b = queue.top();
    queue.pop();
    const Symbol& l = sym[static_cast<size_t>(b.left)];
    const Symbol& r = sym[static_cast<size_t>(b.right)];
    if (l.n == 0 || r.n == 0 || l.next != b.right || l.n + r.n != b.size) continue;
    merge(sym, b.left, b.right);
    try_pair(sym[static_cast<size_t>(b.left)].prev, b.left);
    try_pair(b.left, sym[static_cast<size_t>(b.left)].next);
  }
}

}  // namespace

Tokenizer Tokenizer::from_gguf(const ModelHeader& h) {
  Meta meta(h);
  if (h.format != ModelFormat::Gguf)
    meta.fail(
        fmt::format("a {} file has no tokenizer: tokenize and detokenize read the "
                    "tokenizer.ggml.* metadata of a GGUF file",
                    format_name(h.format)));
  Tokenizer t;
  t.path_ = h.path.string();
  const auto model = meta.string("tokenizer.ggml.model");
  if (!model) meta.fail("no tokenizer metadata (no 'tokenizer.ggml.model' key)");
  t.model_ = *model;
  if (t.model_ == "llama") {
    t.kind_ = Kind::Spm;
    t.bos_ = 1, t.eos_ = 2, t.unk_ = 0;
    t.add_bos_ = true;
    t.add_space_prefix_ = true;
  } else if (t.model_ == "gpt2") {
    t.kind_ = Kind::Bpe;
    t.bos_ = 11, t.eos_ = 11;
    t.pre_ = meta.string("tokenizer.ggml.pre").value_or("");
    const auto choice = pre_tokenizer_named(t.pre_);
    if (!choice)
      meta.fail(t.pre_.empty()
                    ? "BPE tokenizer without 'tokenizer.ggml.pre' (llama.cpp's 'default' "
                      "pre-tokenizer) is not supported"
                    : fmt::format("unknown pre-tokenizer '{}' (tokenizer.ggml.pre); supported: {}",
                                  t.pre_, supported_pre_tokenizers()));
    t.pre_type_ = static_cast<int>(choice->type);
    t.ignore_merges_ = choice->ignore_merges;
    t.add_bos_ = choice->add_bos;
    if (choice->no_bos) t.bos_.reset();
  } else if (t.model_ == "none" || t.model_ == "no_vocab") {
    meta.fail(fmt::format("the model has no vocabulary (tokenizer.ggml.model = '{}')", t.model_));
  } else {
    // llama.cpp's other tokenizers are named as such; anything else is unknown.
    static constexpr std::pair<std::string_view, std::string_view> kOthers[] = {
        {"bert", "WordPiece"},           {"t5", "Unigram"},         {"rwkv", "RWKV"},
        {"plamo2", "PLaMo-2"},           {"gemma4", "Gemma 4 BPE"}, {"hybriddna", "HybridDNA"},
        {"whitespace", "whitespace BPE"}};
    std::string what = fmt::format("unknown tokenizer model '{}'", t.model_);
    for (const auto& [name, kind] : kOthers)
      if (name == t.model_)
        what = fmt::format("tokenizer model '{}' ({}) is not supported", t.model_, kind);
    meta.fail(
        fmt::format("{} (tokenizer.ggml.model); supported: 'llama' (SentencePiece), "
                    "'gpt2' (byte-level BPE)",
                    what));
  }
  t.add_space_prefix_ =
      meta.boolean("tokenizer.ggml.add_space_prefix").value_or(t.add_space_prefix_);

  const nlohmann::json* tokens = meta.array("tokenizer.ggml.tokens", 0, is_string, "strings");
  if (!tokens || tokens->empty())
    meta.fail("no vocabulary ('tokenizer.ggml.tokens' is missing or empty)");
  if (tokens->size() > static_cast<size_t>(INT32_MAX))
    meta.fail("'tokenizer.ggml.tokens' is too long");
  const size_t n = tokens->size();
  const nlohmann::json* scores = meta.array("tokenizer.ggml.scores", n, is_number, "numbers");
  const nlohmann::json* types = meta.array("tokenizer.ggml.token_type", n, is_integer, "integers");
  t.tokens_.resize(n);
  t.ids_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Token& tok = t.tokens_[i];
    tok.text = (*tokens)[i].get<std::string>();
    if (tok.text.empty()) tok.text = fmt::format("[EMPTY_{}]", i);
    t.ids_[tok.text] = static_cast<int32_t>(i);
    if (scores) tok.score = (*scores)[i].get<float>();
    if (types) {
      const int64_t ty = (*types)[i].get<int64_t>();
      tok.type = ty >= 0 && ty <= 6 ? static_cast<TokenType>(ty) : TokenType::Undefined;
    }
  }

  if (t.kind_ == Kind::Bpe) {
    const nlohmann::json* merges = meta.array("tokenizer.ggml.merges", 0, is_string, "strings");
    if (!merges) meta.fail("BPE tokenizer without merges ('tokenizer.ggml.merges')");
    t.ranks_.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      const std::string& m = (*merges)[i].get_ref<const std::string&>();
      const size_t sp = m.find(' ', 1);
      std::pair<std::string, std::string> key;
      if (sp != std::string::npos) key = {m.substr(0, sp), m.substr(sp + 1)};
      t.ranks_.emplace(std::move(key), static_cast<int>(std::min<size_t>(i, INT32_MAX)));
    }
  }

  // Special ids: a default out of range is dropped; a file's id out of range keeps the default.
  auto special = [&](std::string_view key, std::optional<int32_t>& id) {
    if (id && static_cast<size_t>(*id) >= n) id.reset();
    if (auto v = meta.id(key); v && *v < n) id = static_cast<int32_t>(*v);
  };
  special("tokenizer.ggml.bos_token_id", t.bos_);
  special("tokenizer.ggml.eos_token_id", t.eos_);
  special("tokenizer.ggml.unknown_token_id", t.unk_);
  t.add_bos_ = meta.boolean("tokenizer.ggml.add_bos_token").value_or(t.add_bos_);
  t.add_eos_ = meta.boolean("tokenizer.ggml.add_eos_token").value_or(false);

  for (size_t i = 0; i < n; ++i) {
    const TokenType ty = t.tokens_[i].type;
    if (ty == TokenType::Control || ty == TokenType::UserDefined || ty == TokenType::Unknown)
      t.special_.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(t.special_.begin(), t.special_.end(), [&](int32_t a, int32_t b) {
    return t.tokens_[static_cast<size_t>(a)].text.size() >
           t.tokens_[static_cast<size_t>(b)].text.size();
  });
  // Phi-3's special tokens swallow the whitespace after them (llama.cpp keys this on the name).
  const std::string name = to_lower(meta.string("general.name").value_or(""));
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : t.special_) t.tokens_[static_cast<size_t>(id)].rstrip = true;
    for (std::string_view s : {"</s>"})
      if (auto id = t.find(s)) t.tokens_[static_cast<size_t>(*id)].rstrip = true;
    for (std::string_view s : {"<unk>", "<s>", "<|endoftext|>"})
      if (auto id = t.find(s)) t.tokens_[static_cast<size_t>(*id)].rstrip = false;
  }
  return t;
}

std::optional<int32_t> Tokenizer::find(std::string_view text) const {
  auto it = ids_.find(text);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::vector<Tokenizer::Fragment> Tokenizer::split_special(std::string_view text,
                                                          bool parse_special) const {
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  auto is_space = [&](size_t i) { return std::isspace(static_cast<unsigned char>(text[i])) != 0; };
  for (int32_t id : special_) {
    const Token& tok = tokens_[static_cast<size_t>(id)];
    if (!parse_special && tok.type != TokenType::UserDefined) continue;
    std::vector<Fragment> next;
    next.reserve(frags.size());
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t off = f.offset, len = f.length;
      while (len > 0) {
        const size_t hit = text.substr(0, off + len).find(tok.text, off);
        if (hit == std::string_view::npos) break;
        size_t left = hit - off;
        if (tok.lstrip)
          while (left > 0 && is_space(off + left - 1)) --left;
        if (left > 0) next.push_back({-1, off, left});
        next.push_back({id, hit, tok.text.size()});
        size_t r_off = hit + tok.text.size(), r_len = off + len - r_off;
        if (tok.rstrip)
          while (r_len > 0 && is_space(r_off)) ++r_off, --r_len;
        off = r_off, len = r_len;
      }
      if (len > 0) next.push_back({-1, off, len});
    }
    frags = std::move(next);
  }
  return frags;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text,
                                         const TokenizeOptions& options) const {
  std::vector<int32_t> out;
  if (options.add_bos) {
    if (!bos_) throw RuntimeError(fmt::format("tokenize: {} has no BOS token", path_));
    out.push_back(*bos_);
  }
  bool prev_special = true;  // SentencePiece: the text starts with a space
  for (const Fragment& f : split_special(text, options.parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    std::string_view piece = text.substr(f.offset, f.length);
    if (kind_ == Kind::Spm) {
      std::string s;
      if (add_space_prefix_ && prev_special) s = " ";
      s += piece;
      replace_all(s, " ", kSpace);
      tokenize_spm(s, out);
    } else {
      tokenize_bpe(piece, out);
    }
    prev_special = false;
  }
  if (options.add_eos) {
    if (!eos_) throw RuntimeError(fmt::format("tokenize: {} has no EOS token", path_));
    out.push_back(*eos_);
  }
  return out;
}

int32_t Tokenizer::byte_token(uint8_t byte) const {
  if (auto id = find(fmt::format("<0x{:02X}>", byte))) return *id;
  if (auto id = find(std::string(1, static_cast<char>(byte)))) return *id;
  throw RuntimeError(
      fmt::format("tokenize: byte 0x{:02X} has no token (<0x{:02X}>) in the vocabulary of {}", byte,
                  byte, path_));
}

// SentencePiece BPE (llm_tokenizer_spm_session): start from UTF-8 characters, repeatedly merge
// the adjacent pair whose concatenation is the vocabulary token of highest score (leftmost on a
// tie); a final symbol that is no token falls back to its bytes.
void Tokenizer::tokenize_spm(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<Symbol> sym = split_chars(text);
  struct Bigram {
    int left, right;
    float score;
    size_t size;
  };
  auto lower = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(lower)> queue(lower);
  // Which pair made a text, to undo a merge whose result turned out to be no token.
  std::unordered_map<std::string_view, std::pair<int, int>> made;
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = sym[static_cast<size_t>(left)];
    const std::string_view joined = text.substr(l.offset, l.n + sym[static_cast<size_t>(right)].n);
    const auto id = find(joined);
    if (!id) return;
    queue.push({left, right, tokens_[static_cast<size_t>(*id)].score, joined.size()});
    made[joined] = {left, right};
  };
  merge_best_first(sym, queue, try_pair);
  // Emits a symbol's token, or the symbols it was merged from, or its bytes.
  auto emit = [&](auto& self, const Symbol& s, int depth) -> void {
    const std::string_view piece = text.substr(s.offset, s.n);
    if (auto id = find(piece)) {
      out.push_back(*id);
      return;
    }
    auto it = made.find(piece);
    if (it == made.end() || depth > 64) {
      for (char c : piece) out.push_back(byte_token(static_cast<uint8_t>(c)));
      return;
    }
    self(self, sym[static_cast<size_t>(it->second.first)], depth + 1);
    self(self, sym[static_cast<size_t>(it->second.second)], depth + 1);
  };
  if (sym.empty()) return;
  for (int i = 0; i != -1; i = sym[static_cast<size_t>(i)].next)
    emit(emit, sym[static_cast<size_t>(i)], 0);
}

int Tokenizer::rank(std::string_view left, std::string_view right) const {
  auto it = ranks_.find(PairView(left, right));
  return it == ranks_.end() ? -1 : it->second;
}

void Tokenizer::tokenize_bpe(std::string_view text, std::vector<int32_t>& out) const {
  for (const std::string& word : pre_tokenize(static_cast<PreTokenizer>(pre_type_), text))
    bpe_word(word, out);
}

// Byte-level BPE on one pre-tokenized word (llm_tokenizer_bpe_session): merge the adjacent pair
// of lowest merge rank (leftmost on a tie) until no pair has a rank.
void Tokenizer::bpe_word(std::string_view word, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    if (auto id = find(word)) {
      out.push_back(*id);
      return;
    }
  }
  std::vector<Symbol> sym = split_chars(word);
  struct Bigram {
    int left, right, rank;
    size_t size;
  };
  auto later = [](const Bigram& a, const Bigram& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(later)> queue(later);
  auto text_of = [&](int i) {
    const Symbol& s = sym[static_cast<size_t>(i)];
    return word.substr(s.offset, s.n);
  };
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const int r = rank(text_of(left), text_of(right));
    if (r < 0) return;
    queue.push({left, right, r, text_of(left).size() + text_of(right).size()});
  };
  merge_best_first(sym, queue, try_pair);
  if (sym.empty()) return;
  for (int i = 0; i != -1; i = sym[static_cast<size_t>(i)].next) {
    const std::string_view piece = text_of(i);
    if (auto id = find(piece)) {
      out.push_back(*id);
      continue;
    }
    for (char c : piece)  // llama.cpp drops bytes that have no token
      if (auto id = find(std::string_view(&c, 1))) out.push_back(*id);
  }
}

std::string Tokenizer::piece(int64_t id) const {
  if (id < 0 || static_cast<uint64_t>(id) >= tokens_.size())
    throw RuntimeError(fmt::format("token id {} out of range: the vocabulary has {} tokens (0..{})",
                                   id, tokens_.size(), tokens_.size() - 1));
  const Token& t = tokens_[static_cast<size_t>(id)];
  switch (t.type) {
    case TokenType::UserDefined:
      return t.text;
    case TokenType::Normal: {
      if (kind_ == Kind::Spm) {
        std::string s = t.text;
        replace_all(s, kSpace, " ");
        return s;
      }
      std::string s;
      for (uint32_t c : utf8_codepoints(t.text)) {
        const int b = codepoint_to_byte(c);
        if (b >= 0)
          s += static_cast<char>(b);
        else
          append_utf8(s, c);  // not byte-level text: kept as is
      }
      return s;
    }
    case TokenType::Byte: {
      // "<0xXX>" (llama.cpp reads the two hex digits at offset 3).
      if (t.text.size() >= 5) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(t.text.data() + 3, t.text.data() + 5, v, 16);
        if (ec == std::errc() && p == t.text.data() + 5)
          return std::string(1, static_cast<char>(v));
      }
      return "";
    }
    default:  // control, unknown, unused, undefined: no text
      return "";
  }
}

std::string Tokenizer::detokenize(std::span<const int64_t> ids) const {
  std::string out;
  for (int64_t id : ids) out += piece(id);
  return out;
}

}  // namespace tl

namespace tl {

const Tokenizer& Model::tokenizer() const {
  std::lock_guard<std::mutex> lock(tokenizer_mutex_);
  if (!tokenizer_) tokenizer_ = std::make_shared<const Tokenizer>(Tokenizer::from_gguf(header_));
  return *tokenizer_;
}

}  // namespace tl
