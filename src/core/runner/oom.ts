// Recognising "ran out of memory" in the TensorFlow.js trainer's errors and stderr:
// tfjs/wasm allocation failures, typed-array allocation failures and V8's heap OOM.
const OOM_PATTERN = /out of memory|array buffer allocation failed|allocation failed|cannot enlarge memory|webassembly\.memory|could not allocate|failed to grow|invalid typed array length|invalid array length/i;

export function isOutOfMemory(text: string): boolean {
  return OOM_PATTERN.test(text);
}
