/** Builds small tar archives in memory for tests (tar-stream). */
import * as tar from 'tar-stream';

export type TarEntry = Partial<tar.Header> & { name: string; content?: string | Buffer };

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: 0o644, ...header }, content ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A tar of regular files from a name → content map. */
export function tarOfFiles(files: Record<string, string>, owner: { uid?: number; gid?: number } = {}): Promise<Buffer> {
  return makeTar(Object.entries(files).map(([name, content]) => ({ name, content, ...owner })));
}
