// Small HTTP helpers for the API under test.
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function postJson<T = any>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

export async function getJson<T = any>(url: string, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

/** A deterministic pseudo-random Float32Array (mulberry32). */
export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function expectClose(got: number[], want: number[], tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Math.abs(g - w) > tol * Math.max(1, Math.abs(w))) throw new Error(`element ${i}: got ${g}, want ${w}`);
  });
}
