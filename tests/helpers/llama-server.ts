/**
 * A real llama.cpp `llama-server` (and `ggml-rpc-server`) on 127.0.0.1, built by
 * build/llama-server.mjs from the llama.cpp source node-llama-cpp ships. Ready is the server's own
^ * "listening on http://…" log line followed by `/health` answering 200 (its model is loaded then).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { builtLlamaServer } from '../../build/llama-server.mjs';

/** The binaries, or undefined when build/llama-server.mjs has not run on this machine. */
export const llamaServerBinaries = builtLlamaServer();

/** Why the real-server tests skip, said once in the test output. */
export const llamaServerMissing = llamaServerBinaries
  ? null
  : 'llama-server is not built on this machine: run `node build/llama-server.mjs` (.ci/run does) to run the tests against the real server.';

/** A port free now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything it printed. */
  output: () => string;
  /** SIGKILL, and waits for the exit. */
  kill: () => Promise<void>;
}

/** Spawns `command` and resolves once `ready(output)` holds (rejects when it exits first or after `timeoutMs`). */
async function spawnUntil(
  command: string,
  args: string[],
  port: number,
  ready: (output: string) => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<RunningProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: RunningProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      void running.kill();
      reject(new Error(`${command} was not ready within ${timeoutMs / 1000} s:\n${output.slice(-2000)}`));
    }, timeoutMs);
    let checking = false;
    const onData = (data: Buffer) => {
      output += data.toString();
      if (checking) return;
      checking = true;
      void Promise.resolve(ready(output)).then((ok) => {
        checking = false;
        if (!ok) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    // Also asked on a clock: a process may go quiet before it is ready (or never print at all).
    const poll = setInterval(() => onData(Buffer.alloc(0)), 200);
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
  return running;
}

/** Starts llama-server on `model` (alias `alias`), one slot, one thread, context `contextSize`. */
export async function startLlamaServer(options: {
  model: string;
  alias: string;
  contextSize?: number;
  apiKey?: string;
  rpc?: string;
  extraArgs?: string[];
  /** The port to listen on (a server restarted where Mai knows it); default: a free one. */
  port?: number;
}): Promise<RunningProcess> {
  if (!llamaServerBinaries) throw new Error(llamaServerMissing!);
  const port = options.port ?? (await freePort());
  const args = [
    '-m',
    options.model,
    '--alias',
    options.alias,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-c',
    String(options.contextSize ?? 2048),
    '-np',
    '1',
    '-t',
    '1',
    '--no-webui',
  ];
  if (options.apiKey) args.push('--api-key', options.apiKey);
  // `-lv 4`: this llama.cpp prints where the layers went ("RPC0[host:port] model buffer size") only
  // at log verbosity 4 (the default is 3).
  if (options.rpc) args.push('--rpc', options.rpc, '-ngl', '99', '-lv', '4');
  args.push(...(options.extraArgs ?? []));
  // The log line says the socket is open; /health 200 says the model is loaded.
  return spawnUntil(
    llamaServerBinaries.llamaServer,
    args,
    port,
    async (output) =>
      /listening on http/.test(output) &&
      (await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      )),
    120_000,
  );
}

/** Starts ggml-rpc-server on 127.0.0.1 (CPU backend). */
export async function startRpcServer(): Promise<RunningProcess> {
  if (!llamaServerBinaries) throw new Error(llamaServerMissing!);
  const port = await freePort();
  return spawnUntil(
    llamaServerBinaries.rpcServer,
    ['-H', '127.0.0.1', '-p', String(port)],
    port,
    // It prints its banner only to a terminal (stdout is block-buffered into a pipe), so readiness
    // is its port accepting a connection.
    () => acceptsConnections(port),
    60_000,
  );
}

/** Whether something on 127.0.0.1 accepts a TCP connection on `port` (the probe closes at once). */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
