// The tokenizer test corpus: hand-picked edge cases, then lines drawn by a
// seeded generator, so that every run (and every machine) tests the same
// bytes. Lines are separated by "\n"; a line may end in "\r" (CR LF text),
// hold lone CRs, NULs and other controls, and a few are deliberately not
// valid UTF-8.
//
//   node make-corpus.mjs OUT.txt        writes the corpus
//   import { makeCorpus } from "./make-corpus.mjs"   returns it as a Buffer

import fs from "node:fs";
import { fileURLToPath } from "node:url";

export const CORPUS_SEED = 20240418;
export const GENERATED_LINES = 10000;

/** mulberry32: a small PRNG with a 32-bit state, enough for test data. */
function makeRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (items) => items[Math.floor(next() * items.length)];
  return { next, int, pick };
}

const SPECIAL_TOKENS = [
  "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
  "<|eot_id|>", "<|reserved_special_token_0|>", "<|reserved_special_token_2|>",
  "<|reserved_special_token_25|>", "<|reserved_special_token_250|>",
];
// Near misses, which must stay ordinary text.
const NOT_SPECIAL = [
  "<|eot_id|", "<|EOT_ID|>", "<|eot_id |>", "|eot_id|>", "<|reserved_special_token_251|>",
  "<|begin_of_text>", "<||>", "<|",
];

const ENGLISH = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this " +
  "from or had by word but what some we can out other were all there when up use your how said " +
  "an each she which do their time if will way about many then them write would like so these " +
  "her long make thing see him two has look more day could go come did number sound no most " +
  "people my over know water than call first who may down side been now find any new work part " +
  "take get place made live where after back little only round man year came show every good " +
  "me give our under name very through just form sentence great think say help low line differ " +
  "turn cause much mean before move right boy old too same tell does set three want air well " +
  "also play small end put home read hand port large spell add even land here must big high " +
  "such follow act why ask men change went light kind off need house picture try us again " +
  "animal point mother world near build self earth father Tokenizer BitNet Llama ternary " +
  "quantization GPU CPU kernel matrix throughput latency benchmark Hugging Face OpenAI GPT-4"
).split(" ");
const CONTRACTION_WORDS = [
  "I", "you", "we", "they", "he", "she", "it", "that", "there", "who", "don", "can", "won", "John",
  "Mary",
];
const CONTRACTIONS = [
  "s", "t", "re", "ve", "m", "ll", "d", "S", "T", "RE", "VE", "M", "LL", "D", "Re", "rE", "Ll",
  "lL", "Ve", "vE",
];

const FOREIGN = {
  chinese: [
    "我们", "今天", "天气", "很好", "中华人民共和国", "机器学习", "人工智能", "的", "是", "在", "模型", "语言", "，", "。", "！",
    "？", "、", "《三体》", "“你好”",
  ],
  japanese: [
    "こんにちは", "世界", "東京", "カタカナ", "ひらがな", "の", "は", "を", "です", "ます", "。", "、", "「テスト」", "ｶﾀｶﾅ", "ー",
  ],
  korean: ["안녕하세요", "세계", "한국어", "토큰화", "모델", "입니다", "그리고", "서울"],
  russian: [
    "Привет", "мир", "Москва", "язык", "модели", "токенизация", "это", "очень", "хорошо", "ЁЖИК",
    "ёлка",
  ],
  ukrainian: ["Київ", "їжак", "ґанок", "Україна"],
  arabic: ["مرحبا", "بالعالم", "اللغة", "العربية", "نموذج", "الذكاء", "الاصطناعي", "٣٤٥", "،", "؟"],
  hindi: ["नमस्ते", "दुनिया", "भाषा", "मॉडल", "हिन्दी", "कृत्रिम", "बुद्धिमत्ता", "१२३", "।"],
  greek: ["Γειά", "σου", "κόσμε", "γλώσσα", "μοντέλο", "ΑΘΗΝΑ", "ς", "ά", "ΐ"],
  hebrew: ["שלום", "עולם", "שפה", "מודל", "ישראל", "״", "׳"],
  thai: ["สวัสดี", "ครับ", "ภาษาไทย", "โมเดล", "กรุงเทพ", "๑๒๓"],
  vietnamese: ["Tiếng", "Việt", "xin", "chào", "thế", "giới", "người", "Hà", "Nội", "Ðà"],
  german: ["Straße", "Größe", "Äpfel", "Übung", "ÖL", "schön", "Fußgängerübergänge"],
  french: ["élève", "garçon", "Noël", "à", "où", "L'été", "aujourd'hui", "c'est", "qu'il"],
  spanish: ["¿Qué", "tal?", "¡Hola!", "niño", "mañana", "corazón"],
  turkish: ["İstanbul", "ılık", "şeker", "ğ", "IĞDIR"],
  other: [
    "Ճաշ", "ქართული", "தமிழ்", "বাংলা", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "සිංහල", "ትግርኛ", "ᏣᎳᎩ",
    "ᐃᓄᒃᑎᑐᑦ", "Ꭰ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐁𝐨𝐥𝐝", "ﬁ", "Å", "Ω", "µ", "ſ",
  ],
};

