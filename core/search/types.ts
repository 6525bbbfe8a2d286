// The search API's request and response: plain JSON values only (numbers, strings, arrays, objects),
// so the same shapes cross the CLI's --json, `foley serve`'s HTTP and Electron's IPC unchanged.
// (The one exception, a microphone query's Float32Array, is also accepted as a number array.)
import type { Modality } from '../../base/types.ts';
/** Which index is searched: pictures, sounds, or both with combined scores. */
export type SearchIn = Modality | 'both';

export type QuerySource =
  /** An audio (or video) file ffmpeg reads; longer than one window → windows averaged. */
  | { readonly kind: 'audio'; readonly file: string; readonly start?: number; readonly duration?: number }
  /** An image (or the first frame of a video), prepared like a video frame. */
  | { readonly kind: 'image'; readonly file: string }
  /** A moment of an indexed file: the stored embeddings of the window holding `at` seconds. */
  | { readonly kind: 'moment'; readonly file: string; readonly at: number }
  /** Raw mono PCM at 16 kHz (the UI's microphone), handled exactly like an audio file. */
  | { readonly kind: 'pcm'; readonly samples: Float32Array | readonly number[]; readonly sampleRate?: number }
  /** Embeddings computed elsewhere (re-querying from the UI, tests); need not be normalised. */
  | { readonly kind: 'embedding'; readonly audio?: readonly number[]; readonly visual?: readonly number[] };

export interface SearchFilters {
  /** Only files under this folder (a path prefix, compared after resolving to an absolute path). */
  readonly folder?: string;
  /** File modification time range, milliseconds since the epoch, inclusive. */
  readonly modifiedFrom?: number;
  readonly modifiedTo?: number;
  /** File duration range in seconds, inclusive (files not probed yet have no duration and are excluded). */
  readonly minDuration?: number;
  readonly maxDuration?: number;
  /** Only windows inside moments (or files) carrying this label as a positive example. */
  readonly label?: string;
}

export interface SearchRequest {
  readonly query: QuerySource;
  /** Installed model name; default: the default model. */
  readonly model?: string;
  /** Default: audio queries search pictures ('visual'), images search sounds ('audio'), moments 'both'. */
  readonly in?: SearchIn;
  /** Results per page (default 10) and how many to skip (default 0). */
  readonly top?: number;
  readonly offset?: number;
  /** Drop results scoring below this (cosine, or the weighted sum for 'both'). */
  readonly threshold?: number;
  /** [audio weight, visual weight] for 'both'; default [0.5, 0.5]. */
  readonly weights?: readonly [number, number];
  readonly filters?: SearchFilters;
  /** Only windows the tagging model hears (or sees) as this class (core/search/class-filter.ts). */
  readonly classFilter?: { readonly text: string; readonly model?: string; readonly min?: number };
  /** Merge adjacent windows of a file into one moment (default true). */
  readonly merge?: boolean;
  /** One result per file (its best moment, with the file's other moments listed). */
  readonly groupByFile?: boolean;
  /** A moment query leaves out its own window (default true). */
  readonly excludeSelf?: boolean;
  /** HNSW search breadth (default efFor(collection size): 200 up to 100k vectors, more above); ignored by exact search. */
  readonly ef?: number;
  /** Force a method (tests and benches); default by collection size (core/search/engine.ts). */
  readonly method?: 'exact' | 'hnsw' | 'scan';
  /**
   * Use the library's trained cross-modal adapter, when one is active, for audio→visual and
   * visual→audio searches (default true). Same-modality searches never use it.
   */
  readonly adapter?: boolean;
}

export interface MomentScores {
  readonly audio?: number;
  readonly visual?: number;
}

export interface SearchMoment {
  readonly file: string;
  readonly fileId: number;
  /** The moment: merged adjacent windows, seconds. */
  readonly start: number;
  readonly end: number;
  /** Best window's score: cosine for one modality, wa·cos_a + wv·cos_v for 'both'. */
  readonly score: number;
  /** The index that matched. */
  readonly matched: SearchIn;
  /** Per-modality cosines of the best window (both present for 'both' when the window has both). */
  readonly scores: MomentScores;
  /** The best window inside the moment. */
  readonly window: { readonly id: number; readonly start: number; readonly end: number };
  /** How many windows (for a frame-level model: frames) were merged. */
  readonly windows: number;
  /**
   * Frame-level models (CAV-MAE Sync): seconds into the file of the best frame's picture — the moment
   * to the second. Absent when whole windows were compared.
   */
  readonly at?: number;
  /**
   * Picture queries asked to refine (`refine`): seconds into the file where the query picture is
   * heard best in the best window's sound (the peak of its localisation audio map).
   */
  readonly peak?: number;
}

export interface SearchResult extends SearchMoment {
  /** 1-based over the whole result list (offset included). */
  readonly rank: number;
  /** With groupByFile: the file's moments among the candidates, best first (the first is this one). */
  readonly moments?: readonly SearchMoment[];
}

export interface SearchResponse {
  readonly results: SearchResult[];
  readonly query: {
    readonly kind: QuerySource['kind'];
    readonly in: SearchIn;
    /** Which query embeddings were used for which index, e.g. ["audio→visual"]. */
    readonly directions: readonly string[];
    readonly model: string;
    /** Audio windows averaged into the query embedding. */
    readonly windows?: number;
    /** The query embedding came from the cache. */
    readonly cached: boolean;
  };
  /** How the largest collection searched was searched: every vector, a graph's candidates, or the int8 scan's. */
  readonly method: 'exact' | 'hnsw' | 'scan';
  /** With a class filter: the classes it stood for and how many windows passed it. */
  readonly classFilter?: {
    readonly model: string;
    readonly classes: readonly string[];
    readonly min: number;
    readonly windows: number;
    /** Windows the model has tagged, of all: untagged ones cannot pass yet. */
    readonly tagged: number;
    readonly total: number;
  };
  /** The trained adapter version that re-scored a cross-modal search, when one did. */
  readonly adapter?: number;
  /** Stored vectors searched (per index). */
  readonly searched: Partial<Record<Modality, number>>;
  readonly offset: number;
  readonly top: number;
  /** More results exist past this page (among the candidates considered). */
  readonly hasMore: boolean;
  readonly timings: { readonly embedMs: number; readonly searchMs: number };
}
