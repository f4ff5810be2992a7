/**
 * A JSON parser that remembers the line of every value, so a validation error can say "line 812:
 * samples[790].t" instead of leaving the user to count. It also accepts the `//` and `/* *\/`
 * comments and trailing commas of the documented (jsonc) examples. Cost: one pass, one map entry
 * per value — a 30-minute trace at 1 Hz (~12 000 values) parses in a few milliseconds.
 */

/** A parsed document and the lines of its values. */
export interface LocatedJson {
  value: unknown;
  /**
   * 1-based line of the value at `path`; for a path that does not exist (a missing field), the
   * line of its nearest existing ancestor. Undefined only for an empty path list on empty input.
   */
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

/** A syntax error with its position. */
export class JsonLocationError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
    this.name = 'JsonLocationError';
  }
}

const pathKey = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join('\u0000');

/** Parses `text`; throws `JsonLocationError` on a syntax error. */
export function parseLocatedJson(text: string): LocatedJson {
  const lines = new Map<string, number>();
  let index = 0;
  let line = 1;
  let lineStart = 0;

  const fail = (message: string): never => {
    throw new JsonLocationError(message, line, index - lineStart + 1);
  };

  const skipSpace = (): void => {
    while (index < text.length) {
      const char = text[index];
      if (char === '\n') {
        line++;
        index++;
        lineStart = index;
      } else if (char === ' ' || char === '\t' || char === '\r') {
        index++;
      } else if (char === '/' && text[index + 1] === '/') {
        while (index < text.length && text[index] !== '\n') index++;
      } else if (char === '/' && text[index + 1] === '*') {
        const end = text.indexOf('*/', index + 2);
        if (end < 0) fail('unterminated comment');
        for (let i = index; i < end; i++) {
          if (text[i] === '\n') {
            line++;
            lineStart = i + 1;
          }
        }
        index = end + 2;
      } else {
        break;
      }
    }
  };

  const parseString = (): string => {
    const start = index;
    index++; // opening quote
    while (index < text.length && text[index] !== '"') {
      if (text[index] === '\\') index++;
      else if (text[index] === '\n') fail('unterminated string');
      index++;
    }
    if (index >= text.length) fail('unterminated string');
    index++;
    try {
      return JSON.parse(text.slice(start, index)) as string;
    } catch {
      return fail('invalid string escape');
    }
  };

  const parseValue = (path: PropertyKey[]): unknown => {
    skipSpace();
    lines.set(pathKey(path), line);
    const char = text[index];
    if (char === '{') return parseObject(path);
    if (char === '[') return parseArray(path);
    if (char === '"') return parseString();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(index, index + 64));
    if (!literal) return fail(char === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(char)}`);
    index += literal[0].length;
    return JSON.parse(literal[0]) as unknown;
  };

  const parseObject = (path: PropertyKey[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    index++;
    for (;;) {
      skipSpace();
      if (text[index] === '}') {
        index++;
        return out;
      }
      if (text[index] !== '"') fail('expected a quoted property name or "}"');
      const key = parseString();
      skipSpace();
      if (text[index] !== ':') fail(`expected ":" after ${JSON.stringify(key)}`);
      index++;
      out[key] = parseValue([...path, key]);
      skipSpace();
      if (text[index] === ',') index++;
      else if (text[index] !== '}') fail('expected "," or "}"');
    }
  };

  const parseArray = (path: PropertyKey[]): unknown[] => {
    const out: unknown[] = [];
    index++;
    for (;;) {
      skipSpace();
      if (text[index] === ']') {
        index++;
        return out;
      }
      out.push(parseValue([...path, out.length]));
      skipSpace();
      if (text[index] === ',') index++;
      else if (text[index] !== ']') fail('expected "," or "]"');
    }
  };

  const value = parseValue([]);
  skipSpace();
  if (index < text.length) fail('unexpected text after the document');

  return {
    value,
    lineOf(path) {
      for (let length = path.length; length >= 0; length--) {
        const found = lines.get(pathKey(path.slice(0, length)));
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
