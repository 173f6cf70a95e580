/**
 * Whether the page is visible, as a dependency: the player never reads `document` (it can then run
 * in a worker, where MSE exists in Chromium: `MediaSource.canConstructInDedicatedWorker`).
 */
export interface Visibility {
  readonly visible: boolean;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** For a player without a page (a worker, a test): always visible. */
export const alwaysVisible: Visibility = {
  visible: true,
  subscribe: () => () => undefined,
};

/** The Page Visibility API of `doc` (HTML §6.2 `visibilityState`). */
export function documentVisibility(doc: Document): Visibility {
  return {
    get visible() {
      return doc.visibilityState === 'visible';
    },
    subscribe(listener) {
      doc.addEventListener('visibilitychange', listener);
      return () => doc.removeEventListener('visibilitychange', listener);
    },
  };
}