const EMOJI = [
  "😀", "😂", "🤣", "❤️", "👍", "👍🏻", "👍🏽", "👍🏿", "👋🏾", "🙏", "🔥", "✨", "🎉", "💯",
  "👨‍👩‍👧‍👦", "👩‍💻", "👩🏾‍💻", "🧑‍🤝‍🧑", "🏳️‍🌈", "🏴‍☠️", "👁️‍🗨️", "❤️‍🔥", "🇺🇸", "🇯🇵", "🇩🇪", "🇺🇦",
  "1️⃣", "#️⃣", "©️", "™", "☕", "⌛", "🫠", "🦀", "🐍", "🍕", "🚀", "🌍",
];

const IDENTIFIERS = [
  "i", "j", "n", "x", "y", "count", "buffer", "tokenizer", "vocab_size", "maxTokens", "__init__",
  "self", "std::vector", "HTTPServer", "_private", "camelCaseName", "snake_case_name",
  "CONSTANT_VALUE", "ptr", "ids",
];
const CODE_TEMPLATES = [
  (r) => `for (int ${r.pick(IDENTIFIERS)} = 0; i < ${r.int(0, 100000)}; ++i) {`,
  (r) => `def ${r.pick(IDENTIFIERS)}(self, ${r.pick(IDENTIFIERS)}=None, *args, **kwargs):`,
  (r) => `    return ${r.pick(IDENTIFIERS)}[${r.int(-5, 5)}] + ${r.pick(IDENTIFIERS)}.${r.pick(IDENTIFIERS)}(${r.int(0, 999)})`,
  (r) => `const ${r.pick(IDENTIFIERS)} = await fetch(\`https://example.com/api/v${r.int(1, 3)}/items?id=${r.int(0, 1e6)}&sort=desc\`);`,
  (r) => `\tif (${r.pick(IDENTIFIERS)} != nullptr && ${r.pick(IDENTIFIERS)}->size() >= 0x${r.int(0, 0xffff).toString(16)}) return -1;`,
  (r) => `{"${r.pick(IDENTIFIERS)}": [${r.int(0, 9)}, ${r.int(10, 99)}.${r.int(0, 99)}, true, null], "s": "a\\"b\\\\c"}`,
  (r) => `<div class="${r.pick(IDENTIFIERS)}" id='x${r.int(0, 99)}'>&nbsp;&lt;tag&gt;</div>`,
  (r) => `SELECT ${r.pick(IDENTIFIERS)}, COUNT(*) FROM t WHERE a >= ${r.int(0, 500)} GROUP BY 1;`,
  (r) => `$ ./build/bin/tern-bench kernel out/q_proj --m ${r.int(1, 128)} --threads ${r.int(1, 8)} 2>&1 | tee log.txt`,
  (r) => `#include <${r.pick(["vector", "string", "cstdint", "memory"])}> // ${r.pick(ENGLISH)} ${r.pick(ENGLISH)}`,
  (r) => `    ${r.pick(IDENTIFIERS)} += ${r.pick(IDENTIFIERS)} ** 2 // ${r.int(1, 9)} % 7 ^ ~x << 3 >> 1 | y & z;`,
  (r) => `fn main() -> Result<(), Box<dyn Error>> { println!("{:?}", vec![${r.int(0, 9)}; ${r.int(1, 9)}]); Ok(()) }`,
  (r) => `        ${r.pick(["", "  ", "\t", "\t\t"])}${r.pick(IDENTIFIERS)}=$((${r.int(0, 99)}+1)); echo "\${${r.pick(IDENTIFIERS)}}"   `,
];

