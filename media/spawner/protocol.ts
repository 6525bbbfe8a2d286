// What the indexing process and its spawner helper (host.ts) say to each other. Requests and exit
// reports travel over the helper's IPC channel; a tool's output streams travel over unix-socket
// connections the helper opens to the client's server, one per piped descriptor, each starting with a
// header that names the spawn and the descriptor. The helper hands those connections to the tool as
// its stdout, stderr or fd 3+, so the bytes go from the tool to the client without a relay.

/** What one descriptor of the tool gets: a connection back to the client, or nothing. */
export type ToolStdio = 'pipe' | 'ignore';

export interface SpawnRequest {
  readonly type: 'spawn';
  readonly id: number;
  readonly bin: string;
  readonly args: readonly string[];
  /** For fd 1, 2, 3, …; fd 0 (stdin) is always ignored: no tool reads from us. */
  readonly stdio: readonly ToolStdio[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface KillRequest {
  readonly type: 'kill';
  readonly id: number;
  readonly signal: NodeJS.Signals;
}

export type HostRequest = SpawnRequest | KillRequest;

export type HostReport =
  | { readonly type: 'ready' }
  | { readonly type: 'spawned'; readonly id: number; readonly pid: number }
  | { readonly type: 'exit'; readonly id: number; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code?: string | undefined };

/** Bytes of the random token that opens every connection (only the helper that was told it can connect). */
export const TOKEN_BYTES = 16;
/** Token, spawn id (u32 LE), descriptor (u32 LE). */
export const HEADER_BYTES = TOKEN_BYTES + 8;

export function encodeHeader(token: Buffer, id: number, fd: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  token.copy(header, 0);
  header.writeUInt32LE(id, TOKEN_BYTES);
  header.writeUInt32LE(fd, TOKEN_BYTES + 4);
  return header;
}

/** The spawn id and descriptor of a header, or undefined when its token is not `token`. */
export function decodeHeader(token: Buffer, header: Buffer): { id: number; fd: number } | undefined {
  if (header.length !== HEADER_BYTES || !header.subarray(0, TOKEN_BYTES).equals(token)) return undefined;
  return { id: header.readUInt32LE(TOKEN_BYTES), fd: header.readUInt32LE(TOKEN_BYTES + 4) };
}

/** The arguments the helper starts with: its socket path and token (hex). */
export interface HostArgs {
  readonly socketPath: string;
  readonly token: string;
}
