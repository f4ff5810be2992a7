/** The app's keyboard shortcuts as a pure mapping from a key event to an action. */

export type ShortcutAction = 'new-chat' | 'focus-search' | 'regenerate' | 'toggle-panel';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  isComposing?: boolean;
}

/** Ctrl on Windows and Linux, Cmd on macOS (either is accepted everywhere). */
export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (event.isComposing || event.altKey || !(event.ctrlKey || event.metaKey)) return null;
  const key = event.key.toLowerCase();
  if (event.shiftKey) return key === 'r' ? 'regenerate' : null;
  switch (key) {
    case 'n':
      return 'new-chat';
    case 'k':
      return 'focus-search';
    case 'b':
      return 'toggle-panel';
    default:
      return null;
  }
}

/** The label shown in tooltips: "Ctrl+N" or "⌘N". */
export function shortcutLabel(action: ShortcutAction, mac: boolean): string {
  const keys: Record<ShortcutAction, string> = { 'new-chat': 'N', 'focus-search': 'K', regenerate: 'Shift+R', 'toggle-panel': 'B' };
  const key = keys[action];
  return mac ? `⌘${key.replace('Shift+', '⇧')}` : `Ctrl+${key}`;
}
