#include "core/io/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "kernels/error.h"

namespace latent {
namespace {

const char* TypeName(Json::Type type) {
  static constexpr const char* kNames[] = {"null", "bool", "number", "string", "array", "object"};
  return kNames[static_cast<int>(type)];
}

// The two-character escapes: the letter after '\' in JSON text, and the character it stands for.
constexpr char kEscapeLetters[] = "\"\\/bfnrt";
constexpr char kEscapedChars[] = "\"\\/\b\f\n\r\t";

void AppendUtf8(uint32_t code, std::string& out) {
  // 1 to 4 bytes: a lead byte that marks the length, then 6 payload bits per continuation byte.
  static constexpr unsigned char kLead[] = {0x00, 0xc0, 0xe0, 0xf0};
  const int tail = code < 0x80 ? 0 : code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
  out += static_cast<char>(kLead[tail] | (code >> (6 * tail)));
  for (int i = tail - 1; i >= 0; --i) out += static_cast<char>(0x80 | ((code >> (6 * i)) & 0x3f));
}

void AppendQuoted(const std::string& s, std::string& out) {
  out += '"';
  for (const char c : s) {
    // '/' may stay as it is; '\0' would match strchr's terminator.
    const char* p = (c == '/' || c == '\0') ? nullptr : std::strchr(kEscapedChars, c);
    if (p != nullptr) {
      out += '\\';
      out += kEscapeLetters[p - kEscapedChars];
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned>(c));
      out += buffer;
    } else {
      out += c;  // UTF-8 bytes pass through unchanged
    }
  }
  out += '"';
}

// Recursive descent over the RFC 8259 grammar; pos_ is the next unread byte.
class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Json ParseDocument() {
    Json value = ParseValue(0);
    SkipSpace();
    if (pos_ < text_.size()) Fail("end of input after the top-level value");
    return value;
  }

 private:
  // Deep enough for any real document, shallow enough that recursion cannot overflow the stack.
  static constexpr int kMaxDepth = 256;

  [[noreturn]] void Fail(const std::string& expected) const {
    int line = 1;
    int column = 1;
    for (size_t i = 0; i < pos_; ++i) {
      column = text_[i] == '\n' ? 1 : column + 1;
      line += text_[i] == '\n';
    }
    char found[32] = "end of input";
    const unsigned char c = Peek();
    if (pos_ < text_.size()) {
      std::snprintf(found, sizeof(found), c >= 0x20 && c < 0x7f ? "'%c'" : "byte 0x%02x", c);
    }
    LATENT_FAIL("JSON parse error at line ", line, ", column ", column, " (offset ", pos_,
                "): expected ", expected, ", found ", found);
  }

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool Consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void Expect(char c, const char* expected) {
    if (!Consume(c)) Fail(expected);
  }

