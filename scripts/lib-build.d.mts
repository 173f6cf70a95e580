// Types of scripts/lib-build.mjs.
export declare const LIB_CORE: string;
export declare const LIB_CLI: string;
export declare function ensureLibBuilt(options?: { log?: (line: string) => void }): boolean;
