// Writes tests/reference/text/gpt2_cases.json: texts and the ids tiktoken's "gpt2" encoding gives
// them (npm's tiktoken, its Rust core as wasm), for the tokenizer tests. Not needed to build or test:
//     mkdir -p /tmp/tk && (cd /tmp/tk && npm install tiktoken)
//     NODE_PATH=/tmp/tk/node_modules node scripts/make_tokenizer_reference.js
// Each case: {"name", "text" or "make", "ids" or "n_ids" + "fnv1a64"} (encoded with every special token allowed), plus "ordinary" (the
// ids of encode_ordinary) when they differ, or {"name", "text", "refused": byte offset} for a text
// whose special token the default encode refuses.
"use strict";
const fs = require("fs");
const tiktoken = require("tiktoken");
const enc = tiktoken.get_encoding("gpt2");
const path = require("path");
const version = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("tiktoken")), "package.json"))).version;

const ws = ["\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002",
  "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029",
  "\u202f", "\u205f", "\u3000"];
const cases = [
  // the book's and the lectures' strings
  ["book ch2", "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."],
  ["book unknown word", "Akwirw ier"],
  ["book ch4 prompt", "Hello, I am"],
  ["book ch5 prompt", "Every effort moves you"],
  ["verdict start", fs.readFileSync("data/gpt2/the-verdict.txt", "utf8").slice(0, 400)],
  // tiktoken's own tests
  ["hello world", "hello world"],
  ["hello eot", "hello <|endoftext|>"],
  ["repeated spaces", "a" + " ".repeat(30) + "b"],
  ["trailing spaces", "today\n \n"],
  ["today 2", "today\n  \n"],
  ["rer", "rer"], ["'rer", "'rer"], ["today", "today\n "],
  // contractions, cased and not
  ["contractions", "I'm you're they've we'll he'd it's don't O'Neil's 'sup"],
  ["contractions upper", "I'M YOU'RE THEY'VE WE'LL HE'D IT'S DON'T"],
  ["apostrophes", "'''s ''ll ' s 'x '9 '\u00e9 ’s"],
  // digits of many scripts, numbers
  ["digits", "0 12 345 6789 1000000 3.14159 -42 1e10 0x1F"],
  ["other digits", "\u0661\u0662\u0663 \u0967\u0968\u0969 \uff11\uff12\uff13 \u2160\u216b \u00b2\u00b3 \u00bd 𝟘𝟙𝟚"],
  // scripts
  ["cjk", "我非常喜欢机器学习。日本語のテキスト、カタカナ。한국어 텍스트"],
  ["arabic", "مرحبا بالعالم، هذا نص عربي."],
  ["hebrew", "שלום עולם"],
  ["devanagari", "नमस्ते दुनिया, यह हिंदी है।"],
  ["thai", "สวัสดีชาวโลก"],
  ["cyrillic greek", "Привет мир! Γειά σου Κόσμε!"],
  ["combining", "e\u0301 a\u0300\u0323 n\u0303o Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324"],
  ["emoji", "👍🏽 🇺🇸 👨‍👩‍👧‍👦 ❤️ 🤖🤖🤖 ✨"],
  ["symbols", "© ® ™ § ¶ † ‡ • … ‰ € £ ¥ ₹ → ⇒ ∀ ∃ ∑ √ ∞ ≠ ≤ ≥"],
  // white space of every kind, alone, doubled, between and before words
  ["white space", ws.map((c) => "a" + c + "b" + c + c + "c" + c).join("")],
  ["white space runs", ws.map((c) => c + c + c + "x").join("")],
  ["zero width", "a\u200bb\u200cc\u200dd\ufeffe\u180ef\u2060g"],
  ["crlf", "line one\r\nline two\r\n\r\n  indented\r\n"],
  ["tabs", "\tx\t\ty\t \tz \t"],
  ["only spaces", "     "], ["only newlines", "\n\n\n\n"], ["empty", ""],
  ["code python", "def f(x):\n    return x**2  # square\n\nclass A:\n\tpass\n"],
  ["code c", "int main(void) {\n  if (a && b || !c) { return a->b[i] << 2; }\n}\n"],
  ["urls", "https://example.com/a?b=c&d=e#f user@example.org"],
  ["punctuation runs", "!!! ??? ... --- *** ((( ))) \"quoted\" «guillemets» “curly”"],
  ["mixed", "x1y2 3z abc123def 12ab ab12 _under_score CamelCaseWord"],
  // special tokens
  ["eot only", "<|endoftext|>"],
  ["eot twice", "<|endoftext|><|endoftext|>a<|endoftext|>"],
  ["eot partial", "<|endoftext <|endoftext| <endoftext|>"],
  // long pieces (merging's worst cases)
];
// Long texts are stored as how to make them: {"repeat": s, "times": n}, or {"letters": n, "seed": s}.
const made = [];
for (const s of ["a", "^", "0", "'s", " ", "\n"]) made.push([`10000 × ${JSON.stringify(s)}`, s.repeat(10000), { repeat: s, times: 10000 }]);
// 100,000 pseudo-random letters: seed = (seed * 1103515245 + 12345) mod 2^31, letter 'a' + (seed >> 16) mod 26
let seed = 20240520n;
let letters = "";
for (let i = 0; i < 100000; i++) {
  seed = (seed * 1103515245n + 12345n) % 2147483648n;
  letters += String.fromCharCode(97 + Number((seed >> 16n) % 26n));
}
// the bundled corpora, whole
for (const file of ["data/gpt2/the-verdict.txt", "data/tinyshakespeare/input.txt"])
  made.push([file, fs.readFileSync(file, "utf8"), { file }]);
made.push(["100000 random letters", letters, { letters: 100000, seed: 20240520 }]);

function fnv1a64(ids) {
  let h = 0xcbf29ce484222325n;
  for (const id of ids)
    for (let k = 0; k < 4; k++) h = ((h ^ BigInt((id >>> (8 * k)) & 0xff)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}
const out = [];
for (const [name, text, make] of cases.concat(made)) {
  const ids = Array.from(enc.encode(text, "all"));
  const ordinary = Array.from(enc.encode_ordinary(text));
  const c = make ? { name, make } : { name, text };
  // a long list is stored as its length and FNV-1a 64 hash (over each id's 4 little-endian bytes)
  if (ids.length > 2000) Object.assign(c, { n_ids: ids.length, fnv1a64: fnv1a64(ids) });
  else c.ids = ids;
  if (ordinary.join() !== ids.join()) c.ordinary = ordinary;
  out.push(c);
  if (text.includes("<|endoftext|>")) {
    let threw = false;
    try { enc.encode(text); } catch (e) { threw = true; }
    if (!threw) throw new Error(`tiktoken took ${name} without allowing <|endoftext|>`);
    c.refused = Buffer.byteLength(text.slice(0, text.indexOf("<|endoftext|>")), "utf8");
  }
}
fs.writeFileSync("tests/reference/text/gpt2_cases.json", JSON.stringify(out) + "\n");
console.log(`tests/reference/text/gpt2_cases.json: ${out.length} cases (tiktoken ${version})`);
