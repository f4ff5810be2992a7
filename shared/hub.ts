/**
 * The Hugging Face Hub as the models page sees it: search results, a repository's GGUF files
 * grouped by quantization with their fit, the token's state, and where an installed model came from.
 * Main talks to the Hub (never the renderer); these are the shapes it sends over window.mai.
 */
import { z } from 'zod';
import { fitSchema } from './catalog';

/** `owner/name`, as the Hub spells repository ids. */
export const hubRepoIdSchema = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a repository is written owner/name');

/** One search hit (`GET /api/models?search=…&filter=gguf`); null where the Hub did not say. */
export const hubModelSummarySchema = z.object({
  repo: hubRepoIdSchema,
  downloads: z.number().nonnegative().nullable(),
  likes: z.number().nonnegative().nullable(),
  /** ISO date of the last commit. */
  lastModified: z.string().max(64).nullable(),
  licence: z.string().max(200).nullable(),
  /** The Hub asks users to accept conditions before downloading (a token is then needed). */
  gated: z.boolean(),
});
export type HubModelSummary = z.infer<typeof hubModelSummarySchema>;

export const hubSearchResultSchema = z.object({
  items: z.array(hubModelSummarySchema).max(200),
  /** Opaque cursor for the next page (from the Hub's `Link: <…>; rel="next"`), null on the last page. */
  nextCursor: z.string().max(4096).nullable(),
});
export type HubSearchResult = z.infer<typeof hubSearchResultSchema>;

/**
 * One chat model a repository offers: a single GGUF file, or all parts of a split model
 * (`…-00001-of-0000N.gguf`), which are downloaded together and count as one model.
 */
export const hubModelFileSchema = z.object({
  /** The file to name when downloading: the file itself, or a split model's first part. */
  file: z.string().min(1).max(1000),
  /** Every file that makes the model, first part first (one entry for an unsplit file). */
  parts: z.array(z.string().min(1).max(1000)).min(1).max(1000),
  /** `Q4_K_M`, `Q8_0`, `F16`…, read from the file name; null when it names none. */
  quantization: z.string().max(40).nullable(),
  /** All parts together, bytes. */
  sizeBytes: z.number().nonnegative(),
  fit: fitSchema,
  installed: z.boolean(),
});
export type HubModelFile = z.infer<typeof hubModelFileSchema>;

export const hubRepoSchema = z.object({
  repo: hubRepoIdSchema,
  /** The commit the listing was read at (downloads pin to the commit resolved when they start). */
  commit: z.string().max(100),
  licence: z.string().max(200).nullable(),
  gated: z.boolean(),
  /** Chat models only (vision projectors `mmproj` are left out), smallest first. */
  files: z.array(hubModelFileSchema).max(2000),
  /** Set when there is nothing to offer, e.g. "This repository has no GGUF files." */
  message: z.string().max(1000).nullable(),
});
export type HubRepo = z.infer<typeof hubRepoSchema>;

/** The Hub access token as the settings page may know it: never the token itself. */
export const hubTokenStatusSchema = z.object({
  /** Where the token in use comes from: Settings, the HF_TOKEN variable, or none. */
  source: z.enum(['settings', 'environment']).nullable(),
  /** The Hub's address (HF_ENDPOINT or https://huggingface.co); the token is sent to this host only. */
  endpoint: z.string().max(2000),
  /**
   * For a token saved in Settings: true when the OS encrypted it before it reached the disk, false
   * when it sits in a private (0600) but unencrypted file (web host; Linux with no keyring, where
   * Electron falls back to a fixed key). null when no token is saved.
   */
  encrypted: z.boolean().nullable(),
});
export type HubTokenStatus = z.infer<typeof hubTokenStatusSchema>;

/** Where an installed model came from, recorded beside it when its download was verified. */
export const modelProvenanceSchema = z.object({
  repo: hubRepoIdSchema,
  /** The file(s) as named in the repository. */
  files: z.array(z.string().max(1000)).min(1).max(1000),
  /** The commit every byte was read at. */
  commit: z.string().max(100),
  /** SHA-256 of each file, as the Hub states it and as Mai computed it, in `files` order. */
  sha256: z
    .array(z.string().regex(/^[0-9a-f]{64}$/))
    .min(1)
    .max(1000),
  /** The Hub's address. */
  endpoint: z.string().max(2000),
  /** When the download was verified, ms since 1970. */
  verifiedAt: z.number(),
});
export type ModelProvenance = z.infer<typeof modelProvenanceSchema>;
