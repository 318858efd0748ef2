// Small live charts (uPlot): one per model and measure, over the samples the gateway keeps.
import uPlot from 'uplot';
import type { Sample } from './types.ts';

export interface ChartSpec {
  title: string;
  series: { label: string; value: (s: Sample) => number | null; stroke: string }[];
}

export const RATE_CHART: ChartSpec = {
  title: 'requests/s',
  series: [
    { label: 'arrivals/s', value: (s) => s.arrivals, stroke: '#1f5fbf' },
    { label: 'completions/s', value: (s) => s.completions, stroke: '#1a7f37' },
  ],
};

export const LATENCY_CHART: ChartSpec = {
  title: 'latency ms',
  series: [
    { label: 'p50 ms', value: (s) => s.p50, stroke: '#6b4bb8' },
    { label: 'p99 ms', value: (s) => s.p99, stroke: '#b35900' },
  ],
};

export const DEPTH_CHART: ChartSpec = {
  title: 'queue depth',
  series: [{ label: 'queued', value: (s) => s.depth.high + s.depth.normal + s.depth.low, stroke: '#8a1c1c' }],
};

const data = (spec: ChartSpec, samples: Sample[]): uPlot.AlignedData => [
  samples.map((s) => s.t / 1000),
  ...spec.series.map((x) => samples.map((s) => x.value(s))),
];

/** A chart that keeps itself: `update` with new samples redraws it in place. */
export class Chart {
  private plot: uPlot | undefined;
  readonly el: HTMLElement;

  constructor(
    private readonly spec: ChartSpec,
    private readonly width = 220,
    private readonly height = 70,
  ) {
    this.el = document.createElement('figure');
    this.el.className = 'chart';
    this.el.setAttribute('aria-label', spec.title);
  }

  update(samples: Sample[]): void {
    const d = data(this.spec, samples);
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: this.width,
          height: this.height,
          legend: { show: false },
          cursor: { show: false },
          axes: [{ show: false }, { size: 36, space: 15, font: '10px sans-serif', ticks: { show: false } }],
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
          series: [
            {},
            ...this.spec.series.map((s) => ({
              label: s.label,
              stroke: s.stroke,
              width: 1.5,
              spanGaps: true,
              points: { show: false },
            })),
          ],
        },
        d,
        this.el,
      );
      const caption = document.createElement('figcaption');
      caption.textContent = this.spec.series.map((s) => s.label).join(' · ');
      this.el.append(caption);
    } else {
      this.plot.setData(d);
    }
  }
}