  void SkipSpace() {
    while (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r') ++pos_;
  }

  Json ParseValue(int depth) {
    if (depth > kMaxDepth) Fail("at most 256 levels of nesting");
    SkipSpace();
    const char c = Peek();
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') return ParseString();
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    for (const char* word : {"true", "false", "null"}) {
      const size_t length = std::strlen(word);
      if (text_.compare(pos_, length, word) != 0) continue;
      pos_ += length;
      return word[0] == 'n' ? Json() : Json(word[0] == 't');
    }
    Fail("a value");
  }

  Json ParseObject(int depth) {
    ++pos_;  // '{'
    Json object = Json::MakeObject();
    SkipSpace();
    if (Consume('}')) return object;
    for (;;) {
      SkipSpace();
      const size_t key_pos = pos_;
      if (Peek() != '"') Fail("a string key");
      const std::string key = ParseString();
      if (object.Contains(key)) {
        pos_ = key_pos;
        Fail("a unique key (\"" + key + "\" appears twice in this object)");
      }
      SkipSpace();
      Expect(':', "':' after an object key");
      object.Set(key, ParseValue(depth + 1));
      SkipSpace();
      if (Consume('}')) return object;
      Expect(',', "',' or '}' in an object");
    }
  }

  Json ParseArray(int depth) {
    ++pos_;  // '['
    Json array{Json::Array{}};
    SkipSpace();
    if (Consume(']')) return array;
    for (;;) {
      array.Push(ParseValue(depth + 1));
      SkipSpace();
      if (Consume(']')) return array;
      Expect(',', "',' or ']' in an array");
    }
  }

  std::string ParseString() {
    ++pos_;  // the opening '"'
    std::string out;
    while (!Consume('"')) {
      if (pos_ >= text_.size()) Fail("'\"' to close the string");
      const char c = text_[pos_];
      // RFC 8259 forbids raw control characters in strings; a newline must be written \n.
      if (static_cast<unsigned char>(c) < 0x20) Fail("an escape, not a raw control character");
      ++pos_;
      if (c == '\\') {
        ParseEscape(out);
      } else {
        out += c;  // UTF-8 bytes pass through unchanged
      }
    }
    return out;
  }

  // Called after a backslash.
  void ParseEscape(std::string& out) {
    const char* letter = Peek() == '\0' ? nullptr : std::strchr(kEscapeLetters, Peek());
    if (letter != nullptr) {
      ++pos_;
      out += kEscapedChars[letter - kEscapeLetters];
      return;
    }
    if (!Consume('u')) Fail("an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX");
    uint32_t code = ParseHex4();
    if (code >= 0xdc00 && code < 0xe000) {
      pos_ -= 4;
      Fail("a high surrogate (\\uD800-\\uDBFF) before a low one");
    }
    if (code >= 0xd800 && code < 0xdc00) {
      // A code point above U+FFFF arrives as a UTF-16 surrogate pair, e.g. \uD83D\uDE00.
      if (!Consume('\\') || !Consume('u')) Fail("\\u and a low surrogate to complete the pair");
      const uint32_t low = ParseHex4();
      if (low < 0xdc00 || low >= 0xe000) {
        pos_ -= 4;
        Fail("a low surrogate (\\uDC00-\\uDFFF)");
      }
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
    AppendUtf8(code, out);
  }

  uint32_t ParseHex4() {
    uint32_t code = 0;
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + std::min(pos_ + 4, text_.size());
    const auto [end, error] = std::from_chars(first, last, code, 16);
    if (error != std::errc() || end != first + 4) Fail("four hex digits after \\u");
    pos_ += 4;
    return code;
  }

  Json ParseNumber() {
    // Check the JSON grammar first: from_chars alone would accept "01", "1." and "inf".
    const size_t start = pos_;
    auto digits = [&] {
      const size_t first = pos_;
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ > first;
    };
    Consume('-');
    if (!Consume('0') && !digits()) Fail("a digit");
    if (Consume('.') && !digits()) Fail("a digit after the decimal point");
    if (Consume('e') || Consume('E')) {
      if (!Consume('+')) Consume('-');
      if (!digits()) Fail("a digit in the exponent");
    }
    double value = 0.0;
    const auto [end, error] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (error != std::errc() || end != text_.data() + pos_) {
      pos_ = start;
      Fail("a number within the range of a double");
    }
    return value;
  }

  const std::string& text_;
  size_t pos_ = 0;
};

}  // namespace

Json Json::MakeObject() {
  Json object;
  object.type_ = Type::kObject;
  return object;
}

Json Json::Parse(const std::string& text) { return Parser(text).ParseDocument(); }

std::string Json::Dump(int indent) const {
  std::string out;
  DumpTo(out, indent, 0);
  return out;
}

void Json::DumpTo(std::string& out, int indent, int depth) const {
  // Starts a new line at `level` before an element or a closing bracket, when pretty-printing.
  auto newline = [&](int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  };
  switch (type_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += bool_ ? "true" : "false"; break;
    case Type::kNumber: {
      // JSON has no NaN or infinity; null is what JavaScript's JSON.stringify writes for them.
      if (!std::isfinite(number_)) {
        out += "null";
        break;
      }
      // Shortest text that reads back to the same double; integers print without ".0".
      char buffer[32];
      out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), number_).ptr);
      break;
    }
    case Type::kString: AppendQuoted(string_, out); break;
    case Type::kArray:
    case Type::kObject: {
      const bool is_object = type_ == Type::kObject;
      const size_t size = is_object ? object_.size() : array_.size();
      out += is_object ? '{' : '[';
      for (size_t i = 0; i < size; ++i) {
        if (i > 0) out += ',';
        newline(depth + 1);
        if (is_object) {
          AppendQuoted(object_[i].first, out);
          out += indent < 0 ? ":" : ": ";
        }
        (is_object ? object_[i].second : array_[i]).DumpTo(out, indent, depth + 1);
      }
      if (size > 0) newline(depth);
      out += is_object ? '}' : ']';
      break;
    }
  }
}

const Json& Json::Expect(Type type) const {
  LATENT_CHECK(type_ == type, "expected a JSON ", TypeName(type), ", found a ", TypeName(type_));
  return *this;
}

bool Json::AsBool() const { return Expect(Type::kBool).bool_; }
double Json::AsNumber() const { return Expect(Type::kNumber).number_; }
const std::string& Json::AsString() const { return Expect(Type::kString).string_; }
const Json::Array& Json::AsArray() const { return Expect(Type::kArray).array_; }
const Json::Object& Json::AsObject() const { return Expect(Type::kObject).object_; }

int64_t Json::AsInt64() const {
  const double value = AsNumber();
  // -2^63 and 2^63 are exact doubles; a value must be integral and in [-2^63, 2^63).
  LATENT_CHECK(std::trunc(value) == value && value >= -0x1p63 && value < 0x1p63,
               "expected a JSON integer that fits in int64, found ", Dump());
  return static_cast<int64_t>(value);
}

const Json* Json::Find(const std::string& key) const {
  for (const auto& entry : AsObject()) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

bool Json::Contains(const std::string& key) const { return Find(key) != nullptr; }

const Json& Json::At(const std::string& key) const {
  if (const Json* value = Find(key)) return *value;
  std::string keys;
  for (const auto& entry : object_) keys += (keys.empty() ? "\"" : ", \"") + entry.first + "\"";
  LATENT_FAIL("expected key \"", key, "\" in a JSON object, found only keys: ",
              keys.empty() ? "(none)" : keys);
}

Json& Json::At(const std::string& key) { return const_cast<Json&>(std::as_const(*this).At(key)); }

void Json::Set(const std::string& key, Json value) {
  if (const Json* existing = Find(key)) {
    const_cast<Json&>(*existing) = std::move(value);
  } else {
    object_.emplace_back(key, std::move(value));
  }
}

void Json::Push(Json value) {
  Expect(Type::kArray);
  array_.push_back(std::move(value));
}

}  // namespace latent
