/**
 * The test images by hand, for the README example and for debugging:
 *
 *   node dist/test/harness/cli.js build [NAME...]      build or reuse; print a summary as JSON
 *   node dist/test/harness/cli.js serve [--port N] [NAME...]
 *        start a local registry with the images under library/ names, print
 *        their references, and keep serving until SIGINT or SIGTERM
 */
import { ALL_TEST_IMAGES, ensureTestImages, type TestImageName } from './images.js';
import { serveTestImages } from './serve.js';

function names(args: string[]): TestImageName[] | undefined {
  const picked = args.filter((a) => !a.startsWith('-'));
  for (const n of picked) {
    if (!(ALL_TEST_IMAGES as readonly string[]).includes(n)) throw new Error(`unknown test image '${n}' (known: ${ALL_TEST_IMAGES.join(', ')})`);
  }
  return picked.length ? (picked as TestImageName[]) : undefined;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'build') {
    const images = await ensureTestImages({ images: names(rest) });
    process.stdout.write(JSON.stringify(images, null, 2) + '\n');
    return;
  }
  if (command === 'serve') {
    const portIndex = rest.indexOf('--port');
    const port = portIndex >= 0 ? Number(rest[portIndex + 1]) : undefined;
    if (portIndex >= 0) rest.splice(portIndex, 2);
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error('--port needs a port number');
    const served = await serveTestImages({ images: names(rest), registryOptions: port === undefined ? {} : { port } });
    process.stdout.write(`registry ${served.registry.url} (pid ${served.registry.pid})\n`);
    for (const [name, ref] of Object.entries(served.refs)) process.stdout.write(`  ${name.padEnd(18)} ${ref}\n`);
    process.stdout.write('serving until SIGINT or SIGTERM\n');
    await new Promise<void>((resolve) => {
      // Signal handlers alone do not keep Node running.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const done = (): void => {
        clearInterval(keepAlive);
        resolve();
      };
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await served.stop();
    return;
  }
  throw new Error('usage: cli.js build [NAME...] | serve [--port N] [NAME...]');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
