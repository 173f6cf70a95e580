/** The "Copy link" button: a link that plays the current stream with its settings. */
import { linkQuery, readingOptions } from './params.js';

/** An absolute link to this page playing `src` with the fps and latency boxes' values (empty ones left out). */
export function streamLink(src: string, fps: string, latency: string): string {
  const query = linkQuery({ src, fps, latency, ...readingOptions(location.search) });
  return `${location.origin}${location.pathname}${query}`;
}

/**
 * Copies `text` with the Clipboard API and shows it in `field` as well. Where that API is missing (a
 * page opened over http:// from a LAN address is not a secure context) or refused, the text is left
 * selected in `field` for the user to copy. Resolves to whether it was copied.
 */
export async function copyText(text: string, field: HTMLInputElement): Promise<boolean> {
  field.value = text;
  field.hidden = false;
  try {
    // navigator.clipboard is undefined outside secure contexts.
    if (navigator.clipboard === undefined) throw new Error('no Clipboard API');
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field.focus();
    field.select();
    return false;
  }
}
