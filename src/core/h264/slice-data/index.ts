// The slice-data walker lives in ../slice-data.ts (src/core imports stay one level deep); this path re-exports it.
export { walkSliceData } from '../slice-data.js';
export type {
  MacroblockInfo,
  SliceDataParameterSets,
  SliceDataResult,
  WalkOptions,
} from '../slice-data.js';
