#!/usr/bin/env node
import { run } from "./program.js";

const code = await run(process.argv.slice(2));
// Let stdout drain before exiting (large JSON to a pipe).
process.exitCode = code;
