// Random TL programs for the formatter's property tests and benchmark: every construct of the
// grammar, with random spacing, line breaks inside brackets, blank lines, `function` and `:=`,
// and comments (line and block, own-line and trailing) wherever the language allows them.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace tl::format::testing {

class ProgramGenerator {
 public:
  explicit ProgramGenerator(uint32_t seed) : rng_(seed) {}

  // About `statements` top-level items.
  std::string program(int statements) {
    out_.clear();
    for (int i = 0; i < statements; ++i) {
      item();
      end_statement();
    }
    if (chance(30)) out_ += "// last words\n";
    return out_;
  }

 private:
  bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  // Whitespace (and maybe a comment) between two tokens; line breaks only inside brackets.
  void sep() {
    int r = pick(100);
    if (depth_ > 0 && r < 8) {
      out_ += chance(50) ? " // note\n" : "\n";
      indent();
    } else if (r < 12) {
      out_ += " /* b */ ";
    } else if (r < 20) {
      out_ += "   ";
    } else {
      out_ += ' ';
    }
  }
  void tok(const std::string& t) {
    if (!out_.empty() && out_.back() != '\n' && out_.back() != ' ') sep();
    out_ += t;
  }
  void indent() { out_.append(static_cast<size_t>(pick(9)), ' '); }
  void end_statement() {
    int r = pick(100);
    if (r < 10) {
      out_ += "; ";
      return;
    }
    if (r < 25) out_ += "  // trailing comment";
    if (r < 30) out_ += " /* trailing block */";
    out_ += '\n';
    if (chance(15)) out_ += "\n\n";
    if (chance(10)) out_ += "    // own-line comment\n";
    if (chance(5)) out_ += "/* own-line\n   block */\n";
    indent();
  }

  std::string name() {
    static const char* names[] = {"x",     "y",       "model",         "W",     "b",
                                  "input", "weights", "a_long_name_1", "value", "t"};
    return names[pick(10)];
  }

  void item() {
    int r = pick(100);
    if (r < 12 && fn_depth_ == 0 && block_depth_ == 0)
      fn_decl();
    else if (r < 18 && block_depth_ == 0)
      tensor_decl();
    else if (r < 20 && block_depth_ == 0)
      tok("import \"lib/other.tl\"");
    else if (r < 23 && block_depth_ == 0 && !main_) {
      main_ = true;
      tok("main");
      block();
    } else {
      statement();
    }
  }

  void type() {
    if (chance(30)) {
      static const char* named[] = {"int", "float", "bool", "string", "Model"};
      tok(named[pick(5)]);
      return;
    }
    static const char* elems[] = {"float16", "float16", "float32", "bfloat16"};
    tok(std::string(elems[pick(4)]) + "[");  // no line break between a type's name and '['

    int n = pick(4);
    for (int i = 0; i < n; ++i) {
      if (i) tok(",");
      static const char* dims[] = {"N", "D_in", "4", "?", "128"};
      tok(dims[pick(5)]);
    }
    tok("]");
  }

  void fn_decl() {
    tok(chance(50) ? "fn" : "function");
    std::string fname = "f";
    fname += std::to_string(pick(100));
    tok(fname);
    tok("(");
    ++depth_;
    int n = pick(5);
    for (int i = 0; i < n; ++i) {
      if (i) tok(",");
      tok(name() + std::to_string(i));
      if (chance(70)) {
        tok(":");
        type();
      }
    }
    if (n && chance(20)) tok(",");
    --depth_;
    tok(")");
    if (chance(60)) {
      tok("->");
      type();
    }
    ++fn_depth_;
    block();
    --fn_depth_;
  }

  void tensor_decl() {
    tok("tensor");
    tok(name());
    tok(":");
    type();
    if (chance(30)) tok(chance(50) ? "learnable" : "frozen");
    if (chance(70)) {
      tok("=");
      expr(3);
    }
  }

  void block() {
    tok("{");
    ++block_depth_;
    int saved = depth_;
    depth_ = 0;  // newlines end statements again inside a block
    int n = pick(4);
    if (n || chance(50)) out_ += '\n';
    for (int i = 0; i < n; ++i) {
      indent();
      item();
      end_statement();
    }
    depth_ = saved;
    --block_depth_;
    tok("}");
  }

  void statement() {
    int r = pick(100);
    if (r < 20) {
      tok("let");
      tok(name());
      if (chance(30)) {
        tok(":");
        type();
      }
      tok("=");
      expr(4);
    } else if (r < 30) {
      tok(name());
      tok(":=");
      expr(4);
    } else if (r < 45) {
      postfix_target();
      tok("=");
      expr(4);
    } else if (r < 60) {
      call(3);
    } else if (r < 68 && block_depth_ < 4) {
      tok("if");
      expr(2);
      block();
      while (chance(30)) {
        tok("else");
        if (chance(50)) {
          tok("if");
          expr(2);
          block();
        } else {
          block();
          break;
        }
      }
    } else if (r < 74 && block_depth_ < 4) {
      tok("while");
      expr(2);
      block();
    } else if (r < 80 && block_depth_ < 4) {
      tok("for");
      tok("i");
      tok("in");
      call(2);
      block();
    } else if (r < 84 && block_depth_ > 0) {
      tok(chance(50) ? "break" : "continue");
    } else if (r < 90 && fn_depth_ > 0) {
      tok("return");
      if (chance(70)) expr(3);
    } else {
      call(4);  // an expression statement (never one starting with '{': that is a block)
    }
  }

