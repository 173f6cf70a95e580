// A validator for LL-HLS media playlists, written from RFC 8216bis (draft-pantos-hls-rfc8216bis) and Apple's
// LL-HLS rules, independent of the playlist writer: it parses the text as a client would and lists every
// rule broken, each naming its section. `previous` (the playlist fetched before) adds the rules that
// hold between two reloads of a live playlist (§6.2.1, §6.2.2).

export interface ParsedPart {
  readonly uri: string;
  readonly duration: number;
  readonly independent: boolean;
}

export interface ParsedSegment {
  readonly msn: number;
  /** undefined: the segment in progress (parts only). */
  readonly uri: string | undefined;
  readonly duration: number | undefined;
  readonly parts: ParsedPart[];
  /** The EXT-X-MAP in force for this segment. */
  readonly map: string | undefined;
  readonly discontinuity: boolean;
  readonly programDateTime: number | undefined;
}

export interface ParsedPlaylist {
  readonly version: number | undefined;
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly partTarget: number | undefined;
  readonly serverControl: Readonly<Record<string, string>>;
  readonly independentSegments: boolean;
  readonly segments: ParsedSegment[];
  readonly preloadHints: Readonly<Record<string, string>>;
  readonly ended: boolean;
}

export interface Validation {
  readonly playlist: ParsedPlaylist;
  readonly errors: string[];
}

export interface ValidateOptions {
  /** Reads the sequence number from a part URI: then parts must be numbered without gaps and the hint must name the next one. */
  readonly partNumber?: (uri: string) => number | undefined;
  /** The playlist fetched before this one (same URL). */
  readonly previous?: ParsedPlaylist;
}

/** §4.2 attribute lists: NAME=value pairs; quoted strings keep their quotes off. */
function attributes(text: string, errors: string[], tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Z0-9-]+)=("[^"\r\n]*"|[^",\s]*)(,|$)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length && (m = re.exec(text)) !== null) {
    const [, name, raw] = m as unknown as [string, string, string];
    if (out.has(name)) errors.push(`§4.2: ${tag} repeats attribute ${name}`);
    out.set(name, raw.startsWith('"') ? raw.slice(1, -1) : raw);
    at = re.lastIndex;
  }
  if (at !== text.length) errors.push(`§4.2: ${tag} has a malformed attribute list: "${text}"`);
  return out;
}

const DECIMAL_INTEGER = /^\d{1,20}$/;
const DECIMAL_FLOAT = /^\d+(\.\d+)?$/;

