// The dashboard and alert rules in infra/grafana/: every metric they name is one the code
// registers (read from the gateway's, workers', publisher's and dispatcher's registries, so a
// renamed metric breaks this test), and promtool accepts the rules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MemoryGauge, ModelRegistry, RedisModelRegistry } from '@alto/queue';
import type { Registry } from '@alto/telemetry';
import { describe, expect, it } from 'vitest';
import { createDispatcherMetrics } from '../apps/dispatcher/src/metrics.ts';
import { createGatewayMetrics } from '../apps/gateway/src/metrics.ts';
import { createPublisherMetrics } from '../apps/publisher/src/metrics.ts';
import { createWorkerMetrics } from '../apps/worker/src/metrics.ts';
import { ROOT } from './support/fleet.ts';
import { findPromtool } from './support/promtool.ts';

const DASHBOARD = `${ROOT}infra/grafana/dashboard.json`;
const ALERTS = `${ROOT}infra/grafana/alerts.yml`;

/** Names of the series a registry exports: histograms as _bucket, _sum and _count. */
function exported(registries: Registry[]): Set<string> {
  const names = new Set<string>();
  for (const r of registries) {
    for (const m of r.getMetricsAsArray()) {
      const { name, type } = m as unknown as { name: string; type: string };
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      else names.add(name);
    }
  }
  return names;
}

function registries(): Registry[] {
  // Only their collect() (at scrape) reads these; registering the metrics does not.
  const unused = {} as ModelRegistry & RedisModelRegistry & MemoryGauge;
  return [
    createGatewayMetrics(unused, unused, unused).registry,
    createWorkerMetrics('w').registry,
    createPublisherMetrics('p').registry,
    createDispatcherMetrics('d').registry,
  ];
}

/** Metric names in PromQL: identifiers followed by a selector, range or `)`, minus functions and keywords. */
function metricNames(expr: string): string[] {
  // Strings, label matchers, ranges and Grafana's $variables hold no metric names.
  const cleaned = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\$\w+/g, '');
  const words = cleaned.match(/\b[a-z_][a-z0-9_]*\b(?!\s*\()/g) ?? [];
  const grouping = new Set(
    [...cleaned.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) =>
      m[1]!.split(',').map((s) => s.trim()),
    ),
  );
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'and', 'or', 'unless', 'bool', 'offset', 'le']);
  return words.filter((w) => !keywords.has(w) && !grouping.has(w) && /_/.test(w));
}

function dashboardExprs(): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'expr' || k === 'definition') && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  return out;
}

function ruleExprs(): string[] {
  // The rules file's `expr:` values, single-line or block (`expr: |`).
  const lines = readFileSync(ALERTS, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    if (m[2] !== '|' && m[2] !== '>-') {
      out.push(m[2]!);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.startsWith(`${m[1]}  `) || lines[i + 1]!.trim() === '')) {
      block.push(lines[++i]!);
    }
    out.push(block.join('\n'));
  }
  return out;
}

describe('dashboard and alert rules', () => {
  const known = exported(registries());

  it('name only metrics the code exports', () => {
    const exprs = [...dashboardExprs(), ...ruleExprs()];
    expect(exprs.length).toBeGreaterThan(30);
    const named = new Set(exprs.flatMap(metricNames));
    expect([...named].filter((n) => !known.has(n)).sort()).toEqual([]);
    // Every part of Alto is on the dashboard.
    for (const prefix of ['alto_gateway_', 'alto_worker_', 'alto_publisher_', 'alto_webhook_', 'alto_queue_depth']) {
      expect(
        [...named].some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it('reads metric names out of PromQL, and a misspelt one is caught', () => {
    expect(
      metricNames('sum by (le, model) (rate(alto_worker_inference_ms_bucket{model=~"a_b"}[5m])) > 0 and on (x_y) up_z'),
    ).toEqual(['alto_worker_inference_ms_bucket', 'up_z']);
    expect(known.has('alto_worker_inferense_ms_bucket')).toBe(false);
  });

  const promtool = findPromtool();
  it.skipIf(!promtool)(
    `passes promtool check rules${promtool ? '' : ' (skipped: no promtool; the e2e setup builds it where Go is installed)'}`,
    () => {
      const r = spawnSync(promtool!, ['check', 'rules', ALERTS], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
    },
  );

  it.skipIf(!promtool)(
    "parses every dashboard query (promtool, as recording rules with Grafana's variables filled in)",
    () => {
      const exprs = dashboardExprs().filter((e) => !e.startsWith('label_values('));
      const rules = exprs.map((e, i) => {
        const filled = e.replaceAll('$__rate_interval', '5m').replaceAll('$model', '.*');
        return `      - record: alto:dashboard_query_${i}\n        expr: ${JSON.stringify(filled)}`;
      });
      const dir = mkdtempSync(join(tmpdir(), 'alto-dashboard-'));
      try {
        const file = join(dir, 'dashboard-rules.yml');
        writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
        const r = spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
