// The model card: the small JSON file beside each ONNX export that says how to
// feed it and read it (README, Embeddings: the export contract). A model is
// `<modelsDir>/<model_name>.onnx` + `<modelsDir>/<model_name>.json`;
// model_name may hold folders ("facebook/esm2_t6_8M_UR50D") or be an absolute
// path, and a trailing ".onnx" is ignored.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ProteaError } from '../../lib/errors.js';
import type { TokenizerKind } from './tokenizers.js';

const NAME = z.string().min(1);

export const MODEL_CARD_SCHEMA = z
  .object({
    /** tokeniser family: esm (ESM-2: <cls> residues <eos>) or t5 (ProtT5/Ankh: residues </s>) */
    tokenizer: z.enum(['esm', 't5']),
    hidden_size: z.number().int().positive(),
    /** transformer layers; the model outputs num_layers + 1 hidden states (embedding output first) */
    num_layers: z.number().int().positive(),
    input_names: z
      .object({ input_ids: NAME, attention_mask: NAME })
      .strict()
      .default({ input_ids: 'input_ids', attention_mask: 'attention_mask' }),
    /** one per hidden state, first (embedding output) to last */
    output_names: z.array(NAME).min(1),
    /** residues the model accepts at most, special tokens not counted */
    max_length: z.number().int().positive(),
    /** token -> id (residue letters and the tokeniser's specials); the family default when absent */
    vocab: z.record(z.string(), z.number().int().nonnegative()).optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((card, ctx) => {
    if (card.output_names.length !== card.num_layers + 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['output_names'],
        message: `expected num_layers + 1 = ${card.num_layers + 1} names (embedding output, then one per layer), got ${card.output_names.length}`,
      });
    }
    if (new Set(card.output_names).size !== card.output_names.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['output_names'], message: 'names repeat' });
    }
  });

export type ModelCardJson = z.input<typeof MODEL_CARD_SCHEMA>;

export interface ModelCard {
  tokenizer: TokenizerKind;
  hiddenSize: number;
  numLayers: number;
  inputIds: string;
  attentionMask: string;
  outputNames: string[];
  maxLength: number;
  vocab?: Record<string, number>;
  description?: string;
}

export interface ModelFiles {
  onnx: string;
  card: string;
}

/** The two files of `modelName` under `modelsDir`. */
export function modelFiles(modelsDir: string, modelName: string): ModelFiles {
  const base = path.resolve(modelsDir, modelName.replace(/\.onnx$/, ''));
  return { onnx: `${base}.onnx`, card: `${base}.json` };
}

/** Validates a parsed card; errors name the file and the field. */
export function parseModelCard(json: unknown, file: string): ModelCard {
  const parsed = MODEL_CARD_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(card)';
    throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `model card ${file}: ${field}: ${issue.message}`, { file, field });
  }
  const c = parsed.data;
  const card: ModelCard = {
    tokenizer: c.tokenizer,
    hiddenSize: c.hidden_size,
    numLayers: c.num_layers,
    inputIds: c.input_names.input_ids,
    attentionMask: c.input_names.attention_mask,
    outputNames: c.output_names,
    maxLength: c.max_length,
  };
  if (c.vocab) card.vocab = c.vocab;
  if (c.description !== undefined) card.description = c.description;
  return card;
}

/** Reads and validates the card of a model and checks its .onnx file exists. */
export async function readModelCard(files: ModelFiles): Promise<ModelCard> {
  for (const file of [files.onnx, files.card]) {
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
    } catch (err) {
      throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `model file ${file} cannot be read (${(err as Error).message})`, { file }, { cause: err });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(files.card, 'utf8'));
  } catch (err) {
    throw new ProteaError('EMBEDDING_MODEL_UNAVAILABLE', `model card ${files.card} is not JSON (${(err as Error).message})`, { file: files.card }, { cause: err });
  }
  return parseModelCard(json, files.card);
}

/** The card as JSON (what writers put beside a .onnx file). */
export function modelCardJson(card: ModelCard): ModelCardJson {
  const out: ModelCardJson = {
    tokenizer: card.tokenizer,
    hidden_size: card.hiddenSize,
    num_layers: card.numLayers,
    input_names: { input_ids: card.inputIds, attention_mask: card.attentionMask },
    output_names: card.outputNames,
    max_length: card.maxLength,
  };
  if (card.vocab) out.vocab = card.vocab;
  if (card.description !== undefined) out.description = card.description;
  return out;
}
