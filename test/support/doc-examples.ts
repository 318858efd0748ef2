// The code blocks of the docs that tests run: the first ```<lang> block after a heading.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fleet.ts';

export function docExample(file: string, heading: string, lang: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const at = heading ? text.indexOf(`\n${heading}\n`) : 0;
  if (at < 0) throw new Error(`${file}: no heading '${heading}'`);
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(text.slice(at));
  if (!block) throw new Error(`${file}: no \`\`\`${lang} block after '${heading}'`);
  return block[1]!;
}

/** The address the examples use, for the test to point them at its own gateway. */
export const EXAMPLE_URL = 'http://127.0.0.1:8080';
