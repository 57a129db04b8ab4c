import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/**
 * How every Conveyor Lambda is bundled, in one place for the CDK (`NodejsFunction`'s `bundling`)
 * and for `npm run bench`, which bundles the same way to measure package size and cold init.
 * Plain data, so the bench need not load aws-cdk-lib: the CDK maps `format` to `OutputFormat.ESM`.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  // Lambda's nodejs24.x runtime (infra/constructs/ConveyorFunction.ts): no down-levelling of syntax it runs natively.
  target: 'node24',
  platform: 'node',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK too: the version we test is the version that runs, not the runtime's copy,
  // and one bundled file starts faster than resolving the runtime's node_modules.
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  // The SDK's default credential chain, reduced to what Lambda uses: the environment (see the file).
  alias: {
    '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../functions/adapters/aws/lambda-credentials.ts', import.meta.url)),
  } as Record<string, string>,
  // Some bundled CommonJS dependencies call require(); give the ES module one.
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;

/**
 * The module aliases of a function's bundle. A stage that does not trace gets a stand-in for Powertools
 * Tracer (functions/adapters/aws/tracer-absent.ts): the tracer and aws-xray-sdk-core would add about
 * 116 KB to every function for code that never runs there. A traced stage bundles it, and the
 * functions import it only at cold start when CONVEYOR_TRACING=on (functions/adapters/aws/tracing.ts).
 */
export function bundleAliases(options: { tracing: boolean }): Record<string, string> {
  return {
    ...LAMBDA_BUNDLING.alias,
    ...(options.tracing ? {} : { '@aws-lambda-powertools/tracer': fileURLToPath(new URL('../functions/adapters/aws/tracer-absent.ts', import.meta.url)) }),
  };
}

/** The esbuild options `NodejsFunction` derives from LAMBDA_BUNDLING (it runs esbuild locally, never Docker). */
export function lambdaEsbuildOptions(entry: string, outfile: string, options: { tracing?: boolean } = {}): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    platform: LAMBDA_BUNDLING.platform,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    external: [...LAMBDA_BUNDLING.externalModules],
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    alias: bundleAliases({ tracing: options.tracing ?? false }),
    banner: { js: LAMBDA_BUNDLING.banner },
    logLevel: 'warning',
  };
}
