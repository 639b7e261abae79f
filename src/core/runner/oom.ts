// Recognising "ran out of memory" in what a trial wrote, for every runner: the built-in trainer
// (tfjs/wasm allocation failures, typed-array allocation failures, V8's heap OOM) and external
// scripts (PyTorch's CUDA OOM, Python's MemoryError, C++'s std::bad_alloc, ENOMEM).
const OOM_PATTERN = new RegExp(
  [
    'out of memory', // CUDA, V8 ("JavaScript heap out of memory"), most runtimes
    'OutOfMemoryError', // torch.cuda.OutOfMemoryError, Java
    'MemoryError', // Python
    'std::bad_alloc',
    'Cannot allocate memory', // ENOMEM
    'allocation failed', // V8, tfjs ("Array buffer allocation failed")
    'cannot enlarge memory',
    'webassembly\\.memory',
    'could not allocate',
    'failed to grow',
    'invalid typed array length',
    'invalid array length',
  ].join('|'),
  'i',
);

export function isOutOfMemory(text: string): boolean {
  return OOM_PATTERN.test(text);
}

/** Remembers the first line of a trial's output that says it ran out of memory (lines are capped by the caller). */
export class OomWatch {
  private found?: string;
  /** Returns true when this line is the first out-of-memory line. */
  note(line: string): boolean {
    if (this.found !== undefined || !isOutOfMemory(line)) return false;
    this.found = line.trim();
    return true;
  }
  get line(): string | undefined {
    return this.found;
  }
}
