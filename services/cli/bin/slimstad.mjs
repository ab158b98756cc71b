#!/usr/bin/env node
// The `slimstad` executable: runs the compiled CLI (build first with `pnpm run build`).
import { run } from '../dist/index.js';

process.exitCode = await run(process.argv.slice(2));
