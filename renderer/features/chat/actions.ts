/** Chat actions shared by buttons and keyboard shortcuts. */
import { call } from '../../ipc/api';
import { pushNotice, useAppStore } from '../../stores/app-store';

const fail = (error: unknown) => pushNotice({ level: 'error', message: (error as Error).message });

/** True when there is a finished reply to regenerate. */
export function canRegenerate(): boolean {
  const state = useAppStore.getState();
  if (state.generating) return false;
  for (let i = state.messageIds.length - 1; i >= 0; i -= 1) {
    const message = state.messages[state.messageIds[i] ?? ''];
    if (message?.role === 'assistant') return true;
  }
  return false;
}

/** Replaces the last reply with a new one (the binder receives it as it streams). */
export function regenerate(): void {
  if (!canRegenerate()) return;
  call('chat:regenerate', {}).catch(fail);
}

export function stopReply(): void {
  call('chat:stop', {}).catch(fail);
}

/** Copies text to the clipboard; falls back to a hidden textarea where the Clipboard API is refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    let ok: boolean;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
