// Prints llama3-tokenizer-js's vocabulary and merges as its own code decodes them: the number of tokens, the
// tokens (JSON strings, by id), then the merges in rank order ("left right", JSON strings), one per line.
// Usage: node llama3-vocab.mjs NODE_MODULES_DIR
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const m = await import(pathToFileURL(path.join(process.argv[2], 'llama3-tokenizer-js', 'bundle', 'llama3-tokenizer-with-baked-data.js')));
const t = m.default;
const out = [String(t.vocabById.length)];
for (const piece of t.vocabById) out.push(JSON.stringify(piece));
for (const merge of t.merges.keys()) out.push(JSON.stringify(merge));
process.stdout.write(out.join('\n') + '\n');
