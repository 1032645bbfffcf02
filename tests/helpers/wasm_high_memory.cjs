// Test preload (node --require): grows every WebAssembly instance's memory past 2 GiB right after
// instantiation, so every later allocation of the module lies above 2^31. That recreates, in a
// tenth of a second and deterministically, what a large circom compile reaches by itself after
// gigabytes of allocation (the pages are reserved, not touched, so this costs no real memory).
'use strict'

const instantiate = WebAssembly.instantiate
WebAssembly.instantiate = async function (...args) {
    const result = await instantiate.apply(this, args)
    const instance = result instanceof WebAssembly.Instance ? result : result.instance
    const memory = instance.exports.memory
    const PAGE = 65536
    const want = (2 ** 31 + 64 * PAGE) / PAGE
    const have = memory.buffer.byteLength / PAGE
    if (want > have) memory.grow(want - have)
    return result
}
