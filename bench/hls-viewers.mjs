// Simulated LL-HLS viewers for bench/hls.mjs, run in child processes (forked) so that one process's
// event loop does not limit how many viewers keep up. Each viewer does what hls.js does in low-latency
// mode, as far as requests go: a blocking playlist reload for the next part (_HLS_msn/_HLS_part) and, at
// the same time, the part the preload hint names; listed parts it does not have are fetched in order.
// Every part must be a run of moof+mdat whose mfhd numbers continue the previous part's.
//
// IPC from the parent: { type: 'add', base, count, rampMs } adds viewers, { type: 'report' } answers with
// counters and part delays since the last report, { type: 'stop' } stops every viewer and exits.
import { Agent, get } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

/** GET → { status, body } (body as a Buffer). */
function fetchBuffer(url) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/** The last parts (msn, index in the segment, uri) and the hinted part's URI. */
export function parsePlaylist(text) {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? NaN);
  let index = -1;
  const parts = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-PART:')) {
      index++;
      parts.push({ msn, index, uri: /URI="([^"]+)"/.exec(line)[1] });
    } else if (line !== '' && !line.startsWith('#')) {
      msn++;
      index = -1;
    }
  }
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1];
  return { parts, hint };
}

const partNumber = (uri) => Number(/\/p(\d+)\.m4s$/.exec(uri)?.[1] ?? NaN);

/** mfhd sequence numbers of a part made of moof+mdat pairs; undefined when it is anything else. */
export function fragmentSequences(buf) {
  const out = [];
  let o = 0;
  let i = 0;
  while (o < buf.length) {
    if (o + 8 > buf.length) return undefined;
    const size = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    if (size < 8 || o + size > buf.length || type !== (i % 2 === 0 ? 'moof' : 'mdat'))
      return undefined;
    if (type === 'moof') {
      // moof > mfhd: size, 'mfhd', version and flags, sequence_number
      if (buf.toString('latin1', o + 12, o + 16) !== 'mfhd') return undefined;
      out.push(buf.readUInt32BE(o + 20));
    }
    o += size;
    i++;
  }
  return i > 0 && i % 2 === 0 ? out : undefined;
}

const now = () => performance.timeOrigin + performance.now();

/** Receive times per part number: the first in this process, and those of sampled viewers. */
let firstSeen = new Map();
let sampled = [];

class Viewer {
  constructor(base, sample) {
    this.base = base;
    this.sample = sample;
    this.parts = 0;
    this.bytes = 0;
    /** Parts skipped because the viewer fell out of the playlist's window (a load generator too slow). */
    this.behind = 0;
    this.errors = [];
    this.lastPart = -1;
    this.lastSequence = -1;
    this.stopped = false;
  }

  async run() {
    let known = parsePlaylist((await fetchBuffer(`${this.base}/hls/live.m3u8`)).body.toString());
    // Three parts back from the edge (PART-HOLD-BACK), as a player starts.
    const start = known.parts.at(-4) ?? known.parts[0];
    if (!start) throw new Error('empty playlist');
    await this.take(start.uri);
    while (!this.stopped) {
      const listed = known.parts.map((p) => partNumber(p.uri));
      if (listed.length > 0 && listed[0] > this.lastPart + 1) {
        // Fell out of the window: resume at the oldest listed part, as a player jumps ahead.
        this.behind += listed[0] - this.lastPart - 1;
        this.lastPart = listed[0] - 1;
        this.lastSequence = -1;
      }
      for (const p of known.parts) {
        if (partNumber(p.uri) > this.lastPart && !this.stopped) await this.take(p.uri);
      }
      const last = known.parts.at(-1);
      const hinted = known.hint;
      const [reload] = await Promise.all([
        fetchBuffer(`${this.base}/hls/live.m3u8?_HLS_msn=${last.msn}&_HLS_part=${last.index + 1}`),
        hinted && partNumber(hinted) === this.lastPart + 1 ? this.take(hinted) : undefined,
      ]);
      if (reload.status !== 200) {
        this.errors.push(`playlist HTTP ${reload.status}`);
        await new Promise((r) => setTimeout(r, 300));
        known = parsePlaylist((await fetchBuffer(`${this.base}/hls/live.m3u8`)).body.toString());
        continue;
      }
      known = parsePlaylist(reload.body.toString());
    }
  }

  async take(uri) {
    const n = partNumber(uri);
    const r = await fetchBuffer(`${this.base}/hls/${uri}`);
    const t = now();
    if (r.status === 404) {
      // Gone from the window while this viewer lagged (the load generator, not the server)? Only if the
      // playlist no longer lists it.
      const now = parsePlaylist((await fetchBuffer(`${this.base}/hls/live.m3u8`)).body.toString());
      const oldest = partNumber(now.parts[0]?.uri ?? '');
      if (n < oldest) {
        this.behind++;
        this.lastPart = n;
        this.lastSequence = -1;
        return;
      }
    }
    if (r.status !== 200) {
      this.errors.push(`part ${n}: HTTP ${r.status}`);
      return;
    }
    const seq = fragmentSequences(r.body);
    if (!seq) this.errors.push(`part ${n}: not moof+mdat pairs`);
    else {
      if (this.lastPart >= 0 && n !== this.lastPart + 1)
        this.errors.push(`part ${n} after ${this.lastPart}`);
      if (this.lastSequence >= 0 && seq[0] !== this.lastSequence + 1)
        this.errors.push(`part ${n}: fragment ${seq[0]} after ${this.lastSequence}`);
      for (let i = 1; i < seq.length; i++)
        if (seq[i] !== seq[i - 1] + 1) this.errors.push(`part ${n}: fragments out of order`);
      this.lastSequence = seq.at(-1);
    }
    if (!firstSeen.has(n) || firstSeen.get(n) > t) firstSeen.set(n, t);
    if (this.sample) sampled.push([n, t]);
    this.lastPart = n;
    this.parts++;
    this.bytes += r.body.length;
  }
}

const viewers = [];
const runs = [];

process.on('message', async (m) => {
  if (m.type === 'add') {
    for (let i = 0; i < m.count; i++) {
      const v = new Viewer(m.base, viewers.length % 10 === 0);
      viewers.push(v);
      runs.push(v.run().catch((e) => v.errors.push(`stopped: ${e.message}`)));
      await new Promise((r) => setTimeout(r, m.rampMs / Math.max(1, m.count)));
    }
    process.send({ type: 'added', viewers: viewers.length });
  } else if (m.type === 'report') {
    process.send({
      type: 'report',
      viewers: viewers.length,
      parts: viewers.reduce((n, v) => n + v.parts, 0),
      bytes: viewers.reduce((n, v) => n + v.bytes, 0),
      behind: viewers.reduce((n, v) => n + v.behind, 0),
      viewersBehind: viewers.filter((v) => v.behind > 0).length,
      viewersWithErrors: viewers.filter((v) => v.errors.length > 0).length,
      firstErrors: viewers.flatMap((v) => v.errors).slice(0, 3),
      firstSeen: [...firstSeen],
      sampled,
    });
    firstSeen = new Map();
    sampled = [];
  } else if (m.type === 'stop') {
    for (const v of viewers) v.stopped = true;
    await Promise.race([Promise.all(runs), new Promise((r) => setTimeout(r, 10_000))]);
    agent.destroy();
    process.exit(0);
  }
});
