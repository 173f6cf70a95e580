// The faststart (classic, moov-before-mdat) layout through the same ffmpeg oracle as the fragmented one.
import { describe, expect, it } from 'vitest';
import { allFixtures } from '../helpers/fixtures.js';
import { checkFaststart } from './oracle-suite.js';

/**
 * Fixtures that exercise the sample tables: B-frames (signed ctts), SPS change, fields, open GOP, long GOP (stss),
 * truncation; from other encoders: B-frames with no reorder bound (Cisco), temporal direct, parameter sets
 * switching, CVSs of three sizes whose pictures lost slices (Error_I_P).
 */
const CASES = [
  'p01',
  'p03',
  'p04',
  'p09',
  'p10',
  'p12',
  'p14',
  'p15',
  'p16',
  'p17',
  'conformance/Cisco',
  'conformance/VID_1280x720',
  'conformance/MPS_MW_A',
  'conformance/Error_I_P',
];

describe('faststart MP4 passes the ffmpeg oracle', () => {
  for (const prefix of CASES) {
    const f = allFixtures.find((x) => x.name.startsWith(prefix));
    if (!f) throw new Error(`fixture ${prefix} missing`);
    it(f.name, async () => {
      await checkFaststart(expect, f);
    });
  }
});
