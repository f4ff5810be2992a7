/** An AppCore with the real engine in a child process, as the web host runs it. */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppEvent, AppPayload } from '../../shared/contract';
import { AppCore, type AppCoreOptions } from '../../electron/main/core/app-core';
import { NodeEngineLauncher } from '../../electron/main/core/engine-launcher';
import { engineEntry, testModelsDir } from './models';

export interface RecordedEvent {
  event: AppEvent;
  payload: unknown;
}

export function createTestCore(options: Partial<AppCoreOptions> = {}): {
  core: AppCore;
  events: RecordedEvent[];
  waitFor: <E extends AppEvent>(event: E, predicate?: (payload: AppPayload<E>) => boolean, timeoutMs?: number) => Promise<AppPayload<E>>;
} {
  if (!existsSync(engineEntry)) throw new Error(`${engineEntry} is missing: run \`npm run build\` first.`);
  const core = new AppCore({
    mode: 'web',
    launcher: new NodeEngineLauncher(engineEntry, { ...process.env, MAI_GPU: 'off', MAI_TEST_HOOKS: '1' }),
    modelsDir: testModelsDir,
    createDemoModels: false,
    log: () => {},
    ...options,
  });
  const events: RecordedEvent[] = [];
  const waiters = new Set<() => void>();
  core.subscribe((event, payload) => {
    events.push({ event, payload });
    for (const waiter of [...waiters]) waiter();
  });
  const waitFor = <E extends AppEvent>(event: E, predicate: (payload: AppPayload<E>) => boolean = () => true, timeoutMs = 60_000) =>
    new Promise<AppPayload<E>>((resolve, reject) => {
      const start = events.length;
      const check = () => {
        const hit = events.slice(start).find((e) => e.event === event && predicate(e.payload as AppPayload<E>));
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit.payload as AppPayload<E>);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${event}`));
      }, timeoutMs);
      waiters.add(check);
    });
  return { core, events, waitFor };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
