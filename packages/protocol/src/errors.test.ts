// The error vocabulary as users read it: README's two tables (API error codes with their
// statuses, prediction outcomes) list exactly the codes of errors.ts, nothing more or less;
// and the outcome codes the queue's Lua scripts spell are among OUTCOME_CODES.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, OUTCOME_CODES, httpStatus } from './errors.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The rows of the markdown table whose header row is `header`, as cells. */
function table(header: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  expect(start, `README has a table headed ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const code = (cell: string) => /^`([a-z_]+)`$/.exec(cell)?.[1] ?? `(not one code: ${cell})`;

describe('error codes', () => {
  it("README's error table lists every API error code once, with the status the API answers it with", () => {
    const rows = table('| status | code | when |');
    const listed = rows.map(([status, cell]) => [code(cell!), Number(status)] as const);
    expect(listed.map(([c]) => c).sort()).toEqual([...ERROR_CODES].sort());
    for (const [c, status] of listed) expect(status, c).toBe(httpStatus(c as (typeof ERROR_CODES)[number]));
  });

  it("README's outcome table lists every prediction outcome code once", () => {
    const listed = table('| outcome | when |').map(([cell]) => code(cell!));
    expect(listed.sort()).toEqual([...OUTCOME_CODES].sort());
  });

  it('gives every API error code a status, and names no cause twice across the two lists but model_unpublished', () => {
    for (const c of ERROR_CODES) expect(httpStatus(c)).toBeGreaterThanOrEqual(400);
    // model_unpublished is one cause seen on two channels: a refused request and a queued prediction.
    expect(OUTCOME_CODES.filter((c) => (ERROR_CODES as readonly string[]).includes(c))).toEqual(['model_unpublished']);
  });

  it("the queue's Lua scripts write no prediction error code that OUTCOME_CODES lacks", () => {
    const dir = new URL('../../queue/src/lua/', import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lua'));
    expect(files.length).toBeGreaterThan(0);
    const written = new Set<string>();
    for (const file of files) {
      const lua = readFileSync(new URL(file, dir), 'utf8');
      for (const m of lua.matchAll(/HSET[^\n]*'err_code', '(\w+)'|settle\('\w+', '(\w+)'/g))
        written.add((m[1] ?? m[2])!);
    }
    for (const code of written) expect(OUTCOME_CODES, `a Lua script writes err_code '${code}'`).toContain(code);
  });
});
