#!/usr/bin/env node
/** `ttc-loadtest`: the command-line face of the load generator (see cli.ts; the library is mod.ts). */
import { buildProgram } from "./cli.js";

await buildProgram().parseAsync();
