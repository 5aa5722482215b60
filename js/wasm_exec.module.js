// wasm_exec.js as an ES module that leaves the page's globals alone.
//
// `make build` writes dist/wasm_exec.js from this file, putting the Go
// toolchain's own wasm_exec.js, unmodified, where the marker line below is.
// That file defines Go, fs, process and path on globalThis and calls bare
// `fs` at run time. Here it runs with `globalThis` bound to a private global:
// what it defines stays there, what it reads (crypto, performance, Object,
// ...) comes from the page's global object. The module's js.Global() is that
// private global, so the shim hands the module its bridge there too.
//
// The private global is a Proxy rather than an object inheriting from the
// page's global: the page's accessors (crypto, performance) refuse a
// receiver that is not the real global object.

const pageGlobal = globalThis;
/** @type {Record<string | symbol, unknown>} */
const privateNames = Object.create(null);
const goGlobal = new Proxy(privateNames, {
  get: (own, key) => (key in own ? own[key] : Reflect.get(pageGlobal, key)),
  has: (own, key) => key in own || key in pageGlobal,
  set: (own, key, value) => { own[key] = value; return true; },
  defineProperty: (own, key, descriptor) => Reflect.defineProperty(own, key, descriptor),
  deleteProperty: (own, key) => delete own[key],
  getOwnPropertyDescriptor: (own, key) => Reflect.getOwnPropertyDescriptor(own, key),
});

// The bare names wasm_exec.js uses, resolved on the private global when
// used, with each method called on the object that has it.
/** @param {string} name */
function viaGoGlobal(name) {
  return new Proxy(Object.create(null), {
    get(_, key) {
      const target = /** @type {Record<string | symbol, unknown>} */ (goGlobal[name]); // what wasm_exec.js defined
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const Go = ((globalThis) => {
  const fs = viaGoGlobal('fs');
  const process = viaGoGlobal('process');
  const path = viaGoGlobal('path');
  void fs, process, path;

// @wasm_exec.js@

  return globalThis.Go;
})(goGlobal);

export { Go, goGlobal };
