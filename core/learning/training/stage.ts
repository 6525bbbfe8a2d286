// What a training stage (heads, adapter) gets from the job around it: a place to wait for pause and
// to stop on cancel, epoch checkpoints, and progress.
export interface StageHooks {
  /** Called between mini-batches: returns when the job may go on, throws Cancelled when cancelled. */
  checkpoint(): Promise<void>;
  /** After each finished epoch: the whole optimiser state (params, Adam moments, step). */
  save(epoch: number, state: Float32Array): void;
  /** The last saved epoch of this stage for this dataset, if the job is resuming. */
  load(): { epoch: number; state: Float32Array } | undefined;
  /** Epochs done (fractional) out of the stage's total. */
  progress(epochsDone: number, epochs: number): void;
}

export const NO_HOOKS: StageHooks = {
  checkpoint: () => Promise.resolve(),
  save: () => {},
  load: () => undefined,
  progress: () => {},
};
