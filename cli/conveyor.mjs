#!/usr/bin/env node
// The `conveyor` bin: the CLI is TypeScript (cli/main.ts), run through tsx's loader so that
// `npx conveyor …` works in the repository with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
