// Interactive work first: while a search (or any call wrapped in `interactive`) runs, background work
// in this process — indexing's inference thread, its frame decoding, training steps — holds back at
// its next step, so a query waits for at most the one step already running, never behind the queue.
// The count lives in a SharedArrayBuffer so worker threads can wait on it (Atomics.wait) as cheaply
// as the main thread (a promise).
// [0]: interactive calls running; [1]: when the last one ended, in whole seconds since the epoch.
const shared = new Int32Array(new SharedArrayBuffer(8));
const waiters = new Set<() => void>();

/** The shared count, for worker threads (pass it in workerData; see waitWhileInteractive). */
export function interactiveCounter(): Int32Array {
  return shared;
}

/** Runs `work` as interactive: background steps hold back until it (and every other) has ended. */
export async function interactive<T>(work: () => Promise<T>): Promise<T> {
  Atomics.add(shared, 0, 1);
  try {
    return await work();
  } finally {
    Atomics.store(shared, 1, Math.floor(Date.now() / 1000));
    if (Atomics.sub(shared, 0, 1) === 1) {
      Atomics.notify(shared, 0);
      for (const w of [...waiters]) w();
    }
  }
}

export function interactiveRunning(counter: Int32Array = shared): boolean {
  return Atomics.load(counter, 0) > 0;
}

/**
 * Interactive work runs now or ended less than `seconds` ago: someone is searching, so background
 * work should come in small steps (a query then waits for a small step, not a whole batch).
 */
export function interactiveRecently(counter: Int32Array = shared, seconds = 10): boolean {
  return Atomics.load(counter, 0) > 0 || Date.now() / 1000 - Atomics.load(counter, 1) < seconds;
}

/** Main thread: resolves at once when nothing interactive runs, else when the last one ends. */
export function yieldToInteractive(): Promise<void> {
  if (!interactiveRunning()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      if (interactiveRunning()) return;
      waiters.delete(done);
      resolve();
    };
    waiters.add(done);
  });
}

/**
 * Worker threads: blocks this thread while interactive work runs (up to `limitMs`, so a query that
 * never ends cannot stop background work for good). Returns the milliseconds it waited.
 */
export function waitWhileInteractive(counter: Int32Array, limitMs = 30_000): number {
  const started = performance.now();
  for (let v = Atomics.load(counter, 0); v > 0; v = Atomics.load(counter, 0)) {
    const left = limitMs - (performance.now() - started);
    if (left <= 0) break;
    Atomics.wait(counter, 0, v, left);
  }
  return performance.now() - started;
}