// Code point ranges assigned long before Unicode 14 (the Unicode version of
// Debian 12's PCRE2): the random lines stay clear of letters that newer
// Unicode versions added, which PCRE2 cannot know (see compare.mjs).
const SAFE_RANGES = [
  [0x20, 0x7e], [0xa1, 0xff], [0x100, 0x17f], [0x180, 0x24f], [0x391, 0x3a1], [0x3a3, 0x3c9],
  [0x400, 0x45f], [0x5d0, 0x5ea], [0x621, 0x64a], [0x660, 0x669], [0x905, 0x939], [0x93e, 0x94d],
  [0x966, 0x96f], [0xe01, 0xe3a], [0xe50, 0xe59], [0x1100, 0x1112], [0x2010, 0x2027],
  [0x2030, 0x205e], [0x2070, 0x2071], [0x2074, 0x208e], [0x20a0, 0x20bf], [0x2100, 0x214f],
  [0x2150, 0x2188], [0x2190, 0x21ff], [0x2200, 0x22ff], [0x2500, 0x257f], [0x3001, 0x303f],
  [0x3041, 0x3096], [0x30a1, 0x30fa], [0x4e00, 0x9fa5], [0xac00, 0xd7a3], [0xff01, 0xff5e],
  [0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x1d400, 0x1d4ff],
];

const WHITESPACE = [
  " ", " ", " ", "  ", "\t", "\r", "\u00a0", "\u3000", "\u2003", "\u0085", "\u2028", "\u2029",
  "\u000b", "\u000c", "\u200b", "\ufeff", "\u180e", "\u001c",
];
const PUNCTUATION = [
  ".", ",", "!", "?", "...", "…", "—", "–", "-", "\"", "'", "`", "(", ")", "[", "]", "{", "}", ":",
  ";", "/", "\\", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=", "<", ">", "|", "~", "«", "»",
  "„", "‘", "’", "“", "”", "•", "§", "¶", "†",
];

// Byte sequences that are not valid UTF-8: stray continuations, overlong
// forms, surrogates, code points above U+10FFFF, truncated sequences.
const INVALID = [
  [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0xff],
  [0xfe, 0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3], [0xe4, 0xb8], [0xf0, 0x9f],
];

