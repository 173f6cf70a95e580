// Types for the part of mux.js's MP4 inspector the page uses (the package ships no declarations).
// It is CommonJS; Vite bundles it (checked with vite 8 build: default import, no plugin needed).
declare module 'mux.js/lib/tools/mp4-inspector.js' {
  export interface InspectedBox {
    readonly type: string;
    readonly size: number;
    readonly boxes?: InspectedBox[];
    readonly [key: string]: unknown;
  }
  const inspector: {
    inspect(data: Uint8Array): InspectedBox[];
    textify(boxes: readonly InspectedBox[], depth?: number): string;
  };
  export default inspector;
}
