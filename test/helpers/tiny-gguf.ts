import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer';
import { seededRandom } from '../../common/seeded-random';

/**
 * A tiny, deterministic, random-weight llama-architecture model for tests: no model can be
 * downloaded here, and the tests of the real llama.cpp path (loading, generation, token
 * counts, grammar-constrained JSON, the LLM worker) assert mechanics, not prose. Its text is
 * noise. Vocabulary: <unk>, <s>, </s>, the 256 byte-fallback tokens and the printable ASCII
 * characters (plus ▁, SentencePiece's space), so any text tokenizes and any JSON a grammar
 * allows can be spelled. About 500 KB.
 */
export const TINY_GGUF_NAME = 'tiny-llama-test.gguf';

const N_EMBD = 64;
const N_HEAD = 4;
const N_LAYER = 2;
const N_FF = 128;
/** Room for the card agent: its prompt (tools and their schemas) is about 3000 byte tokens, and a step may write 2048. */
const N_CTX = 8192;

/** The vocabulary, its scores and token types (SentencePiece "llama" tokenizer). */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3]; // unknown, control, control
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // byte
  }
  tokens.push('\u2581');
  types.push(1);
  for (let c = 33; c < 127; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(1); // normal
  }
  const scores = tokens.map((_, i) => (types[i] === 1 ? -i : 0));
  return { tokens, scores, types };
}

function tensors(nVocab: number): GgufTensor[] {
  const rand = seededRandom(20261130);
  const random = (dims: number[], scale = 0.08): GgufTensor['data'] => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
    return data;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  // Dimension 0 of the residual stream is a constant: every token embeds it as +4 and no layer
  // writes to it (row 0 of attn_output and ffn_down is zero). The output weights then give the
  // tokens the model should never write (<unk>, and the bytes 0x80-0xFF that alone make invalid
  // UTF-8) a large negative weight on it, so the noise it writes is ASCII, and a grammar's
  // character counts (maxLength) are the text's.
  const embd = random([N_EMBD, nVocab], 0.5);
  const output = random([N_EMBD, nVocab], 0.5);
  for (let t = 0; t < nVocab; t++) {
    embd[t * N_EMBD] = 4;
    output[t * N_EMBD] = t === 0 || (t >= 3 + 0x80 && t < 3 + 256) ? -30 : 0;
  }
  const zeroRow0 = (data: Float32Array, rowLength: number) => {
    data.fill(0, 0, rowLength);
    return data;
  };
  const out: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [N_EMBD, nVocab], data: embd },
    { name: 'output_norm.weight', dims: [N_EMBD], data: ones(N_EMBD) },
    { name: 'output.weight', dims: [N_EMBD, nVocab], data: output },
  ];
  for (let l = 0; l < N_LAYER; l++) {
    const p = `blk.${l}.`;
    out.push(
      { name: `${p}attn_norm.weight`, dims: [N_EMBD], data: ones(N_EMBD) },
      { name: `${p}attn_q.weight`, dims: [N_EMBD, N_EMBD], data: random([N_EMBD, N_EMBD]) },
      { name: `${p}attn_k.weight`, dims: [N_EMBD, N_EMBD], data: random([N_EMBD, N_EMBD]) },
      { name: `${p}attn_v.weight`, dims: [N_EMBD, N_EMBD], data: random([N_EMBD, N_EMBD]) },
      { name: `${p}attn_output.weight`, dims: [N_EMBD, N_EMBD], data: zeroRow0(random([N_EMBD, N_EMBD]), N_EMBD) },
      { name: `${p}ffn_norm.weight`, dims: [N_EMBD], data: ones(N_EMBD) },
      { name: `${p}ffn_gate.weight`, dims: [N_EMBD, N_FF], data: random([N_EMBD, N_FF]) },
      { name: `${p}ffn_up.weight`, dims: [N_EMBD, N_FF], data: random([N_EMBD, N_FF]) },
      { name: `${p}ffn_down.weight`, dims: [N_FF, N_EMBD], data: zeroRow0(random([N_FF, N_EMBD]), N_FF) },
    );
  }
  return out;
}

export function tinyGguf(): Buffer {
  const vocab = vocabulary();
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'product-os tiny test model' }],
    ['general.file_type', { type: 'u32', value: 0 }],
    ['llama.context_length', { type: 'u32', value: N_CTX }],
    ['llama.embedding_length', { type: 'u32', value: N_EMBD }],
    ['llama.block_count', { type: 'u32', value: N_LAYER }],
    ['llama.feed_forward_length', { type: 'u32', value: N_FF }],
    ['llama.rope.dimension_count', { type: 'u32', value: N_EMBD / N_HEAD }],
    ['llama.attention.head_count', { type: 'u32', value: N_HEAD }],
    ['llama.attention.head_count_kv', { type: 'u32', value: N_HEAD }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.vocab_size', { type: 'u32', value: vocab.tokens.length }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  return encodeGguf(metadata, tensors(vocab.tokens.length));
}

/**
 * Writes the model into `dir` (default: a models folder under the OS temp dir) unless an
 * identical file is there already, and returns its path. Cheap (a few ms): tests call it in
 * their `before` hook.
 */
export function ensureTinyGguf(dir = path.join(os.tmpdir(), 'product-os-test-models')): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, TINY_GGUF_NAME);
  const bytes = tinyGguf();
  try {
    if (fs.readFileSync(file).equals(bytes)) return file;
  } catch {
    // absent: written below
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return file;
}
