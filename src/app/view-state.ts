/**
 * What the page shows, as one explicit state derived from the session and the page's own errors, and
 * the parts of the page each state shows. A fatal error ends everything: no loading spinner, no
 * record or save, no "reconnecting" notice, whatever the source reported before it.
 */
import type { SessionError, SessionState } from './session.js';

/** Where the bytes come from, once known: a picked file (can be saved), a file URL, a live stream. */
export type SourceShape = 'local-file' | 'remote-file' | 'live';

/** One snapshot of the facts the view is derived from. */
export interface ViewFacts {
  /** The session's state; undefined before any session. */
  readonly session: SessionState | undefined;
  /** Errors raised before a session, then the session's own. */
  readonly errors: readonly SessionError[];
  /** The session's transient message (reconnecting, read complete…). */
  readonly notice: string;
  readonly source: SourceShape | undefined;
  /** An init segment arrived: the input is H.264 this browser can play. */
  readonly identified: boolean;
  /** The video element has a picture to show. */
  readonly pictures: boolean;
}

export type ActivePhase = Exclude<SessionState, 'error'>;

export type ViewState =
  | { readonly kind: 'idle' }
  /** Fatal: nothing more happens. */
  | {
      readonly kind: 'failed';
      readonly error: SessionError;
      readonly source: SourceShape | undefined;
      readonly identified: boolean;
      readonly pictures: boolean;
    }
  /** A live URL that has not answered yet: its error stays up while it is tried again. */
  | { readonly kind: 'retrying'; readonly error: SessionError; readonly notice: string }
  /** A session at work (including reconnecting after the stream was lost). */
  | {
      readonly kind: 'active';
      readonly phase: ActivePhase;
      readonly source: SourceShape | undefined;
      readonly notice: string;
      readonly identified: boolean;
      readonly pictures: boolean;
    };

export function viewState(facts: ViewFacts): ViewState {
  const error = facts.errors[facts.errors.length - 1];
  const state = facts.session;
  if (error && state === 'reconnecting') return { kind: 'retrying', error, notice: facts.notice };
  if (error || state === 'error') {
    return {
      kind: 'failed',
      error: error ?? { code: 'INTERNAL', message: 'Playback stopped.', detail: {} },
      source: facts.source,
      identified: facts.identified,
      pictures: facts.pictures,
    };
  }
  if (state === undefined) return { kind: 'idle' };
  return {
    kind: 'active',
    phase: state,
    source: facts.source,
    notice: facts.notice,
    identified: facts.identified,
    pictures: facts.pictures,
  };
}

/** The parts of the page a state shows. */
export interface Shown {
  readonly error: SessionError | undefined;
  /** '' for none. */
  readonly notice: string;
  /** The video element: hidden when it has nothing to show and nothing is coming. */
  readonly video: boolean;
  /** The browser's media controls, with their loading spinner. */
  readonly mediaControls: boolean;
  readonly stats: boolean;
  /** Inspector, share and snapshot buttons. */
  readonly toolbar: boolean;
  readonly save: boolean;
  readonly record: boolean;
  readonly snapshot: boolean;
}

const NOTHING: Shown = {
  error: undefined,
  notice: '',
  video: false,
  mediaControls: false,
  stats: false,
  toolbar: false,
  save: false,
  record: false,
  snapshot: false,
};

export function shownFor(view: ViewState): Shown {
  switch (view.kind) {
    case 'idle':
      return NOTHING;
    case 'retrying':
      return { ...NOTHING, error: view.error, notice: view.notice };
    case 'failed': {
      // A picked file this browser has no decoder for still converts: the MP4 plays elsewhere.
      const save =
        view.error.code === 'CODEC_UNSUPPORTED' && view.identified && view.source === 'local-file';
      // A stream that played before it failed keeps its last picture, stats and inspector history.
      return {
        ...NOTHING,
        error: view.error,
        notice: save
          ? 'Save as MP4 still converts it, for a player that decodes it (VLC, mpv, another browser).'
          : '',
        save,
        video: view.pictures,
        stats: view.identified,
        toolbar: view.identified,
        snapshot: view.pictures,
      };
    }
    case 'active':
      return {
        ...NOTHING,
        notice: view.notice,
        video: true,
        mediaControls: true,
        stats: view.identified,
        toolbar: view.identified,
        save: view.identified && view.source === 'local-file',
        record: view.identified && view.source === 'live',
        snapshot: view.pictures,
      };
  }
}