  void postfix_target() {
    tok(name());
    if (chance(30)) {
      tok(".");
      tok("weight");
    } else if (chance(30)) {
      tok("[");
      ++depth_;
      expr(1);
      --depth_;
      tok("]");
    }
  }

  void call(int d) {
    static const char* fns[] = {"print", "forward", "load_model", "relu", "softmax", "linear"};
    if (chance(25)) {
      tok(name());
      tok(".");
      tok("get_tensor");
    } else {
      tok(fns[pick(6)]);
    }
    args(d, false);
  }

  void args(int d, bool tensor) {
    tok("(");
    ++depth_;
    int n = tensor ? 1 : pick(5);
    for (int i = 0; i < n; ++i) {
      if (i) tok(",");
      if (tensor && i == 0)
        list(d, 2);
      else
        expr(d - 1);
    }
    if (tensor || chance(20)) {
      if (n) tok(",");
      tok("device");
      tok(":");
      tok(chance(50) ? "gpu" : "cpu");
    } else if (n && chance(10)) {
      tok(",");
    }
    --depth_;
    tok(")");
  }

  // A nested list of rank `rank` (a matrix for rank 2).
  void list(int d, int rank) {
    tok("[");
    ++depth_;
    int n = 1 + pick(4);
    int cols = 1 + pick(4);
    for (int i = 0; i < n; ++i) {
      if (i) tok(",");
      if (rank > 1) {
        if (chance(50)) out_ += '\n';
        list(d, rank - 1);
      } else {
        (void)cols;
        number();
      }
    }
    if (chance(20)) tok(",");
    --depth_;
    tok("]");
  }

  void number() {
    static const char* nums[] = {"1.0", "-2.5", "10.0", "0.01", "3", "-12", "1e-3", "123.456"};
    tok(nums[pick(8)]);
  }

  void expr(int d) {
    if (d <= 0) {
      primary(0);
      return;
    }
    int r = pick(100);
    if (r < 30) {
      static const char* ops[] = {
          "+", "-", "*", "/", "%", "@", "**", "==", "!=", "<", "<=", ">", ">=", "&&", "||"};
      expr(d - 1);
      tok(ops[pick(15)]);
      expr(d - 1);
    } else if (r < 38) {
      tok(chance(50) ? "-" : "!");
      expr(d - 1);
    } else {
      primary(d);
    }
  }

  void primary(int d) {
    int r = pick(100);
    if (r < 20 || d <= 0) {
      int k = pick(5);
      if (k == 0) {
        number();
      } else if (k == 1) {
        tok(chance(50) ? "\"text\"" : "\"ünï \\\"q\\\" 日本\"");
      } else if (k == 2) {
        tok(chance(50) ? "true" : "false");
      } else {
        tok(name());
      }
    } else if (r < 35) {
      call(d);
    } else if (r < 45) {
      tok(name());
      tok("[");
      ++depth_;
      int n = 1 + pick(3);
      for (int i = 0; i < n; ++i) {
        if (i) tok(",");
        int s = pick(5);
        if (s == 0) {
          expr(d - 1);
        } else {
          if (chance(50)) expr(0);
          tok(":");
          if (chance(50)) expr(0);
          if (s > 2) {
            tok(":");
            if (chance(50)) expr(0);
          }
        }
      }
      --depth_;
      tok("]");
    } else if (r < 55) {
      tok(name());
      tok(".");
      tok(chance(50) ? "shape" : "blk");
    } else if (r < 65) {
      list(d, 1 + pick(3));
    } else if (r < 72) {
      tok("{");
      ++depth_;
      int n = pick(3);
      for (int i = 0; i < n; ++i) {
        if (i) tok(",");
        std::string key = "\"k";
        key += std::to_string(i);
        key += "\"";
        tok(key);
        tok(":");
        expr(d - 1);
      }
      --depth_;
      tok("}");
    } else if (r < 80) {
      tok("tensor");
      tok("<");
      tok(chance(80) ? "float16" : "float32");
      tok(">");
      args(d, true);
    } else if (r < 90) {
      tok("(");
      ++depth_;
      expr(d - 1);
      --depth_;
      tok(")");
    } else {
      tok(name());
    }
  }

  std::mt19937 rng_;
  std::string out_;
  int depth_ = 0;  // open expression brackets (line breaks allowed)
  int block_depth_ = 0;
  int fn_depth_ = 0;
  bool main_ = false;
};

}  // namespace tl::format::testing
