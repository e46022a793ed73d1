// Tokenizers against llama.cpp: every case of llama.cpp's own vocabulary test vectors
// (models/ggml-vocab-*.gguf.inp/.out, tokenized without BOS and without parsing special tokens,
// as its test-tokenizer-0 does), every tokenization recorded in the shared Llama fixtures, the
// special-token and BOS/EOS rules, and every kind of bad input.
#include "vm/model/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "tests/model/test_util.h"
#include "vm/core/error.h"
#include "vm/model/pretokenizer.h"

namespace tl {
namespace {

using test::fixture;
using test::read_json;
using test::read_text;

std::filesystem::path vocab(const std::string& name) {
  return std::filesystem::path(TL_VOCAB_BIN) / ("ggml-vocab-" + name + ".gguf");
}

const Tokenizer& tokenizer_of(const std::string& name) {
  static std::map<std::string, std::shared_ptr<Model>> models;  // one load per test program
  auto& m = models[name];
  if (!m) m = Model::open(vocab(name));
  return m->tokenizer();
}

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

// test-tokenizer-0's format: inputs separated by "\n__ggml_vocab_test__\n", one line of ids each.
std::vector<Case> read_cases(const std::string& name) {
  const std::string base = std::string(TL_VOCAB_SRC) + "/ggml-vocab-" + name + ".gguf";
  const std::string inp = read_text(base + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::istringstream out(read_text(base + ".out"));
  std::vector<Case> cases;
  std::string line;
  for (size_t i = 0; std::getline(out, line); ++i) {
    Case c;
    c.text = i < texts.size() ? texts[i] : "";
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size()) << name;
  return cases;
}

std::vector<int32_t> plain(const Tokenizer& t, std::string_view text) {
  return t.tokenize(text, {.add_bos = false, .add_eos = false, .parse_special = false});
}

class LlamaCppVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaCppVectors, EveryCaseMatches) {
  const Tokenizer& tok = tokenizer_of(GetParam());
  const std::vector<Case> cases = read_cases(GetParam());
  ASSERT_GE(cases.size(), 40u);
  for (const Case& c : cases) EXPECT_EQ(plain(tok, c.text), c.ids) << "text: '" << c.text << "'";
}

TEST_P(LlamaCppVectors, DetokenizeGivesTheTextBack) {
  // Byte-level BPE is lossless; SentencePiece adds the prefix space (and nothing else, for
  // these texts, since every character is in the vocabulary or byte fallback).
  const Tokenizer& tok = tokenizer_of(GetParam());
  for (const Case& c : read_cases(GetParam())) {
    const std::vector<int64_t> ids(c.ids.begin(), c.ids.end());
    const std::string back = tok.detokenize(ids);
    if (tok.kind() == Tokenizer::Kind::Bpe) {
      EXPECT_EQ(back, c.text);
    } else if (!c.text.empty()) {
      EXPECT_EQ(back, " " + c.text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, LlamaCppVectors,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "mpt", "llama-bpe",
                                           "qwen2", "starcoder", "refact", "command-r", "falcon",
                                           "deepseek-llm", "deepseek-coder"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Tokenizer, MetadataOfTheLlamaSpmVocabulary) {
  const Tokenizer& t = tokenizer_of("llama-spm");
  EXPECT_EQ(t.kind(), Tokenizer::Kind::Spm);
  EXPECT_EQ(t.size(), 32000u);
  EXPECT_EQ(t.bos(), 1);
  EXPECT_EQ(t.eos(), 2);
  EXPECT_TRUE(t.add_bos_default());
  EXPECT_FALSE(t.add_eos_default());
  const Tokenizer& b = tokenizer_of("llama-bpe");
  EXPECT_EQ(b.kind(), Tokenizer::Kind::Bpe);
  EXPECT_EQ(b.pre(), "llama-bpe");
  EXPECT_EQ(b.bos(), 128000);
}

// Every prompt of the shared fixtures, for both files: llama.cpp's tokenize() (no BOS), the
// evaluated prompt (BOS first) and its detokenize (which keeps the prefix space).
TEST(Tokenizer, SharedLlamaFixtures) {
  const nlohmann::json expected = read_json(fixture("llama/expected.json"));
  int checked = 0;
  for (const auto& [file, model] : expected.at("models").items()) {
    auto m = Model::open(fixture("llama/" + file));
    const Tokenizer& t = m->tokenizer();
    for (const auto& c : model.at("cases")) {
      const std::string prompt = c.at("prompt");
      const auto no_bos = t.tokenize(prompt, {.add_bos = false});
      EXPECT_EQ(no_bos, c.at("tokenize").get<std::vector<int32_t>>()) << prompt;
      const auto with_bos = t.tokenize(prompt, {.add_bos = t.add_bos_default()});
      EXPECT_EQ(with_bos, c.at("prompt_tokens").get<std::vector<int32_t>>()) << prompt;
      const std::vector<int64_t> ids(no_bos.begin(), no_bos.end());
      EXPECT_EQ(t.detokenize(ids), c.at("detokenize").get<std::string>()) << prompt;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 10);
}

TEST(Tokenizer, ControlTokenTextBecomesTheToken) {
  const Tokenizer& t = tokenizer_of("llama-spm");
  // As llama.cpp with parse_special: "<s>" is BOS, "</s>" EOS; the text after a special token
  // gets the prefix space again.
  const auto ids = t.tokenize("<s>Hello</s>", {.add_bos = false});
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 15043, 2}));
  EXPECT_EQ(t.tokenize("Hi<unk>", {.add_bos = false}).back(), 0);
  // Without parse_special the text is text.
  const auto text = plain(t, "<s>");
  EXPECT_EQ(std::count(text.begin(), text.end(), 1), 0);
  EXPECT_GT(text.size(), 1u);
  // Control tokens detokenize to nothing.
  const std::vector<int64_t> with_bos = {1, 15043, 2};
  EXPECT_EQ(t.detokenize(with_bos), " Hello");
}

TEST(Tokenizer, BosAndEosOptions) {
  const Tokenizer& t = tokenizer_of("llama-spm");
  const auto plain_ids = plain(t, "Hello world");
  auto with = t.tokenize("Hello world", {.add_bos = true, .add_eos = true});
  ASSERT_EQ(with.size(), plain_ids.size() + 2);
  EXPECT_EQ(with.front(), 1);
  EXPECT_EQ(with.back(), 2);
  EXPECT_EQ(t.tokenize("", {.add_bos = true}), std::vector<int32_t>{1});
  EXPECT_TRUE(t.tokenize("", {}).empty());
}

TEST(Tokenizer, ByteFallbackAndBytePieces) {
  const Tokenizer& t = tokenizer_of("llama-spm");
  // A character outside the vocabulary becomes its UTF-8 bytes; detokenize joins them again.
  const std::string text = "\xF0\x9F\xA6\x99";  // U+1F999
  const auto ids = plain(t, text);
  ASSERT_EQ(ids.size(), 5u);  // ▁ and four byte tokens
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(t.text(ids[i]).substr(0, 3), "<0x");
  const std::vector<int64_t> ids64(ids.begin(), ids.end());
  EXPECT_EQ(t.detokenize(ids64), " " + text);
  // Invalid UTF-8 must not crash either tokenizer or any pre-tokenizer, and byte-level BPE keeps
  // it as U+FFFD: bad lead bytes, lone and truncated continuations, a lead byte beyond U+10FFFF,
  // each next to the characters the pre-tokenizers treat apart (digits, punctuation, CJK,
  // newlines, trailing space).
  const std::string odd[] = {"a\xFF\xC3 b\x80", "\x80\x80 12\xE4\xB8", "\xF7\xBF\xBF\xBF 345!",
                             "\xE3\x80\x82\xBF\r\n\xC0 \xEC\x95", "x\xF0\x9F 1 \xE2\x80   "};
  for (const char* name : {"llama-spm", "llama-bpe", "gpt-2", "qwen2", "starcoder", "falcon",
                           "deepseek-llm", "deepseek-coder"}) {
    for (const std::string& s : odd) {
      const auto bad = plain(tokenizer_of(name), s);
      EXPECT_FALSE(bad.empty()) << name;
    }
  }
}

TEST(Tokenizer, IdOutOfRangeIsAnError) {
  const Tokenizer& t = tokenizer_of("llama-spm");
  for (int64_t id : {int64_t{-1}, int64_t{32000}, int64_t{1} << 40}) {
    try {
      (void)t.piece(id);
      FAIL() << id;
    } catch (const RuntimeError& e) {
      EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("32000"), std::string::npos) << e.what();
    }
  }
}

TEST(Tokenizer, FewKilobytesAreFast) {
  std::string text;
  while (text.size() < 8000)
    text += "The quick brown fox jumps over the lazy dog; 1234567 émigrés ran 日本語 away!\n";
  for (const char* name : {"llama-spm", "llama-bpe", "qwen2", "falcon", "deepseek-llm"}) {
    const Tokenizer& t = tokenizer_of(name);
    const auto start = std::chrono::steady_clock::now();
    const auto ids = plain(t, text);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GT(ids.size(), 1000u);
    EXPECT_LT(ms, 500.0) << name << " took " << ms << " ms for " << text.size() << " bytes";
  }
}

TEST(PreTokenizer, ByteLevelAlphabetRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const std::vector<uint32_t> c = utf8_codepoints(byte_to_unicode(static_cast<uint8_t>(b)));
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(codepoint_to_byte(c[0]), b);
  }
  EXPECT_EQ(byte_to_unicode(' '), "\xC4\xA0");  // Ġ
  EXPECT_EQ(codepoint_to_byte(0x4E00), -1);
}

TEST(PreTokenizer, Llama3Words) {
  auto words = pre_tokenize(PreTokenizer::Llama3, "Hello, y'all 12345\n\n  x");
  for (auto& w : words) {
    std::string raw;
    for (uint32_t c : utf8_codepoints(w)) raw += static_cast<char>(codepoint_to_byte(c));
    w = raw;
  }
  EXPECT_EQ(words, (std::vector<std::string>{"Hello", ",", " y", "'all", " ", "123", "45", "\n\n",
                                             " ", " x"}));
}

// Bad metadata: a header built in memory, one defect at a time.
ModelHeader header(std::vector<std::pair<std::string, nlohmann::json>> kv) {
  ModelHeader h;
  h.path = "mem.gguf";
  h.format = ModelFormat::Gguf;
  for (auto& [k, v] : kv)
    h.metadata.push_back({k, "", std::make_shared<const nlohmann::json>(std::move(v))});
  return h;
}

std::string error_of(const ModelHeader& h) {
  try {
    (void)Tokenizer::from_gguf(h);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, BadMetadataGetsClearErrors) {
  using nlohmann::json;
  const json tokens = json::array({"<unk>", "<s>", "</s>", "a", "b", "ab"});
  auto has = [](const std::string& err, const std::string& part) {
    return err.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(error_of(header({})), "no tokenizer metadata"));
  EXPECT_TRUE(
      has(error_of(header({{"tokenizer.ggml.model", "t5"}, {"tokenizer.ggml.tokens", tokens}})),
          "tokenizer model 't5' (Unigram) is not supported"));
  EXPECT_TRUE(has(
      error_of(header({{"tokenizer.ggml.model", "klingon"}, {"tokenizer.ggml.tokens", tokens}})),
      "unknown tokenizer model 'klingon' (tokenizer.ggml.model); supported: 'llama'"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", 3}})), "must be a string"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "llama"}})), "no vocabulary"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "llama"},
                                   {"tokenizer.ggml.tokens", json::array({"a", 3})}})),
                  "array of strings"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "llama"},
                                   {"tokenizer.ggml.tokens", tokens},
                                   {"tokenizer.ggml.scores", json::array({0.0, 1.0})}})),
                  "has 2 elements for 6 tokens"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "llama"},
                                   {"tokenizer.ggml.tokens", tokens},
                                   {"tokenizer.ggml.token_type", json::array({"x"})}})),
                  "array of integers"));
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "llama"},
                                   {"tokenizer.ggml.tokens", tokens},
                                   {"tokenizer.ggml.add_bos_token", 1}})),
                  "must be a bool"));
  const std::string unknown_pre = error_of(header({{"tokenizer.ggml.model", "gpt2"},
                                                   {"tokenizer.ggml.pre", "klingon"},
                                                   {"tokenizer.ggml.tokens", tokens}}));
  EXPECT_TRUE(has(unknown_pre,
                  "unknown pre-tokenizer 'klingon' (tokenizer.ggml.pre); supported: "
                  "llama3, llama-v3, "))
      << unknown_pre;
  EXPECT_TRUE(has(unknown_pre, ", falcon, deepseek-llm, deepseek-coder")) << unknown_pre;
  EXPECT_TRUE(has(error_of(header({{"tokenizer.ggml.model", "gpt2"},
                                   {"tokenizer.ggml.pre", "gpt-2"},
                                   {"tokenizer.ggml.tokens", tokens}})),
                  "without merges"));
  ModelHeader st = header({});
  st.format = ModelFormat::Safetensors;
  EXPECT_TRUE(has(error_of(st), "safetensors file has no tokenizer"));
  // The file's name leads every message.
  EXPECT_TRUE(error_of(header({})).starts_with("mem.gguf: "));
}

