#include "vm/model/pretokenizer.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tl {
namespace {

enum Class : uint8_t { Other = 0, Letter = 1, Number = 2, Mark = 3 };

struct ClassRange {
  uint32_t first;
  uint8_t cls;
};
constexpr ClassRange kClassRanges[] = {
#include "vm/model/unicode_classes.inc"
};

// Unicode's White_Space property (what \s matches in the expressions above).
bool is_whitespace(uint32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

Class class_of(uint32_t c) {
  if (c >= 0x110000) return Other;
  auto it = std::upper_bound(std::begin(kClassRanges), std::end(kClassRanges), c,
                             [](uint32_t v, const ClassRange& r) { return v < r.first; });
  return static_cast<Class>((it - 1)->cls);
}

// One codepoint's flags; `valid` is false past the end of the current chunk, where every test
// fails (llama.cpp's OUT_OF_RANGE).
struct Flags {
  bool valid = false, letter = false, number = false, space = false;
};

Flags flags_of(uint32_t c) {
  const Class k = class_of(c);
  return {true, k == Letter, k == Number, is_whitespace(c)};
}

uint32_t ascii_lower(uint32_t c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

// Word boundaries inside one chunk cpts[begin, end): `add(to)` ends the current word at `to`.
// Reads past the chunk see no codepoint and flags that fail every test (llama.cpp's OUT_OF_RANGE).
class Chunk {
 public:
  Chunk(const std::vector<uint32_t>& cpts, const std::vector<Flags>& flags, size_t begin,
        size_t end, std::vector<size_t>& out)
      : cpts_(cpts), flags_(flags), begin_(begin), end_(end), prev_(begin), out_(out) {}

  static constexpr uint32_t kNone = 0xFFFFFFFF;
  uint32_t cpt(size_t p) const { return p >= begin_ && p < end_ ? cpts_[p] : kNone; }
  Flags flags(size_t p) const { return p >= begin_ && p < end_ ? flags_[p] : Flags{}; }
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }
  size_t add(size_t to) {
    const size_t n = to - prev_;
    if (n > 0) out_.push_back(n);
    prev_ = to;
    return n;
  }

  // 's|'t|'re|'ve|'m|'ll|'d at p (ASCII case-insensitive or not): its length, or 0.
  size_t contraction(size_t p, bool any_case) const {
    if (cpt(p) != '\'' || p + 1 >= end_) return 0;
    auto at = [&](size_t q) { return any_case ? ascii_lower(cpt(q)) : cpt(q); };
    const uint32_t a = at(p + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (p + 2 >= end_) return 0;
    const uint32_t b = at(p + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
  }

  // `\s+(?!\S)|\s+` at p, the last alternatives; returns the new position.
  size_t whitespace(size_t p) {
    size_t n = 0;
    while (flags(p + n).space) ++n;
    if (n > 1 && cpt(p + n) != kNone)
      p += n - 1;  // leave one space to start the next word
    else if (n > 0)
      p += n;
    else
      ++p;  // no alternative matched: the codepoint is a word of its own
    add(p);
    return p;
  }

 private:
  const std::vector<uint32_t>& cpts_;
  const std::vector<Flags>& flags_;
  size_t begin_, end_, prev_;
  std::vector<size_t>& out_;
};

bool other(const Flags& f) {
  return f.valid && !f.space && !f.letter && !f.number;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(Chunk& s) {
  for (size_t pos = s.begin(); pos < s.end();) {
    if (size_t n = s.contraction(pos, false)) {
      pos += s.add(pos + n);
      continue;
    }
    const bool space = s.cpt(pos) == ' ';
    Flags f = space ? s.flags(pos + 1) : s.flags(pos);
    auto run = [&](bool (*in)(const Flags&)) {
      pos += space;
      while (in(f)) f = s.flags(++pos);
      s.add(pos);
    };
    if (f.letter)
      run([](const Flags& g) { return g.letter; });
    else if (f.number)
      run([](const Flags& g) { return g.number; });
    else if (other(f))
      run(other);
    else
      pos = s.whitespace(pos);
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(Chunk& s, size_t max_digits) {
  for (size_t pos = s.begin(); pos < s.end();) {
    if (size_t n = s.contraction(pos, true)) {
      pos += s.add(pos + n);
      continue;
    }
    const uint32_t c = s.cpt(pos);
    const Flags f = s.flags(pos);
    if (!(c == '\r' || c == '\n' || f.number) && (f.letter || s.flags(pos + 1).letter)) {
      ++pos;
      while (s.flags(pos).letter) ++pos;
      s.add(pos);
      continue;
    }
    if (f.number) {
      size_t first = pos;
      while (s.flags(pos).number) {
        if (++pos - first >= max_digits) {
          s.add(pos);
          first = pos;
        }
      }
      s.add(pos);
      continue;
    }
    Flags g = c == ' ' ? s.flags(pos + 1) : f;
    if (!(g.space || g.letter || g.number) && f.valid) {
      pos += c == ' ';
      while (other(g)) g = s.flags(++pos);
      while (s.cpt(pos) == '\r' || s.cpt(pos) == '\n') ++pos;
      s.add(pos);
      continue;
    }
    size_t n = 0, after_newline = 0;
    for (; s.flags(pos + n).space; ++n)
      if (s.cpt(pos + n) == '\r' || s.cpt(pos + n) == '\n') after_newline = pos + n + 1;
    if (after_newline > 0) {  // \s*[\r\n]+
      pos = after_newline;
      s.add(pos);
      continue;
    }
    pos = s.whitespace(pos);
  }
}

// Every \p{N} codepoint a chunk of its own, the runs between them chunks too.
std::vector<size_t> isolate_numbers(const std::vector<Flags>& flags) {
  std::vector<size_t> out;
  size_t run = 0;
  for (const Flags& f : flags) {
    if (!f.number) {
      ++run;
      continue;
    }
    if (run) out.push_back(run);
    run = 0;
    out.push_back(1);
  }
  if (run) out.push_back(run);
  return out;
}

const std::array<std::string, 256>& byte_alphabet() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      append_utf8(t[static_cast<size_t>(b)],
                  printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(next++));
    }
    return t;
  }();
  return table;
}

struct Name {
  std::string_view name;
  PreTokenizerChoice choice;
};
constexpr PreTokenizerChoice kLlama3{PreTokenizer::Llama3, true, true, false};
constexpr PreTokenizerChoice kGpt2{PreTokenizer::Gpt2, false, false, false};
constexpr PreTokenizerChoice kQwen2{PreTokenizer::Qwen2, false, false, false};
constexpr PreTokenizerChoice kStarCoder{PreTokenizer::StarCoder, false, false, false};
// llama.cpp's llama_vocab::impl::load: the names whose expressions are one of ours.
constexpr Name kNames[] = {
    {"llama3", kLlama3},
    {"llama-v3", kLlama3},
    {"llama-bpe", kLlama3},
    {"falcon3", kLlama3},
    {"falcon-h1", kLlama3},
    {"pixtral", kLlama3},
    {"midm-2.0", kLlama3},
    {"lfm2", kLlama3},
    {"jina-v5-nano", kLlama3},
    {"dbrx", {PreTokenizer::Llama3, false, false, false}},
    {"smaug-bpe", {PreTokenizer::Llama3, false, false, false}},
    {"glm4", {PreTokenizer::Llama3, false, false, true}},
    {"chatglm-bpe", {PreTokenizer::Llama3, false, false, true}},
    {"gpt-2", kGpt2},
    {"phi-2", kGpt2},
    {"jina-es", kGpt2},
    {"jina-de", kGpt2},
    {"gigachat", kGpt2},
    {"jina-v2-es", kGpt2},
    {"jina-v2-de", kGpt2},
    {"a.x-4.0", kGpt2},
    {"mellum", kGpt2},
    {"modern-bert", kGpt2},
    {"jina-v1-en", kGpt2},
    {"jina-v2-code", kGpt2},
    {"roberta-bpe", kGpt2},
    {"mpt", kGpt2},
    {"olmo", kGpt2},
    {"jais", kGpt2},
    {"trillion", kGpt2},
    {"granite-docling", kGpt2},
    {"qwen2", kQwen2},
    {"deepseek-r1-qwen", kQwen2},
    {"kormo", kQwen2},
    {"f2llmv2", kQwen2},
    {"stablelm2", kQwen2},
    {"hunyuan", kQwen2},
    {"solar-open", kQwen2},
    {"starcoder", kStarCoder},
    {"refact", kStarCoder},
    {"command-r", kStarCoder},
    {"smollm", kStarCoder},
    {"codeshell", kStarCoder},
    {"exaone", kStarCoder},
    {"minerva-7b", kStarCoder},
    {"mellum2", kStarCoder},
};

}  // namespace

std::optional<PreTokenizerChoice> pre_tokenizer_named(std::string_view name) {
  for (const Name& n : kNames)
    if (n.name == name) return n.choice;
  return std::nullopt;
}

std::string supported_pre_tokenizers() {
  std::string s;
  for (const Name& n : kNames) {
    if (!s.empty()) s += ", ";
    s += n.name;
  }
  return s;
}

std::vector<uint32_t> utf8_codepoints(std::string_view t) {
  std::vector<uint32_t> out;
  out.reserve(t.size());
  auto cont = [&](size_t i) { return i < t.size() && (static_cast<uint8_t>(t[i]) & 0xC0) == 0x80; };
  for (size_t i = 0; i < t.size();) {
    const uint8_t b = static_cast<uint8_t>(t[i]);
    auto at = [&](size_t k) {
      return static_cast<uint32_t>(static_cast<uint8_t>(t[i + k]) & 0x3F);
    };
    if (b < 0x80) {
      out.push_back(b);
      i += 1;
    } else if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
      out.push_back(((b & 0x1Fu) << 6) | at(1));
      i += 2;
    } else if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
      out.push_back(((b & 0x0Fu) << 12) | (at(1) << 6) | at(2));
      i += 3;
    } else if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      out.push_back(((b & 0x07u) << 18) | (at(1) << 12) | (at(2) << 6) | at(3));
      i += 4;
    } else {
      out.push_back(0xFFFD);
      i += 1;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | ((c >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

const std::string& byte_to_unicode(uint8_t byte) {
  return byte_alphabet()[byte];
}

int codepoint_to_byte(uint32_t cpt) {
  static const std::array<int16_t, 512> table = [] {
    std::array<int16_t, 512> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) {
      const std::vector<uint32_t> c = utf8_codepoints(byte_alphabet()[static_cast<size_t>(b)]);
      t[c[0]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return cpt < table.size() ? table[cpt] : -1;
}

std::vector<std::string> pre_tokenize(PreTokenizer type, std::string_view text) {
  const std::vector<uint32_t> cpts = utf8_codepoints(text);
  std::vector<Flags> flags(cpts.size());
  std::transform(cpts.begin(), cpts.end(), flags.begin(), flags_of);
  std::vector<size_t> chunks =
      type == PreTokenizer::StarCoder ? isolate_numbers(flags) : std::vector<size_t>{cpts.size()};
  std::vector<size_t> words;
  size_t begin = 0;
  for (size_t len : chunks) {
    Chunk c(cpts, flags, begin, begin + len, words);
    switch (type) {
      case PreTokenizer::Gpt2:
      case PreTokenizer::StarCoder:
        split_gpt2(c);
        break;
      case PreTokenizer::Llama3:
        split_llama3(c, 3);
        break;
      case PreTokenizer::Qwen2:
        split_llama3(c, 1);
        break;
    }
    begin += len;
  }
  std::vector<std::string> out;
  out.reserve(words.size());
  const auto& alphabet = byte_alphabet();
  std::string utf8;
  begin = 0;
  for (size_t len : words) {
    utf8.clear();
    for (size_t i = begin; i < begin + len; ++i) append_utf8(utf8, cpts[i]);
    std::string& w = out.emplace_back();
    for (char ch : utf8) w += alphabet[static_cast<uint8_t>(ch)];
    begin += len;
  }
  return out;
}

}  // namespace tl
