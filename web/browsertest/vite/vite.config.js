// The README's Vite recipe.
export default {
  // The shim finds the module with new URL('./markunread.wasm', import.meta.url);
  // pre-bundling the dependency in dev would move the shim away from it.
  optimizeDeps: { exclude: ['markunread'] },
};
