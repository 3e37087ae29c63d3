#!/usr/bin/env node
// Committed shim so npm can link the bin before the TypeScript is built; it runs the oclif CLI in src/cli.ts.
import "../dist/src/cli.js";
