// ffmpeg oracle on every fixture with fragment: 'gop' (checks in oracle-suite.ts, see DEVELOPERS.md).
import { defineOracleSuite } from './oracle-suite.js';

defineOracleSuite('gop');
