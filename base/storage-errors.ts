// Errors of the file system that the user can act on (a full disk, a quota, a read-only or forbidden
// folder), said in words once instead of as a Node error code with a stack.

const WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the disk is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Codes after which writing more files to the same place cannot succeed either. */
const STOPS_WRITING = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

export interface StorageProblem {
  readonly code: string;
  /** What happened, in words ("the disk is full"). */
  readonly words: string;
  /** Further writes to the same disk will fail the same way: stop trying. */
  readonly stopsWriting: boolean;
}

/** The storage problem behind an error from `fs`, or undefined for any other error. */
export function storageProblem(e: unknown): StorageProblem | undefined {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  if (typeof code !== 'string') return undefined;
  const words = WORDS[code];
  return words === undefined ? undefined : { code, words, stopsWriting: STOPS_WRITING.has(code) };
}
