// Label changes made in this process, for whoever must react (the training scheduler restarts its
// quiet-time wait, the API tells the UI). Changes made by other processes are seen by polling the
// labels fingerprint instead. A file of its own so training can listen without importing labels.

const listeners = new Set<() => void>();

/** Called after every label change made through these services in this process. */
export function onLabelsChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyLabelsChanged(): void {
  for (const l of listeners) l();
}
