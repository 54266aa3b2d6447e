// Encodes each stdin line (a JSON string) with llama-tokenizer-js (Llama 2) or llama3-tokenizer-js (Llama 3),
// printing the ids (with BOS, without EOS) space-separated, one line per input.
// Usage: node llama-encode.mjs llama2|llama3 NODE_MODULES_DIR
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [which, modules] = process.argv.slice(2);
let encode;
if (which === 'llama2') {
  const m = await import(pathToFileURL(path.join(modules, 'llama-tokenizer-js', 'llama-tokenizer.js')));
  encode = s => m.default.encode(s, true, true);
} else {
  const m = await import(pathToFileURL(path.join(modules, 'llama3-tokenizer-js', 'bundle', 'llama3-tokenizer-with-baked-data.js')));
  encode = s => m.default.encode(s, { bos: true, eos: false });
}
const lines = readFileSync(0, 'utf8').split('\n').filter(l => l.length > 0);
process.stdout.write(lines.map(l => encode(JSON.parse(l)).join(' ')).join('\n') + '\n');