export function validatePlaylist(text: string, options: ValidateOptions = {}): Validation {
  const errors: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== '#EXTM3U') errors.push('§4.4.1.1: the first line must be #EXTM3U');
  if (!text.endsWith('\n')) errors.push('§4.1: lines end with a line feed');
  let version: number | undefined;
  let targetDuration: number | undefined;
  let mediaSequence: number | undefined;
  let discontinuitySequence: number | undefined;
  let partTarget: number | undefined;
  let serverControl: Record<string, string> = {};
  let independentSegments = false;
  let ended = false;
  const preloadHints: Record<string, string> = {};
  const segments: ParsedSegment[] = [];
  let pending: {
    parts: ParsedPart[];
    map: string | undefined;
    discontinuity: boolean;
    pdt: number | undefined;
    duration: number | undefined;
  } = { parts: [], map: undefined, discontinuity: false, pdt: undefined, duration: undefined };
  let map: string | undefined;
  let mapSeen = false;
  const seen = new Set<string>();
  const once = (tag: string): void => {
    if (seen.has(tag)) errors.push(`${tag} appears more than once`);
    seen.add(tag);
  };
  const beforeSegments = (tag: string, section: string): void => {
    if (segments.length > 0 || pending.parts.length > 0)
      errors.push(`${section}: ${tag} must come before the first media segment`);
  };
  const flushSegment = (uri: string | undefined): void => {
    segments.push({
      msn: (mediaSequence ?? 0) + segments.length,
      uri,
      duration: pending.duration,
      parts: pending.parts,
      map,
      discontinuity: pending.discontinuity,
      programDateTime: pending.pdt,
    });
    pending = {
      parts: [],
      map: undefined,
      discontinuity: false,
      pdt: undefined,
      duration: undefined,
    };
  };

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if (!line.startsWith('#')) {
      // A URI line: closes the segment described by the tags above it.
      if (pending.duration === undefined) errors.push(`§4.4.4.1: URI ${line} without #EXTINF`);
      if (ended) errors.push('§4.4.3.4: media segment after #EXT-X-ENDLIST');
      flushSegment(line);
      continue;
    }
    if (!line.startsWith('#EXT')) continue; // a comment
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-VERSION':
        once(tag);
        if (!DECIMAL_INTEGER.test(value)) errors.push(`§4.4.1.2: bad version ${value}`);
        version = Number(value);
        break;
      case '#EXT-X-TARGETDURATION':
        once(tag);
        beforeSegments(tag, '§4.4.3.1');
        if (!DECIMAL_INTEGER.test(value))
          errors.push(`§4.4.3.1: target duration must be an integer`);
        targetDuration = Number(value);
        break;
      case '#EXT-X-MEDIA-SEQUENCE':
        once(tag);
        beforeSegments(tag, '§4.4.3.2');
        if (!DECIMAL_INTEGER.test(value)) errors.push(`§4.4.3.2: bad media sequence ${value}`);
        mediaSequence = Number(value);
        break;
      case '#EXT-X-DISCONTINUITY-SEQUENCE':
        once(tag);
        beforeSegments(tag, '§4.4.3.3');
        if (!DECIMAL_INTEGER.test(value)) errors.push(`§4.4.3.3: bad discontinuity sequence`);
        discontinuitySequence = Number(value);
        break;
      case '#EXT-X-INDEPENDENT-SEGMENTS':
        once(tag);
        independentSegments = true;
        break;
      case '#EXT-X-PART-INF': {
        once(tag);
        const a = attributes(value, errors, tag);
        const t = a.get('PART-TARGET');
        if (t === undefined || !DECIMAL_FLOAT.test(t) || Number(t) <= 0)
          errors.push('§4.4.3.7: PART-TARGET (a decimal-floating-point) is required');
        else partTarget = Number(t);
        break;
      }
      case '#EXT-X-SERVER-CONTROL':
        once(tag);
        serverControl = Object.fromEntries(attributes(value, errors, tag));
        break;
      case '#EXT-X-ENDLIST':
        once(tag);
        ended = true;
        break;
      case '#EXT-X-MAP': {
        const a = attributes(value, errors, tag);
        const uri = a.get('URI');
        if (uri === undefined) errors.push('§4.4.4.5: EXT-X-MAP needs URI');
        if (pending.parts.length > 0)
          errors.push('§4.4.4.5: EXT-X-MAP between the parts of a segment');
        map = uri;
        mapSeen = true;
        pending.map = uri;
        break;
      }
      case '#EXT-X-DISCONTINUITY':
        if (pending.parts.length > 0) errors.push('§4.4.4.3: EXT-X-DISCONTINUITY between parts');
        pending.discontinuity = true;
        break;
      case '#EXT-X-PROGRAM-DATE-TIME': {
        const t = Date.parse(value);
        if (
          !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/.test(value) ||
          Number.isNaN(t)
        )
          errors.push(`§4.4.4.6: bad date-time ${value}`);
        pending.pdt = t;
        break;
      }
      case '#EXTINF': {
        const m = /^(\d+(?:\.\d+)?),.*$/.exec(value);
        if (!m) errors.push(`§4.4.4.1: bad EXTINF ${value}`);
        else pending.duration = Number(m[1]);
        break;
      }
      case '#EXT-X-PART': {
        const a = attributes(value, errors, tag);
        const uri = a.get('URI');
        const d = a.get('DURATION');
        if (uri === undefined) errors.push('§4.4.4.9: EXT-X-PART needs URI');
        if (d === undefined || !DECIMAL_FLOAT.test(d))
          errors.push('§4.4.4.9: EXT-X-PART needs DURATION');
        for (const k of ['INDEPENDENT', 'GAP'])
          if (a.has(k) && a.get(k) !== 'YES')
            errors.push(`§4.4.4.9: ${k} must be YES when present`);
        if (pending.duration !== undefined)
          errors.push('§4.4.4.9: EXT-X-PART after the EXTINF of its segment');
        pending.parts.push({
          uri: uri ?? '',
          duration: Number(d),
          independent: a.get('INDEPENDENT') === 'YES',
        });
        break;
      }
      case '#EXT-X-PRELOAD-HINT': {
        const a = attributes(value, errors, tag);
        const type = a.get('TYPE');
        const uri = a.get('URI');
        if (type !== 'PART' && type !== 'MAP') errors.push('§4.4.5.3: TYPE must be PART or MAP');
        if (uri === undefined) errors.push('§4.4.5.3: EXT-X-PRELOAD-HINT needs URI');
        if (type !== undefined && preloadHints[type] !== undefined)
          errors.push(`§4.4.5.3: more than one preload hint of TYPE=${type}`);
        if (type !== undefined && uri !== undefined) preloadHints[type] = uri;
        break;
      }
      default:
        errors.push(`unknown tag ${tag}`);
    }
  }
  if (pending.parts.length > 0) flushSegment(undefined);

  if (targetDuration === undefined) errors.push('§4.4.3.1: EXT-X-TARGETDURATION is required');
  const td = targetDuration ?? 0;
  if (mapSeen && (version ?? 1) < 6)
    errors.push('§7: EXT-X-MAP in a media playlist needs version 6 or higher');
  if (
    segments.some((s) => s.duration !== undefined && !Number.isInteger(s.duration)) &&
    (version ?? 1) < 3
  )
    errors.push('§7: decimal EXTINF durations need version 3 or higher');
  if (segments.length > 0 && segments[0]!.map === undefined)
    errors.push('§4.4.4.5: an fMP4 playlist needs EXT-X-MAP before its first segment');

  const anyParts = segments.some((s) => s.parts.length > 0);
  if (anyParts && partTarget === undefined)
    errors.push('§4.4.3.7: EXT-X-PART-INF is required with EXT-X-PART');
  if (partTarget !== undefined) {
    const hb = serverControl['PART-HOLD-BACK'];
    if (hb === undefined) errors.push('§4.4.3.8: PART-HOLD-BACK is required with EXT-X-PART-INF');
    else if (Number(hb) < 2 * partTarget)
      errors.push('§4.4.3.8: PART-HOLD-BACK must be at least twice PART-TARGET');
    else if (Number(hb) < 3 * partTarget - 1e-9)
      errors.push('Apple LL-HLS: PART-HOLD-BACK should be at least three PART-TARGETs');
  }
  const cbr = serverControl['CAN-BLOCK-RELOAD'];
  if (cbr !== undefined && cbr !== 'YES')
    errors.push('§4.4.3.8: CAN-BLOCK-RELOAD must be YES when present');
  if (anyParts && cbr !== 'YES')
    errors.push('Apple LL-HLS: a playlist with parts must offer CAN-BLOCK-RELOAD=YES');
  const hold = serverControl['HOLD-BACK'];
  if (hold !== undefined && Number(hold) < 3 * td)
    errors.push('§4.4.3.8: HOLD-BACK must be at least three target durations');

  let prevPdtEnd: number | undefined;
  let prevMap: string | undefined;
  for (const [i, s] of segments.entries()) {
    const where = `segment ${s.msn}`;
    if (s.duration !== undefined && Math.round(s.duration) > td)
      errors.push(`§4.4.3.1: ${where} lasts ${s.duration} s, more than the target duration ${td}`);
    if (partTarget !== undefined) {
      for (const [k, p] of s.parts.entries()) {
        if (p.duration > partTarget)
          errors.push(
            `§4.4.4.9: ${where} part ${k} lasts ${p.duration} s, more than PART-TARGET ${partTarget}`,
          );
        // At least 85% of PART-TARGET, except INDEPENDENT parts and a segment's last (which the newest
        // part of the segment in progress may turn out to be).
        if (k < s.parts.length - 1 && !p.independent && p.duration < 0.85 * partTarget)
          errors.push(
            `§4.4.4.9: ${where} part ${k} is shorter than 85% of PART-TARGET and not its segment's last`,
          );
      }
    }
    if (s.uri !== undefined && s.parts.length > 0 && s.duration !== undefined) {
      const sum = s.parts.reduce((n, p) => n + p.duration, 0);
      if (Math.abs(sum - s.duration) > 1e-4 * (s.parts.length + 1))
        errors.push(`§4.4.4.9: ${where}'s parts add up to ${sum} s, its EXTINF says ${s.duration}`);
    }
    if (independentSegments && s.parts.length > 0 && !s.parts[0]!.independent)
      errors.push(
        `§4.4.2.1: EXT-X-INDEPENDENT-SEGMENTS, but ${where} starts with a dependent part`,
      );
    if (i > 0 && s.map !== prevMap && !s.discontinuity)
      errors.push(`§4.4.4.3: ${where} changes EXT-X-MAP without EXT-X-DISCONTINUITY`);
    prevMap = s.map;
    if (
      s.programDateTime !== undefined &&
      prevPdtEnd !== undefined &&
      s.programDateTime < prevPdtEnd - 2
    )
      errors.push(`§4.4.4.6: ${where}'s program date-time goes back in time`);
    if (s.programDateTime !== undefined) {
      const d = s.duration ?? s.parts.reduce((n, p) => n + p.duration, 0);
      prevPdtEnd = s.programDateTime + d * 1000;
    }
    if (i < segments.length - 1 && s.uri === undefined)
      errors.push(`§4.4.4.9: ${where} has parts but no URI and is not the last`);
  }
  const total = segments.reduce((n, s) => n + (s.duration ?? 0), 0);
  if ((mediaSequence ?? 0) > 0 && !ended && total < 3 * td - 1e-3)
    errors.push(
      `§6.2.2: a live playlist that dropped segments must still last three target durations (${total} s)`,
    );
  if (ended && Object.keys(preloadHints).length > 0)
    errors.push('§4.4.5.3: preload hint after EXT-X-ENDLIST');

  const allParts = segments.flatMap((s) => s.parts);
  const hint = preloadHints['PART'];
  if (hint !== undefined && allParts.some((p) => p.uri === hint))
    errors.push('§4.4.5.3: the preload hint names a part that is already listed');
  if (options.partNumber) {
    const nums = allParts.map((p) => options.partNumber!(p.uri));
    for (let k = 1; k < nums.length; k++)
      if (nums[k] !== (nums[k - 1] ?? NaN) + 1)
        errors.push(`part numbers not consecutive at ${allParts[k]!.uri}`);
    if (
      hint !== undefined &&
      nums.length > 0 &&
      options.partNumber(hint) !== (nums.at(-1) ?? NaN) + 1
    )
      errors.push(`the preload hint ${hint} is not the part after ${allParts.at(-1)!.uri}`);
  }

  const playlist: ParsedPlaylist = {
    version,
    targetDuration: td,
    mediaSequence: mediaSequence ?? 0,
    discontinuitySequence: discontinuitySequence ?? 0,
    partTarget,
    serverControl,
    independentSegments,
    segments,
    preloadHints,
    ended,
  };
  if (options.previous) errors.push(...reloadErrors(options.previous, playlist));
  return { playlist, errors };
}

