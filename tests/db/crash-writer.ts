// Child process for crash.test.ts: writes files (one transaction each) and persists the HNSW graph
// every few files, printing "begin" inside each transaction, "commit ID" after it and "persist" before storing the
// graph, until it is killed.
import { openDatabase, write } from '../../db/connection.ts';
import { addFile } from '../../db/files.ts';
import { VectorIndex } from '../../db/vector-index.ts';
import { replaceFileWindows } from '../../db/windows.ts';
import { latentVectors, row, testModel } from './helpers.ts';

const DIM = 64;
const WINDOWS = 50;
const db = openDatabase(process.argv[2]!);
const { model, run } = testModel(db, DIM);
const index = new VectorIndex({ modelId: model.id, modality: 'audio' }, DIM, { chunkBytes: 16 << 10 });
index.load(db);
const next = latentVectors(DIM, Number(process.argv[3] ?? 1));
for (let f = 0; ; f++) {
  const audio = next(WINDOWS);
  const visual = next(WINDOWS);
  const id = write(db, () => {
    process.stdout.write('begin\n'); // pipes are written synchronously on Linux: the parent sees this now
    const file = addFile(db, { path: `/media/${process.pid}-${f}.mp4`, size: f, mtimeMs: f, fingerprint: `fp-${f}` });
    replaceFileWindows(
      db,
      file.id,
      run.id,
      Array.from({ length: WINDOWS }, (_, w) => ({ startS: w * 10, endS: w * 10 + 10, hasAudio: true, hasVisual: true, embeddings: { audio: row(audio, DIM, w), visual: row(visual, DIM, w) } })),
    );
    return file.id;
  });
  process.stdout.write(`commit ${id}\n`);
  if (f % 4 === 3) {
    process.stdout.write('persist\n');
    index.persist(db);
  }
}
