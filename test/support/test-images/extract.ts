/**
 * A test image's root filesystem in a plain directory, made with GNU tar and
 * independently of src/ (for checking image contents, or running them with
 * another runtime in benchmarks). Whiteouts of each layer are applied to the
 * layers below it before the layer itself is extracted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './exec.js';
import type { TestImage } from './images.js';

function blob(image: TestImage, digest: string): string {
  return path.join(image.layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

/** Removes `rel` under root without following a symlink out of it. */
function removeInside(root: string, rel: string): void {
  const target = path.resolve(root, rel);
  if (!target.startsWith(`${path.resolve(root)}/`)) throw new Error(`whiteout outside the root: ${rel}`);
  fs.rmSync(target, { recursive: true, force: true });
}

/** Extracts all layers of image into targetDir (created if missing; should be empty). */
export async function extractImage(image: TestImage, targetDir: string): Promise<void> {
  fs.mkdirSync(targetDir, { recursive: true });
  for (const layer of image.layers) {
    const file = blob(image, layer.digest);
    const { stdout } = await run(['tar', '-tzf', file]);
    for (const raw of stdout.split('\n')) {
      const name = raw.replace(/^\.\//, '').replace(/\/$/, '');
      const base = path.posix.basename(name);
      if (!base.startsWith('.wh.')) continue;
      const dir = path.posix.dirname(name);
      if (base === '.wh..wh..opq') {
        const abs = path.resolve(targetDir, dir);
        if (fs.existsSync(abs)) for (const child of fs.readdirSync(abs)) removeInside(targetDir, path.posix.join(dir, child));
      } else {
        removeInside(targetDir, path.posix.join(dir, base.slice('.wh.'.length)));
      }
    }
    await run(['tar', '--numeric-owner', '--same-owner', '--same-permissions', '--exclude=.wh.*', '-xzf', file, '-C', targetDir]);
  }
}