function randomWordSequence(r, words, count, separator = " ") {
  const out = [];
  for (let i = 0; i < count; ++i) out.push(r.pick(words));
  return out.join(separator);
}

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const GENERATORS = [
  // English prose with punctuation, numbers and contractions.
  [30, (r) => {
    const sentences = [];
    for (let s = r.int(1, 3); s > 0; --s) {
      const words = [];
      for (let n = r.int(3, 18); n > 0; --n) {
        const roll = r.next();
        if (roll < 0.05) words.push(`${r.pick(CONTRACTION_WORDS)}'${r.pick(CONTRACTIONS)}`);
        else if (roll < 0.08) words.push(String(r.int(0, 10 ** r.int(1, 7))));
        else if (roll < 0.12) words.push(r.pick(ENGLISH).toUpperCase());
        else words.push(r.pick(ENGLISH));
      }
      const end = r.pick([".", ".", "!", "?", "...", ":", ";", ""]);
      sentences.push(capitalize(words.join(" ")) + end);
    }
    return sentences.join(r.pick([" ", "  ", " "]));
  }],
  // Other scripts, sometimes mixed with each other and with Latin text.
  [22, (r) => {
    const languages = Object.keys(FOREIGN);
    const parts = [];
    for (let n = r.int(1, 4); n > 0; --n) {
      const words = FOREIGN[r.pick(languages)];
      const cjk = words === FOREIGN.chinese || words === FOREIGN.japanese;
      parts.push(randomWordSequence(r, words, r.int(1, 8), cjk ? "" : " "));
    }
    return parts.join(r.pick([" ", ", ", " - ", "", " (", "\t"]));
  }],
  [12, (r) => CODE_TEMPLATES[r.int(0, CODE_TEMPLATES.length - 1)](r)],
  // Emoji among words: ZWJ sequences, skin tones, flags, keycaps.
  [7, (r) => {
    const parts = [];
    for (let n = r.int(1, 8); n > 0; --n)
      parts.push(r.next() < 0.5 ? r.pick(EMOJI).repeat(r.int(1, 3)) : r.pick(ENGLISH));
    return parts.join(r.pick([" ", "", " ", "  "]));
  }],
  // Numbers: digit runs of every length, decimals, dates, times, versions.
  [9, (r) => {
    const digits = (n) => Array.from({ length: n }, () => r.int(0, 9)).join("");
    const forms = [
      () => digits(r.int(1, 40)),
      () => `${digits(r.int(1, 6))}.${digits(r.int(1, 8))}`,
      () => `${r.int(1900, 2100)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}`,
      () => `${r.int(0, 23)}:${String(r.int(0, 59)).padStart(2, "0")}:${String(r.int(0, 59)).padStart(2, "0")}`,
      () => `${r.int(1, 31)}/${r.int(1, 12)}/${r.int(0, 99)}`,
      () => `v${r.int(0, 9)}.${r.int(0, 20)}.${r.int(0, 300)}-rc${r.int(1, 5)}`,
      () => `$${r.int(0, 999)},${digits(3)},${digits(3)}.${digits(2)}`,
      () => `${r.int(-100, 100)}% ${r.int(0, 9)}e-${r.int(1, 30)} 0x${r.int(0, 2 ** 31).toString(16).toUpperCase()}`,
      () => `${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}:${r.int(1, 65535)}`,
      () => `+${r.int(1, 99)} (${digits(3)}) ${digits(3)}-${digits(4)}`,
      () => r.pick(["١٢٣٤٥٦٧", "１２３４５６", "²³¹⁰", "½¼¾", "ⅫⅣ", "१२३४५", "๑๒๓๔"]) + digits(r.int(0, 5)),
    ];
    const parts = Array.from({ length: r.int(1, 5) }, () => r.pick(forms)());
    return parts.join(r.pick([" ", ", ", " and ", "\t", "  "]));
  }],
  // Whitespace and punctuation runs, between words and at the ends.
  [8, (r) => {
    let line = "";
    for (let n = r.int(1, 20); n > 0; --n) {
      const roll = r.next();
      if (roll < 0.35) line += r.pick(WHITESPACE).repeat(r.int(1, 6));
      else if (roll < 0.65) line += r.pick(PUNCTUATION).repeat(r.int(1, 4));
      else if (roll < 0.85) line += r.pick(ENGLISH);
      else line += String(r.int(0, 99999));
    }
    return line;
  }],
  // Apostrophe contractions in every case, in and out of words.
  [5, (r) => Array.from({ length: r.int(1, 6) }, () => {
    const word = r.pick([...CONTRACTION_WORDS, "", "x", "123", "😀"]);
    const apostrophe = r.pick(["'", "'", "’", "''"]);
    const suffix = r.pick([...CONTRACTIONS, "ſ", "ſt", "K", "sk"]);
    return `${word}${apostrophe}${suffix}${r.pick(["", "", "x", "s", " ", "."])}`;
  }).join(r.pick([" ", "", ", "]))],
  // Special tokens, and near misses, inside text.
  [4, (r) => {
    let line = "";
    for (let n = r.int(1, 6); n > 0; --n) {
      const roll = r.next();
      if (roll < 0.4) line += r.pick(SPECIAL_TOKENS);
      else if (roll < 0.55) line += r.pick(NOT_SPECIAL);
      else line += r.pick([" ", "", "user", "assistant", "\t", "Hello!", " world", "<", ">", "|"]);
    }
    return line;
  }],
  // Random code points from long-assigned ranges.
  [2, (r) => {
    let line = "";
    for (let n = r.int(1, 30); n > 0; --n) {
      const [lo, hi] = r.pick(SAFE_RANGES);
      line += String.fromCodePoint(r.int(lo, hi));
    }
    return line;
  }],
  // Long pre-tokens: BPE over hundreds of bytes.
  [0.5, (r) => r.pick(["a", "ab", "ha", " ", "!", "=", "0", "\t", "ä", "中", "😀", "ab1"])
    .repeat(r.int(50, 800))],
  // Bytes that are not UTF-8, among text (as bytes: returned as an array).
  [0.5, (r) => {
    const bytes = [];
    for (let n = r.int(1, 6); n > 0; --n) {
      if (r.next() < 0.5) bytes.push(...r.pick(INVALID));
      else bytes.push(...Buffer.from(r.pick([...ENGLISH, ...FOREIGN.chinese, " ", "é"])));
    }
    return Buffer.from(bytes);
  }],
];

