/**
 * The simulate command: `npm run simulate -- TRACE.json [--policy proactive|reactive] [--verbose]`.
 * Standard output carries JSON lines only (decisions, switches, then the summary). Errors go to
 * standard error with exit code 2 and name the field and the line. `--verbose` writes the
 * scaler's log lines to standard error. simulate-cli.ts is the entry that runs this.
 */
import { readFileSync } from 'node:fs';
import { ResourceInputError } from '../resource/policy/settings';
import { runSimulation, type SimulationPolicy } from './simulate';
import { parseTraceText } from './trace';

const USAGE = 'usage: npm run simulate -- TRACE.json [--policy proactive|reactive] [--verbose]';

interface CliArguments {
  file: string;
  policy: SimulationPolicy;
  verbose: boolean;
}

function parseArguments(args: readonly string[]): CliArguments {
  let file: string | undefined;
  let policy: SimulationPolicy = 'proactive';
  let verbose = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--policy' || arg.startsWith('--policy=')) {
      const value = arg.includes('=') ? arg.slice('--policy='.length) : args[++i];
      if (value !== 'proactive' && value !== 'reactive') throw new UsageError(`--policy must be "proactive" or "reactive"; got ${JSON.stringify(value ?? '')}`);
      policy = value;
    } else if (arg === '--verbose') {
      verbose = true;
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError(USAGE);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (file === undefined) {
      file = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  if (file === undefined) throw new UsageError('missing the trace file');
  return { file, policy, verbose };
}

class UsageError extends Error {}

/** Where the command writes; tests pass their own. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the command; resolves to the exit code (0, or 2 for bad arguments or input). */
export async function main(args: readonly string[], output: CliOutput = processOutput): Promise<number> {
  let parsed: CliArguments;
  try {
    parsed = parseArguments(args);
  } catch (error) {
    output.stderr(`${(error as Error).message}\n${(error as Error).message === USAGE ? '' : `${USAGE}\n`}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(parsed.file, 'utf8');
  } catch (error) {
    output.stderr(`cannot read ${parsed.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 2;
  }
  try {
    const trace = parseTraceText(text);
    await runSimulation(trace, {
      policy: parsed.policy,
      onLine: (line) => output.stdout(`${JSON.stringify(line)}\n`),
      ...(parsed.verbose ? { log: (line: string) => output.stderr(`${line}\n`) } : {}),
    });
    return 0;
  } catch (error) {
    if (error instanceof ResourceInputError) {
      output.stderr(`${parsed.file}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
