// The peer a JavaScript user would pick: transformers.js feature-extraction (mean pooling, normalisation) on the
// first N texts of a JSONL file, from a local model folder (nothing downloaded), in input order or sorted by
// length, in batches. Prints one line of figures; with OUT, writes {"embedding": [...]} per text in input order.
//   node embed.mjs MODEL_DIR TEXTS.jsonl N BATCH input|sorted THREADS [OUT.jsonl]
import fs from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

const [modelDir, textsPath, count, batchArg, order, threads, outPath] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(modelDir));
const extractor = await pipeline('feature-extraction', path.basename(modelDir), {
  dtype: 'fp32',
  device: 'cpu',
  session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1 },
});

const texts = fs.readFileSync(textsPath, 'utf8').split('\n').filter((l) => l.trim()).slice(0, Number(count))
  .map((l) => JSON.parse(l).text);
const batchSize = Number(batchArg);
await extractor(['warm up'], { pooling: 'mean', normalize: true });

const start = process.hrtime.bigint();
// Length in tokens decides the padding; the tokenizer's own count is what a careful user would sort by.
let indices = texts.map((_, i) => i);
let tokens = 0;
const lengths = texts.map((t) => extractor.tokenizer(t, { truncation: true, max_length: 256 }).input_ids.dims[1]);
for (const n of lengths) tokens += n;
if (order === 'sorted') indices.sort((a, b) => lengths[a] - lengths[b] || a - b);
const embeddings = new Array(texts.length);
for (let s = 0; s < indices.length; s += batchSize) {
  const batch = indices.slice(s, s + batchSize);
  const output = await extractor(batch.map((i) => texts[i]), { pooling: 'mean', normalize: true });
  const dim = output.dims[1];
  batch.forEach((i, row) => { embeddings[i] = output.data.slice(row * dim, (row + 1) * dim); });
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`transformers-js order=${order} texts=${texts.length} tokens=${tokens} batch=${batchSize} seconds=${seconds.toFixed(2)} texts_per_s=${(texts.length / seconds).toFixed(1)} tokens_per_s=${(tokens / seconds).toFixed(0)}`);
if (outPath) {
  fs.writeFileSync(outPath, embeddings.map((e) => JSON.stringify({ embedding: Array.from(e) })).join('\n') + '\n');
}
