// Inputs → embeddings in batches: inputs are collected per modality, every `batchSize` of them go to
// the encoder in one call, and each caller gets back its own item's vector. A batch is handed to the
// encoder without waiting for it, so preparing the next inputs (decoding, fbank) overlaps inference
// (when the encoder runs on an inference thread: Encoder's `thread` option); `add` waits only once
// MAX_IN_FLIGHT batches per modality and inference lane are queued or running.
import type { Encoder } from '../../native-models/runtime/encoder.ts';
import type { Modality } from '../../base/types.ts';

/** Batches per modality and lane (Encoder's `lanes`) that may run while more inputs are prepared. */
export const MAX_IN_FLIGHT = 2;

export interface BatchEmbedderOptions {
  readonly batchSize: number;
  /** Each batch's time in ONNX Runtime (EncoderOutput.runMs), when timing is wanted. */
  readonly onInference?: (ms: number) => void;
}

interface Queued {
  readonly input: Float32Array;
  readonly onVector: (embedding: Float32Array) => void;
}

export class BatchEmbedder {
  readonly #encoder: Encoder;
  readonly #options: BatchEmbedderOptions;
  readonly #queued: Record<Modality, Queued[]> = { audio: [], visual: [] };
  readonly #inFlight: Promise<void>[] = [];
  #failure: unknown;
  #failed = false;
  #abandoned = false;

  constructor(encoder: Encoder, options: BatchEmbedderOptions) {
    this.#encoder = encoder;
    this.#options = options;
  }

  /** Rethrows the first failed batch, so a producer stops before preparing more inputs. */
  throwIfFailed(): void {
    if (this.#failed) throw this.#failure;
  }

  /**
   * Queues one input (as audioInput/imageInput made it); `onVector` gets its embedding (one [D] row,
   * L2-normalised) when its batch is done. Sends the batch when full, then waits while too many run.
   */
  async add(modality: Modality, input: Float32Array, onVector: (embedding: Float32Array) => void): Promise<void> {
    this.throwIfFailed();
    this.#queued[modality].push({ input, onVector });
    if (this.#queued[modality].length >= this.#options.batchSize) this.#flush(modality);
    while (this.#inFlight.length > MAX_IN_FLIGHT * 2 * this.#encoder.lanes) await this.#inFlight.shift();
  }

  /** Sends what is queued, waits for every batch, and rethrows the first failure. */
  async finish(): Promise<void> {
    this.#flush('audio');
    this.#flush('visual');
    await Promise.all(this.#inFlight.splice(0));
    this.throwIfFailed();
  }

  /**
   * For a producer that failed: drops what is queued, waits for the batches already running (so
   * nothing of this file is still computing when the next one starts), and hands out none of their
   * vectors.
   */
  async abandon(): Promise<void> {
    this.#abandoned = true;
    this.#queued.audio.length = 0;
    this.#queued.visual.length = 0;
    await Promise.all(this.#inFlight.splice(0));
  }

  #flush(modality: Modality): void {
    const items = this.#queued[modality].splice(0);
    if (items.length === 0) return;
    const size = items[0]!.input.length;
    const batch = new Float32Array(items.length * size);
    items.forEach((it, i) => batch.set(it.input, i * size));
    const d = this.#encoder.config.embedDim;
    const p = this.#encoder.encode(modality, batch).then((out) => {
      this.#options.onInference?.(out.runMs);
      if (this.#abandoned) return;
      items.forEach((it, i) => it.onVector(out.embeddings.slice(i * d, (i + 1) * d)));
    });
    // Remember the first failure; the producer sees it at its next add, everyone at finish.
    this.#inFlight.push(
      p.catch((e: unknown) => {
        if (this.#failed) return;
        this.#failed = true;
        this.#failure = e;
      }),
    );
  }
}
