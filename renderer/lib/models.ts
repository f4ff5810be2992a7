/** Model names for paths and ids, from the ladder (which has display names) or the file list. */
import type { ModelEntry } from '../../shared/domain';
import type { LadderRungData } from '../../shared/resource';

export function baseName(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  return name.replace(/\.gguf$/i, '');
}

/** "Demo 30 MB (gibberish)" for a ladder rung's id or path; the file name otherwise. */
export function modelLabel(idOrPath: string | number | undefined, ladder: readonly LadderRungData[], models: readonly ModelEntry[] = []): string {
  if (idOrPath === undefined) return '';
  if (typeof idOrPath === 'number') return String(idOrPath);
  const rung = ladder.find((r) => r.id === idOrPath || r.path === idOrPath);
  if (rung) return rung.step ? `${rung.name} (${rung.step})` : rung.name;
  const entry = models.find((m) => m.path === idOrPath);
  return baseName(entry?.fileName ?? idOrPath);
}
