/**
 * Failures of a remote engine, as values with a kind the failover (to come) can act on and a
 * sentence for the user. The MaiError code stays one of the shared ones: `forbidden` for a refused
 * key, `network` for everything a retry elsewhere could cure, `model-not-found`, `prompt-too-long`.
 */
import { MaiError, type ErrorCode } from '../../../shared/errors';

/** What went wrong with a remote server. */
export type RemoteFailure =
  /** Connection refused, reset, DNS: nothing answered. */
  | 'unreachable'
  /** 401/403: the API key is wrong or missing. */
  | 'unauthorized'
  /** 5xx, or 503 while the server loads its model. */
  | 'server-error'
  /** Another 4xx the server explained. */
  | 'refused'
  /** No byte for the idle timeout (a hung server or network). */
  | 'timeout'
  /** The answer is a web page, not the API (a proxy's login page, a wrong port). */
  | 'html'
  /** An event that is not the API's JSON. */
  | 'malformed'
  /** An event over the size limit. */
  | 'oversized'
  /** The stream ended before `[DONE]` (the server went away mid-reply). */
  | 'incomplete'
  /** The model is not among the server's models. */
  | 'model-missing'
  /** The conversation cannot fit the server's context. */
  | 'context';

const codes: Record<RemoteFailure, ErrorCode> = {
  unreachable: 'network',
  unauthorized: 'forbidden',
  'server-error': 'network',
  refused: 'bad-request',
  timeout: 'network',
  html: 'network',
  malformed: 'network',
  oversized: 'network',
  incomplete: 'network',
  'model-missing': 'model-not-found',
  context: 'prompt-too-long',
};

/** A remote engine's failure: `failure` says which, the message says it to the user. */
export class RemoteError extends MaiError {
  constructor(
    readonly failure: RemoteFailure,
    message: string,
  ) {
    super(codes[failure], message);
  }
}

/** Removes `secret` from text that may echo it (a server's error body, an exception's message). */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[API key]') : text;
}
