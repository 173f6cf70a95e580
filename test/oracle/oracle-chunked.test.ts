// ffmpeg oracle on every fixture fed in 64 KiB chunks, as a file reader or a network stream delivers it
// (checks in oracle-suite.ts, see DEVELOPERS.md).
import { defineOracleSuite } from './oracle-suite.js';

defineOracleSuite('gop', 64 * 1024);
