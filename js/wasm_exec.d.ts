// The types of dist/wasm_exec.js (js/wasm_exec.module.js around the Go
// toolchain's wasm_exec.js), as load.js uses them.

/** wasm_exec.js's Go: one Go program's runtime. Fields starting with _ are its own. */
export class Go {
  importObject: WebAssembly.Imports;
  argv: string[];
  env: Record<string, string>;
  exit: (code: number) => void;
  run(instance: WebAssembly.Instance): Promise<void>;
  _scheduledTimeouts?: Map<number, ReturnType<typeof setTimeout>>;
  _resume?: () => void;
}

/** The Go program's private global object: js.Global() in Go. */
export const goGlobal: Record<string, unknown>;
