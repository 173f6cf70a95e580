/**
 * Keyboard shortcuts of the page, one table for the handler and for the help line that lists them.
 * Keys typed into a field never count, and neither do keys with Ctrl, Alt or Meta (browser shortcuts).
 */

export interface Shortcut {
  /** `KeyboardEvent.key` values that trigger it. */
  readonly keys: readonly string[];
  /** What the help line shows for the key. */
  readonly label: string;
  readonly does: string;
  readonly run: () => void;
}

/** Elements that take typed keys; a space also activates buttons, links and the media controls. */
function takesKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement)
    return (
      !['button', 'submit', 'reset', 'checkbox', 'radio', 'file'].includes(target.type) ||
      key === ' '
    );
  if (key === ' ') return target.matches('button, a[href], summary, video, [role=slider]');
  return target.matches('[role=slider]') && key.startsWith('Arrow');
}

export function installShortcuts(shortcuts: readonly Shortcut[]): void {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (takesKey(event.target, event.key)) return;
    const shortcut = shortcuts.find((s) => s.keys.includes(event.key));
    if (!shortcut) return;
    event.preventDefault();
    shortcut.run();
  });
}

/** The help line: "Keys: space play/pause · f fullscreen · …", with each key as <kbd>. */
export function renderShortcutHelp(into: HTMLElement, shortcuts: readonly Shortcut[]): void {
  const parts: (Node | string)[] = ['Keys: '];
  shortcuts.forEach((s, i) => {
    const kbd = document.createElement('kbd');
    kbd.textContent = s.label;
    parts.push(...(i > 0 ? [' · '] : []), kbd, ` ${s.does}`);
  });
  into.replaceChildren(...parts);
}