/** Rules between two reloads of the same live playlist (§6.2.1, §6.2.2, §4.4.3.3). */
function reloadErrors(a: ParsedPlaylist, b: ParsedPlaylist): string[] {
  const errors: string[] = [];
  if (b.mediaSequence < a.mediaSequence) errors.push('§6.2.1: EXT-X-MEDIA-SEQUENCE went down');
  if (b.targetDuration !== a.targetDuration) errors.push('§6.2.1: EXT-X-TARGETDURATION changed');
  if (a.ended && !b.ended) errors.push('§6.2.1: EXT-X-ENDLIST went away');
  const before = new Map(a.segments.map((s) => [s.msn, s]));
  let droppedDiscontinuities = 0;
  for (const s of a.segments)
    if (s.msn < b.mediaSequence && s.discontinuity) droppedDiscontinuities++;
  if (b.discontinuitySequence !== a.discontinuitySequence + droppedDiscontinuities)
    errors.push(
      '§4.4.3.3: EXT-X-DISCONTINUITY-SEQUENCE does not count the discontinuities removed',
    );
  for (const s of b.segments) {
    const old = before.get(s.msn);
    if (!old) continue;
    if (old.uri !== undefined && (old.uri !== s.uri || old.duration !== s.duration))
      errors.push(`§6.2.1: segment ${s.msn} changed between reloads`);
    if (old.discontinuity !== s.discontinuity)
      errors.push(`§6.2.1: segment ${s.msn} changed its discontinuity`);
    if (s.parts.length > 0 && old.parts.length > 0) {
      for (let k = 0; k < Math.min(old.parts.length, s.parts.length); k++)
        if (old.parts[k]!.uri !== s.parts[k]!.uri)
          errors.push(`§6.2.1: part ${k} of segment ${s.msn} changed`);
      if (s.parts.length < old.parts.length && s.uri === undefined)
        errors.push(`§6.2.1: segment ${s.msn} lost parts`);
    }
  }
  return errors;
}
