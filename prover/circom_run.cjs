#!/usr/bin/env node
// Runs the circom2 WebAssembly compiler, like node_modules/circom2/cli.js, with one fix.
//
// Why not call circom2's cli.js directly: its WASI shim receives wasm i32 pointers as signed JS
// numbers. Once the compiler's linear memory grows past 2 GiB (a 16-way Poseidon harness or a
// large instance does, depending on heap layout), a pointer above 2^31 arrives negative and the
// shim crashes with "RangeError: Start offset -2084393744 is outside the bounds of the buffer" in
// path_open while writing the outputs. Every i32 a WASI preview1 call takes is unsigned (pointers,
// lengths, fds, flags); the signed 64-bit seek offset arrives as a BigInt. So reading every
// Number argument as u32 is exactly right, and lets the compiler use its whole 4 GiB.
//
// Usage: node circom_run.cjs <circom2 package dir> <circom arguments...>, run from the directory
// the compiler should see (it only sees files below its working directory and its parents).

'use strict'

const fs = require('fs')
const path = require('path')

async function main() {
    const [pkgDir, ...rest] = process.argv.slice(2)
    const { CircomRunner, bindings } = require(path.resolve(pkgDir, 'index.js'))
    const args = rest.map((k) => (k.startsWith('-') ? k : path.relative(process.cwd(), k)))
    if (args.length === 0) args.push('--help')
    const circom = new CircomRunner({
        args,
        env: process.env,
        preopens: preopensFull(),
        bindings: {
            ...bindings,
            exit(code) {
                process.exit(code)
            },
            kill(signal) {
                process.kill(process.pid, signal)
            },
            fs,
        },
    })
    const imports = circom.wasi.wasiImport
    for (const name of Object.keys(imports)) {
        const call = imports[name]
        imports[name] = (...a) => call(...a.map((x) => (typeof x === 'number' ? x >>> 0 : x)))
    }
    await circom.execute(fs.readFileSync(path.resolve(pkgDir, 'circom.wasm')))
}

// Every parent of the working directory, relative to it, as circom2's own cli.js preopens them.
function preopensFull() {
    const preopens = {}
    let dir = process.cwd()
    for (;;) {
        const seg = path.relative(process.cwd(), dir) || '.'
        preopens[seg] = seg
        const next = path.dirname(dir)
        if (next === dir) break
        dir = next
    }
    return preopens
}

main().catch((err) => {
    console.error(String(err && err.stack ? err.stack : err))
    process.exit(1)
})
