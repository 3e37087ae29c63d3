#!/usr/bin/env node
// Committed shim so npm can link the bin before the TypeScript is built; the CLI is src/cli.ts.
import "../dist/src/cli.js";
