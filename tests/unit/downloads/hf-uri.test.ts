import { describe, expect, it } from 'vitest';
import { DownloadFailure } from '../../../electron/main/core/downloads/errors';
import { huggingFaceResolveUrl, parseHuggingFaceUri, resolveModelUrl } from '../../../electron/main/core/downloads/hf-uri';

describe('hf: URIs', () => {
  it('resolves owner/repo/file#revision to the Hub resolve endpoint', () => {
    expect(resolveModelUrl('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf#main')).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf',
    );
  });

  it('defaults the revision to main and pins a commit when given', () => {
    expect(resolveModelUrl('hf:owner/repo/model.gguf')).toBe('https://huggingface.co/owner/repo/resolve/main/model.gguf');
    expect(resolveModelUrl('hf:owner/repo/model.gguf#0123abcd')).toBe('https://huggingface.co/owner/repo/resolve/0123abcd/model.gguf');
  });

  it('keeps folders in the file path and encodes each segment; the revision is one segment', () => {
    expect(resolveModelUrl('hf:owner/repo/Q4 K M/part 1.gguf#refs/pr/1')).toBe(
      'https://huggingface.co/owner/repo/resolve/refs%2Fpr%2F1/Q4%20K%20M/part%201.gguf',
    );
    expect(parseHuggingFaceUri('hf:o/r/a/b/c.gguf#v1')).toEqual({ owner: 'o', repo: 'r', file: 'a/b/c.gguf', revision: 'v1' });
  });

  it('accepts a base URL override (tests, mirrors) with or without a trailing slash', () => {
    const ref = parseHuggingFaceUri('hf:o/r/m.gguf');
    expect(huggingFaceResolveUrl(ref, 'http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/o/r/resolve/main/m.gguf');
    expect(resolveModelUrl('hf:o/r/m.gguf', 'https://hf-mirror.example/base')).toBe('https://hf-mirror.example/base/o/r/resolve/main/m.gguf');
  });

  it('tolerates hf:// and surrounding spaces', () => {
    expect(resolveModelUrl('  hf://o/r/m.gguf  ')).toBe('https://huggingface.co/o/r/resolve/main/m.gguf');
  });

  it('passes http(s) URLs through', () => {
    expect(resolveModelUrl('https://example.com/a%20b.gguf?x=1')).toBe('https://example.com/a%20b.gguf?x=1');
    expect(resolveModelUrl('http://127.0.0.1:9/m.gguf')).toBe('http://127.0.0.1:9/m.gguf');
  });

  it.each([
    ['hf:owner/repo', /expected hf:<owner>\/<repo>\/<file>/],
    ['hf:owner//file.gguf', /empty or relative path segment/],
    ['hf:owner/repo/../../etc/passwd', /empty or relative path segment/],
    ['hf:owner/repo/m.gguf#', /revision/],
    ['ftp://example.com/m.gguf', /scheme ftp: is not supported/],
    ['file:///etc/passwd', /scheme file: is not supported/],
    ['not a url', /neither an http\(s\) URL nor an hf: URI/],
  ])('refuses %s with a sentence', (uri, why) => {
    let caught: unknown;
    try {
      resolveModelUrl(uri);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DownloadFailure);
    expect((caught as DownloadFailure).code).toBe('invalid-request');
    expect((caught as DownloadFailure).message).toMatch(why);
    expect((caught as DownloadFailure).message).toMatch(/^".*" is not a valid model address: .*\.$/);
  });
});
