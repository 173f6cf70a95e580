// ffmpeg oracle on every fixture with fragment: 'frame' (checks in oracle-suite.ts, see DEVELOPERS.md).
import { defineOracleSuite } from './oracle-suite.js';

defineOracleSuite('frame');
