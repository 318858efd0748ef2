// A Hugging Face tokenizer.json, run by the tokenizers Rust library through its Node
// bindings (@anush008/tokenizers: prebuilt for linux-x64; docs/text-models.md has the
// comparison with @huggingface/tokenizers). encodeBatch runs on libuv's thread pool, so
// tokenizing a batch does not block the worker's main thread.
import { Tokenizer } from '@anush008/tokenizers';

export interface TokenizedText {
  ids: number[];
  typeIds: number[];
}

export interface TextTokenizer {
  /** Token ids per text, special tokens added, truncated at max_length, never padded. */
  encodeBatch(texts: string[]): Promise<TokenizedText[]>;
  /** The id padding uses: tokenizer.json's padding.pad_id, else [PAD]'s id, else 0. */
  readonly padId: number;
}

/** Parses tokenizer.json text; throws an Error naming `where` when the library refuses it. */
export function loadTokenizer(json: string, maxLength: number, where: string): TextTokenizer {
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromString(json);
  } catch (err) {
    throw new Error(`${where}: not a tokenizer the tokenizers library can load: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Padding is the pipeline's (to the longest of a micro-batch), whatever the file says:
  // MiniLM's tokenizer.json pads every text to 128.
  tokenizer.disablePadding();
  tokenizer.setTruncation(maxLength);
  const declared = (JSON.parse(json) as { padding?: { pad_id?: unknown } | null }).padding?.pad_id;
  const padId = typeof declared === 'number' ? declared : (tokenizer.tokenToId('[PAD]') ?? 0);
  return {
    padId,
    async encodeBatch(texts) {
      if (texts.length === 0) return [];
      const encodings = await tokenizer.encodeBatch(texts);
      return encodings.map((e) => ({ ids: e.getIds(), typeIds: e.getTypeIds() }));
    },
  };
}
