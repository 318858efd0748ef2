#!/usr/bin/env node
// The `alto` command. Runs the TypeScript sources directly through tsx, as every app here does.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
