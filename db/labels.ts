// Labels: a name on a moment (file + time range) or on a whole file, positive or negative, for the
// labelling and training work. They point at files, not windows, so re-indexing keeps them.
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';

export type Polarity = 'positive' | 'negative';

export interface Label {
  readonly id: number;
  readonly name: string;
  readonly fileId: number;
  /** Both null: the label is on the whole file. */
  readonly startS: number | null;
  readonly endS: number | null;
  readonly polarity: Polarity;
  readonly createdAt: number;
}

export interface NewLabel {
  readonly name: string;
  readonly fileId: number;
  readonly startS?: number | null;
  readonly endS?: number | null;
  readonly polarity: Polarity;
}

interface LabelRow {
  id: number;
  name: string;
  file_id: number;
  start_s: number | null;
  end_s: number | null;
  polarity: Polarity;
  created_at: number;
}

const toLabel = (r: LabelRow): Label => ({
  id: r.id,
  name: r.name,
  fileId: r.file_id,
  startS: r.start_s,
  endS: r.end_s,
  polarity: r.polarity,
  createdAt: r.created_at,
});

export function addLabel(db: Database, l: NewLabel): Label {
  return write(db, () => {
    const { lastInsertRowid } = db
      .prepare('INSERT INTO labels (name, file_id, start_s, end_s, polarity, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(l.name, l.fileId, l.startS ?? null, l.endS ?? null, l.polarity, now());
    return toLabel(db.prepare<[number], LabelRow>('SELECT * FROM labels WHERE id = ?').get(Number(lastInsertRowid))!);
  });
}

export function listLabels(db: Database, filter: { name?: string; fileId?: number } = {}): Label[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.name !== undefined) {
    where.push('name = ?');
    args.push(filter.name);
  }
  if (filter.fileId !== undefined) {
    where.push('file_id = ?');
    args.push(filter.fileId);
  }
  const sql = `SELECT * FROM labels ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, file_id, start_s, id`;
  return db.prepare<(string | number)[], LabelRow>(sql).all(...args).map(toLabel);
}

/** Label names with how many positive and negative examples each has. */
export function labelNames(db: Database): { name: string; positives: number; negatives: number }[] {
  return db
    .prepare<[], { name: string; positives: number; negatives: number }>(
      `SELECT name, sum(polarity = 'positive') AS positives, sum(polarity = 'negative') AS negatives
       FROM labels GROUP BY name ORDER BY name`,
    )
    .all();
}

export function removeLabel(db: Database, id: number): boolean {
  return write(db, () => db.prepare('DELETE FROM labels WHERE id = ?').run(id).changes > 0);
}
