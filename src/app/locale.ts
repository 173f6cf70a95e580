/**
 * A page language that Intl accepts. WebKitGTK started with LANG=C.UTF-8 (as CI machines run) reports navigator.language as 'C', which
 * is not a BCP 47 tag: `new Intl.NumberFormat('C')` throws, and uPlot does just that when its module loads, so
 * the page's UI did not load at all. Imported before the inspector: such a tag is replaced by 'en-US'.
 */
function acceptedByIntl(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== 'undefined' && !acceptedByIntl(navigator.language)) {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}

export {};
