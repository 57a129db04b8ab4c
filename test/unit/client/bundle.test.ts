import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The sample application (examples/shop/jobs.ts) bundled for a browser or an edge runtime, minified:
 * it carries the client and its own code only — the registry's schemas, the handlers and the AWS SDK
 * stay out, since the client takes its types by type-only imports. The size is the client's own
 * (`npm run bench -- --sections bundle` prints it too); it has no dependency whose releases move it.
 */
const APP = fileURLToPath(new URL('../../../examples/shop/jobs.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function bundleSampleApp(): Promise<{ bytes: number; inputs: string[] }> {
  const result = await build({ entryPoints: [APP], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, metafile: true, logLevel: 'silent', absWorkingDir: ROOT });
  const output = Object.values((result.metafile as Metafile).outputs)[0]!;
  return { bytes: result.outputFiles[0]!.contents.byteLength, inputs: Object.keys(output.inputs).filter((path) => output.inputs[path]!.bytesInOutput > 0) };
}

describe('Bundle: an application using conveyor/client', () => {
  it('carries the client and the app, no handler, schema or AWS SDK code, in at most 10 KB', async () => {
    // Act
    const { bytes, inputs } = await bundleSampleApp();

    // Assess
    expect(inputs.sort()).toEqual(['client/errors.ts', 'client/index.ts', 'examples/shop/jobs.ts']);
    expect(bytes).toBeLessThanOrEqual(10 * 1024);
    console.log(`sample app bundle (minified): ${bytes} bytes`);
  });
});
