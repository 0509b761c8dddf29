// node-run.js — runs a bare benchmark module's bench() export under V8.
'use strict';
const fs = require('fs');
const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const inst = new WebAssembly.Instance(mod, {});
console.log(inst.exports.bench() >>> 0);
