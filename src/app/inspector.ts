/**
 * The stream inspector: a panel beside the video with the frame sizes (bars coloured by picture type),
 * the bitrate, the GOP structure, live latency and buffer sparklines, one frame's NAL units and
 * parameter sets, and the MP4 box trees of the init segment and the latest fragment (mux.js inspector).
 *
 * Cheap by construction: it draws ./inspector-history.ts (capped arrays the page fills from the start);
 * charts redraw at most REDRAW_HZ times a second, and only while the panel is open; box trees are rebuilt
 * at most once a second. Loaded by ./page.ts when first opened: this module and uPlot take a long
 * main-thread task to load.
 */
import './locale.js'; // before uPlot, which reads navigator.language when it loads
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import muxInspector from 'mux.js/lib/tools/mp4-inspector.js';
import type { InitSegment, MediaSegment } from '../core/index.js';
import {
  BAR_KINDS,
  BAR_LABELS,
  barKind,
  bitrateSeries,
  gopSummary,
  resolutionChanges,
} from './frame-series.js';
import type { BarKind, Frame, ResolutionChange } from './frame-series.js';
import { describeFrame, describeParameterSets, nalTypeName } from './h264-details.js';
import type { InspectorHistory } from './inspector-history.js';

const REDRAW_HZ = 4;
const BOX_TREE_INTERVAL_MS = 1000;
const FRAME_HINT = 'Click a bar, or focus the chart and use the arrow keys, to see a frame.';

const BAR_COLORS: Record<BarKind, string> = {
  IDR: '#d62728',
  recovery: '#ff7f0e',
  I: '#9467bd',
  P: '#1f77b4',
  B: '#2ca02c',
};