TEST(Tokenizer, OddButValidMetadataWorks) {
  using nlohmann::json;
  // Out-of-range special ids fall back to the defaults; unknown token types are undefined;
  // empty token texts get a placeholder; a byte without a token is a run-time error.
  ModelHeader h = header({{"tokenizer.ggml.model", "llama"},
                          {"tokenizer.ggml.tokens", json::array({"<unk>", "<s>", "</s>", "",
                                                                 "\xE2\x96\x81"
                                                                 "a",
                                                                 "a"})},
                          {"tokenizer.ggml.scores", json::array({0, 0, 0, 0, -1, -2})},
                          {"tokenizer.ggml.token_type", json::array({2, 3, 3, 99, 1, 1})},
                          {"tokenizer.ggml.bos_token_id", 1000},
                          {"tokenizer.ggml.eos_token_id", 2}});
  const Tokenizer t = Tokenizer::from_gguf(h);
  EXPECT_EQ(t.bos(), 1);
  EXPECT_EQ(t.text(3), "[EMPTY_3]");
  EXPECT_EQ(t.tokenize("a a", {.add_bos = true}), (std::vector<int32_t>{1, 4, 4}));
  EXPECT_THROW((void)t.tokenize("z", {}), RuntimeError);
}

TEST(Tokenizer, BuiltOncePerModel) {
  auto m = Model::open(vocab("qwen2"));
  const Tokenizer* first = &m->tokenizer();
  EXPECT_EQ(&m->tokenizer(), first);
  EXPECT_EQ(first->size(), 151936u);
}

TEST(Tokenizer, NotGgufOrNoTokenizerFromFiles) {
  auto gguf = Model::open(fixture("gguf/linear.gguf"));
  try {
    (void)gguf->tokenizer();
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer metadata"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tl
