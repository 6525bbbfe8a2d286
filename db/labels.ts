// Labels: a name on a moment (file + time range) or on a whole file, positive or negative, for the
// labelling and training work. They point at files, not windows, so re-indexing keeps them.
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import { equals, whereClause } from './where.ts';
import type { SqlValue } from './where.ts';

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
  const where = whereClause([equals('name', filter.name), equals('file_id', filter.fileId)]);
  return db.prepare<SqlValue[], LabelRow>(`SELECT * FROM labels${where.sql} ORDER BY name, file_id, start_s, id`).all(...where.params).map(toLabel);
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

export function getLabel(db: Database, id: number): Label | undefined {
  const r = db.prepare<[number], LabelRow>('SELECT * FROM labels WHERE id = ?').get(id);
  return r === undefined ? undefined : toLabel(r);
}

/** Renames every label called `from`; returns how many rows changed. */
export function renameLabels(db: Database, from: string, to: string): number {
  return write(db, () => db.prepare('UPDATE labels SET name = ? WHERE name = ?').run(to, from).changes);
}

/**
 * Merges the labels called `from` into `into`. Rows that would repeat an `into` row exactly (same file,
 * times and polarity) are dropped rather than duplicated. Returns how many rows were renamed.
 */
export function mergeLabels(db: Database, from: readonly string[], into: string): number {
  return write(db, () => {
    let n = 0;
    for (const name of from) {
      if (name === into) continue;
      db.prepare(
        `DELETE FROM labels WHERE name = ? AND EXISTS (
           SELECT 1 FROM labels k WHERE k.name = ? AND k.file_id = labels.file_id AND k.polarity = labels.polarity
             AND k.start_s IS labels.start_s AND k.end_s IS labels.end_s)`,
      ).run(name, into);
      n += db.prepare('UPDATE labels SET name = ? WHERE name = ?').run(into, name).changes;
    }
    return n;
  });
}

export function removeLabelsByName(db: Database, name: string): number {
  return write(db, () => db.prepare('DELETE FROM labels WHERE name = ?').run(name).changes);
}

/** The exact label already on this moment, if any (adding it again is a no-op). */
export function findSameLabel(db: Database, l: NewLabel): Label | undefined {
  const r = db
    .prepare<[string, number, number | null, number | null, string], LabelRow>(
      'SELECT * FROM labels WHERE name = ? AND file_id = ? AND start_s IS ? AND end_s IS ? AND polarity = ? LIMIT 1',
    )
    .get(l.name, l.fileId, l.startS ?? null, l.endS ?? null, l.polarity);
  return r === undefined ? undefined : toLabel(r);
}

/** A cheap summary of every label row (count, largest id, and a hash of the rows), to notice changes. */
export function labelsFingerprint(db: Database): string {
  const rows = db.prepare<[], [number, string, number, number | null, number | null, string]>(
    'SELECT id, name, file_id, start_s, end_s, polarity FROM labels ORDER BY id',
  ).raw(true).all();
  // FNV-1a over the JSON of the rows: no crypto needed, only change detection.
  let h = 0x811c9dc5;
  const s = JSON.stringify(rows);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${rows.length}:${h.toString(16).padStart(8, '0')}`;
}