export interface InspectorSnapshot {
  readonly open: boolean;
  /** Frames held (at most MAX_FRAMES). */
  readonly frames: number;
  /** Bars uPlot drew in its last redraw, per picture type. */
  readonly drawnBars: Readonly<Record<BarKind, number>>;
  readonly selectedFrame: number | undefined;
  readonly gopText: string;
  /** Picture size changes among the frames held, each marked on the frame chart. */
  readonly resolutionChanges: readonly ResolutionChange[];
  /** The latency chart is shown (live streams only). */
  readonly liveChart: boolean;
  /** Longest chart redraw so far, in ms (main-thread cost of the panel). */
  readonly maxRedrawMs: number;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function table(rows: readonly (readonly [string, string])[]): HTMLDListElement {
  const dl = el('dl');
  for (const [key, value] of rows)
    dl.append(el('dt', { textContent: key }), el('dd', { textContent: value }));
  return dl;
}

export class Inspector {
  /** Set for changes of the view's own (open, live, a chosen frame); the history's have its version. */
  private dirty = false;
  private drawnVersion = -1;
  private isOpen = false;
  private selected: Frame | undefined;
  private drawn: Record<BarKind, number> = { IDR: 0, recovery: 0, I: 0, P: 0, B: 0 };
  private lastBoxTree = 0;
  private boxTreeOf: { init?: InitSegment; media?: MediaSegment } = {};
  private readonly frameChart: uPlot;
  private readonly bitrateChart: uPlot;
  private readonly liveChart: uPlot;
  private readonly gopText: HTMLElement;
  private readonly changesText: HTMLElement;
  private readonly frameHost: HTMLElement;
  private readonly liveBlock: HTMLElement;
  /** Marks on the frame chart: the chosen frame and the resolution changes. */
  private readonly marks: HTMLElement;
  private changes: ResolutionChange[] = [];
  private readonly frameView: HTMLElement;
  private readonly initTree: HTMLElement;
  private readonly mediaTree: HTMLElement;
  private gop = '';
  private maxRedrawMs = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly history: InspectorHistory,
  ) {
    const ink = getComputedStyle(root).color || '#222';
    const grid = { stroke: 'rgba(128,128,128,0.2)', width: 1 };
    const axis = (label?: string): uPlot.Axis => ({
      stroke: ink,
      grid,
      ticks: grid,
      size: 44,
      ...(label !== undefined ? { label, labelSize: 18 } : {}),
    });
    const width = Math.max(280, root.clientWidth - 24);
    const bars = uPlot.paths.bars?.({
      size: [0.85, 24, 1],
      each: (_u, seriesIdx) => {
        const kind = BAR_KINDS[seriesIdx - 1];
        if (kind) this.drawn[kind]++;
      },
    });

    const frameHost = el('div', { className: 'chart frame-chart', tabIndex: 0 });
    this.frameHost = frameHost;
    // The keyboard route to a frame's details: the chart is a slider over the frames held.
    frameHost.setAttribute('role', 'slider');
    frameHost.setAttribute('aria-label', 'Frame sizes: arrow keys choose a frame');
    frameHost.addEventListener('keydown', (event) => this.onChartKey(event));
    const bitrateHost = el('div', { className: 'chart' });
    const liveHost = el('div', { className: 'chart' });
    this.gopText = el('p', { className: 'gop' });
    this.changesText = el('p', { className: 'changes' });
    this.marks = el('div', { className: 'marks' });
    this.frameView = el('div', { className: 'frame-view' });
    this.frameView.append(el('p', { className: 'hint', textContent: FRAME_HINT }));
    this.liveBlock = el(
      'div',
      {},
      el('h2', { textContent: 'Live latency and buffered seconds (wall clock)' }),
      liveHost,
    );
    this.initTree = el('pre', { className: 'box-tree' });
    this.mediaTree = el('pre', { className: 'box-tree' });
    root.replaceChildren(
      el('h2', { textContent: 'Frame sizes' }),
      frameHost,
      this.gopText,
      this.changesText,
      el('h2', { textContent: 'Bitrate (kbit/s over 1 s of media time)' }),
      bitrateHost,
      this.liveBlock,
      el('h2', { textContent: 'Frame' }),
      this.frameView,
      el('h2', { textContent: 'MP4 boxes' }),
      el('details', {}, el('summary', { textContent: 'Init segment' }), this.initTree),
      el('details', {}, el('summary', { textContent: 'Latest fragment' }), this.mediaTree),
    );
    // A tree is parsed only while its <details> is open; opening one fills it at once.
    for (const tree of [this.initTree, this.mediaTree]) {
      tree.parentElement?.addEventListener('toggle', () => {
        this.lastBoxTree = 0;
        this.updateBoxTrees();
      });
    }

    this.frameChart = new uPlot(
      {
        width,
        height: 190,
        scales: { x: { time: false } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        hooks: {
          drawClear: [
            () => {
              this.drawn = { IDR: 0, recovery: 0, I: 0, P: 0, B: 0 };
            },
          ],
        },
        axes: [
          { ...axis(), size: 30 },
          { ...axis('bytes'), size: 56 },
        ],
        series: [
          { label: 'frame' },
          ...BAR_KINDS.map((kind): uPlot.Series => ({
            label: BAR_LABELS[kind],
            fill: BAR_COLORS[kind],
            stroke: BAR_COLORS[kind],
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
          })),
        ],
      },
      [[], [], [], [], [], []],
      frameHost,
    );
    this.frameChart.over.addEventListener('click', () => this.selectAtCursor());
    this.frameChart.over.append(this.marks);

    this.bitrateChart = new uPlot(
      {
        width,
        height: 150,
        scales: { x: { time: false } },
        legend: { show: false },
        cursor: { show: false },
        axes: [
          { ...axis(), size: 30 },
          { ...axis(), size: 56 },
        ],
        series: [{}, { label: 'kbit/s (1 s window)', stroke: '#2a7ae2', width: 1.5 }],
      },
      [[], []],
      bitrateHost,
    );

    this.liveChart = new uPlot(
      {
        width,
        height: 150,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(0.5, max)] } },
        legend: { live: false },
        cursor: { show: false },
        axes: [
          { ...axis(), size: 30 },
          { ...axis(), size: 56 },
        ],
        series: [
          {},
          { label: 'latency (s)', stroke: '#d62728', width: 2, spanGaps: false },
          { label: 'buffered ahead (s)', stroke: '#2ca02c', width: 1.5, dash: [4, 3] },
        ],
      },
      [[], [], []],
      liveHost,
    );

    new ResizeObserver(() => {
      const w = Math.max(280, this.root.clientWidth - 24);
      for (const chart of [this.frameChart, this.bitrateChart, this.liveChart]) {
        if (chart.width !== w) chart.setSize({ width: w, height: chart.height });
      }
    }).observe(root);
    setInterval(() => this.redraw(), 1000 / REDRAW_HZ);
  }

  /** Forgets what it showed of the last session (the history is reset by its owner). */
  reset(): void {
    this.selected = undefined;
    this.boxTreeOf = {};
    this.frameView.replaceChildren(el('p', { className: 'hint', textContent: FRAME_HINT }));
    this.changes = [];
    this.changesText.textContent = '';
    this.marks.replaceChildren();
    this.maxRedrawMs = 0;
    this.initTree.textContent = '';
    this.mediaTree.textContent = '';
    this.dirty = true;
  }

  /** Live streams show the latency chart; files have no latency. */
  setLive(live: boolean): void {
    if (this.liveBlock.hidden === !live) return;
    this.liveBlock.hidden = !live;
    this.dirty = true;
  }

  setOpen(open: boolean): void {
    this.isOpen = open;
    this.root.hidden = !open;
    if (open) {
      this.dirty = true;
      this.redraw();
    }
  }

  snapshot(): InspectorSnapshot {
    return {
      open: this.isOpen,
      frames: this.history.frames.length,
      drawnBars: { ...this.drawn },
      selectedFrame: this.selected?.sample.index,
      gopText: this.gop,
      resolutionChanges: [...this.changes],
      liveChart: !this.liveBlock.hidden,
      maxRedrawMs: this.maxRedrawMs,
    };
  }

  private visible(): readonly Frame[] {
    return this.history.frames;
  }

  private redraw(): void {
    if (!this.isOpen || (!this.dirty && this.drawnVersion === this.history.version)) return;
    this.dirty = false;
    this.drawnVersion = this.history.version;
    const start = performance.now();
    const frames = this.visible();
    const x = frames.map((f) => f.sample.index);
    const series = BAR_KINDS.map((kind) =>
      frames.map((f) => (barKind(f.sample) === kind ? f.sample.size : null)),
    );
    this.frameChart.setData([x, ...series]);
    this.bitrateChart.setData(bitrateSeries(frames));
    const live = this.history.live;
    this.liveChart.setData([live.t, live.latency, live.buffered]);
    this.gop = gopSummary(frames);
    this.gopText.textContent = this.gop;
    const first = frames[0]?.sample.index ?? 0;
    this.frameHost.setAttribute('aria-valuemin', String(first));
    this.frameHost.setAttribute(
      'aria-valuemax',
      String(frames[frames.length - 1]?.sample.index ?? 0),
    );
    if (!this.selected) {
      this.frameHost.setAttribute('aria-valuenow', String(first));
      this.frameHost.setAttribute('aria-valuetext', 'no frame chosen');
    }
    this.changes = resolutionChanges(frames);
    this.changesText.textContent = this.changes
      .map((c) => `Resolution change at frame ${c.frame}: ${c.from} → ${c.to}.`)
      .join(' ');
    this.placeMarks();
    this.updateBoxTrees();
    this.maxRedrawMs = Math.max(this.maxRedrawMs, performance.now() - start);
  }

  private updateBoxTrees(): void {
    const now = performance.now();
    if (now - this.lastBoxTree < BOX_TREE_INTERVAL_MS) return;
    this.lastBoxTree = now;
    const shown = (tree: HTMLElement): boolean => (tree.parentElement as HTMLDetailsElement).open;
    const { init, latest } = this.history;
    if (init && this.boxTreeOf.init !== init && shown(this.initTree)) {
      this.boxTreeOf.init = init;
      this.initTree.textContent = boxTree(init.data);
    }
    if (latest && this.boxTreeOf.media !== latest && shown(this.mediaTree)) {
      this.boxTreeOf.media = latest;
      this.mediaTree.textContent = boxTree(latest.data);
    }
  }

  private selectAtCursor(): void {
    const idx = this.frameChart.cursor.idx;
    const frameIndex = idx === null || idx === undefined ? undefined : this.frameChart.data[0][idx];
    const frame = this.history.frames.find((f) => f.sample.index === frameIndex);
    if (frame) this.select(frame);
  }

  /** Arrow keys, Page Up/Down (10 frames), Home and End choose a frame on the focused chart. */
  private onChartKey(event: KeyboardEvent): void {
    const frames = this.visible();
    if (frames.length === 0) return;
    const at = this.selected ? frames.indexOf(this.selected) : -1;
    const last = frames.length - 1;
    const steps: Record<string, number> = {
      ArrowLeft: -1,
      ArrowDown: -1,
      ArrowRight: 1,
      ArrowUp: 1,
      PageDown: -10,
      PageUp: 10,
    };
    let next: number;
    if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = last;
    else if (event.key in steps) {
      const step = steps[event.key] ?? 0;
      next = at < 0 ? (step > 0 ? 0 : last) : Math.min(last, Math.max(0, at + step));
    } else return;
    event.preventDefault();
    const frame = frames[next];
    if (frame) this.select(frame);
  }

  /** The chosen frame and the resolution changes, as marks over the frame chart. */
  private placeMarks(): void {
    const x = (frame: number): string => `${this.frameChart.valToPos(frame, 'x')}px`;
    const marks: HTMLElement[] = this.changes.map((c) => {
      const mark = el('div', { className: 'mark change', title: `${c.from} → ${c.to}` });
      mark.append(el('span', { textContent: c.to }));
      mark.style.left = x(c.frame);
      return mark;
    });
    const chosen = this.selected?.sample.index;
    if (chosen !== undefined && this.visible().includes(this.selected as Frame)) {
      const mark = el('div', { className: 'mark chosen' });
      mark.style.left = x(chosen);
      marks.push(mark);
    }
    this.marks.replaceChildren(...marks);
  }

  private select(frame: Frame): void {
    this.selected = frame;
    const s0 = frame.sample;
    this.frameHost.setAttribute('aria-valuenow', String(s0.index));
    this.frameHost.setAttribute(
      'aria-valuetext',
      `frame ${s0.index}: ${s0.pictureType}, ${s0.size} bytes`,
    );
    this.placeMarks();
    const s = frame.sample;
    const nals = el('table', { className: 'nals' });
    nals.append(
      el(
        'thead',
        {},
        el('tr', {}, el('th', { textContent: 'NAL type' }), el('th', { textContent: 'bytes' })),
      ),
    );
    const body = el('tbody');
    s.nalTypes.forEach((type, i) => {
      body.append(
        el(
          'tr',
          {},
          el('td', { textContent: `${type} ${nalTypeName(type)}` }),
          el('td', { textContent: String(s.nalSizes[i] ?? '?') }),
        ),
      );
    });
    nals.append(body);
    const parts: Node[] = [table(describeFrame(s, frame.timescale)), nals];
    if (frame.init) {
      parts.push(
        el('h3', { textContent: 'SPS / PPS' }),
        table(describeParameterSets(frame.init).rows),
      );
    }
    this.frameView.replaceChildren(...parts);
  }
}

/** mux.js's text dump of the boxes, without the long per-NAL lists of mdat. */
export function boxTree(data: Uint8Array): string {
  try {
    const boxes = muxInspector
      .inspect(data)
      .map((b) =>
        b.type === 'mdat' ? { type: 'mdat', size: b.size, byteLength: b['byteLength'] } : b,
      );
    return muxInspector.textify(boxes);
  } catch (error) {
    return `mux.js could not parse these boxes: ${error instanceof Error ? error.message : String(error)}`;
  }
}