const EDGE_CASES = [
  "", " ", "  ", "\t", " \t ", "word   ", "   leading", "trailing\t", "\r", "\r\r", " \r",
  "crlf line\r",
  "lone\rCR\rinside", "a \r b", "\u0085", "a\u0085b", "x \u180ey", "a\u00a0b", "a\u3000b",
  "a\u2028b", "a\u000bb",
  "a\u000cb", "a\u0000b", "\u0000", "\u001c\u001d", "\u200b", "\ufeffBOM at the start",
  "mid\ufeffdle",
  "Hello world", "Hello, world!", "hello world", "HELLO WORLD", " Hello", "  Hello", "\tHello",
  "I'm", "I'M", "you're", "YOU'RE", "we've", "We'Ve", "he'll", "HE'LL", "He'Ll", "she'd", "it's",
  "IT'S", "It'S", "don't", "DON'T", "'s", "'S'", "''s", "x'sy", "it'ſ", "'ſo", "'K", "O'Neil",
  "rock'n'roll", "it’s", "’s", "'", "''", "'''", "' s", "'re'", "'lls", "'LLs",
  "1", "12", "123", "1234", "12345", "123456", "1234567", "1234567890123", "3.14159",
  "1,000,000", "2024-01-15", "12:30:45", "+1 (555) 123-4567", "$1,234.56", "50%", "1e-10",
  "٣٤٥٦", "１２３４", "²³¹", "½ ¼", "Ⅻ", "10¹⁰", "a1b2c3", "x=1+2", "foo_bar", "__init__",
  "CamelCaseWord", "e\u0301", "é", "Tiếng Việt", "नमस्ते", "สวัสดีครับ", "가나다", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒g̡o",
  "Hello世界", "中文English混合", "👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸🇯🇵", "1️⃣", "❤️",
  "😀😃😄", "I love 🍕!", "<|begin_of_text|>", "<|eot_id|>", "x<|eot_id|>y", "<|eot_id|><|eot_id|>",
  "<|eot_id|", "<|EOT_ID|>", "<<|eot_id|>>", " <|start_header_id|>user<|end_header_id|> ",
  "<|reserved_special_token_250|>", "<|reserved_special_token_251|>", "a".repeat(3000),
  " ".repeat(2000), "0".repeat(1000), "!".repeat(777), "\t".repeat(100) + "x", "ab".repeat(1500),
  "https://example.com/path/to/resource?query=value&other=123#fragment",
  "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZA==",
];
const INVALID_EDGE_CASES = [
  [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
  [0x61, 0x62, 0x63, 0xe2, 0x82], [0xe2, 0x82, 0x61, 0x62, 0x63], [0x80, 0x80], [0xf0, 0x9f, 0x98],
  [0x3c, 0x7c, 0xff, 0x7c, 0x3e], [0x20, 0xc3, 0x20, 0xa9, 0x20],
];

/** The corpus as bytes: the edge cases, then GENERATED_LINES drawn lines. */
export function makeCorpus(seed = CORPUS_SEED, generatedLines = GENERATED_LINES) {
  const r = makeRandom(seed);
  const total = GENERATORS.reduce((sum, [weight]) => sum + weight, 0);
  const lines = [...EDGE_CASES, ...INVALID_EDGE_CASES].map((line) => Buffer.from(line));
  for (let i = 0; i < generatedLines; ++i) {
    let roll = r.next() * total;
    const [, generate] = GENERATORS.find(([weight]) => (roll -= weight) < 0) ?? GENERATORS[0];
    const line = generate(r);
    lines.push(Buffer.isBuffer(line) ? line : Buffer.from(line));
  }
  for (const line of lines)
    if (line.includes(0x0a)) throw new Error("a corpus line must not contain \\n");
  return Buffer.concat(lines.flatMap((line) => [line, Buffer.from("\n")]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.length !== 3) {
    console.error("usage: node make-corpus.mjs OUT.txt");
    process.exit(2);
  }
  fs.writeFileSync(process.argv[2], makeCorpus());
}
