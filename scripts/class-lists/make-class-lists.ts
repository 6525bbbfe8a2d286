// Writes the class lists Foley ships (native-models/cavmae/classes/*.json) from their public sources,
// so that the shipped data can be checked against them and regenerated. The sources are not part of
// this repository; see native-models/cavmae/classes/README.md for where each comes from and its licence.
//
//   node scripts/class-lists/make-class-lists.ts \
//     --audioset class_labels_indices.csv --ontology ontology.json --vggsound stat.csv [--out DIR]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsv } from '../../core/learning/csv.ts';

interface OntologyNode {
  readonly id: string;
  readonly name: string;
  readonly child_ids: readonly string[];
}

const { values } = parseArgs({
  options: { audioset: { type: 'string' }, ontology: { type: 'string' }, vggsound: { type: 'string' }, out: { type: 'string' } },
});
if (values.audioset === undefined || values.ontology === undefined || values.vggsound === undefined) {
  throw new Error('usage: make-class-lists.ts --audioset CSV --ontology JSON --vggsound stat.csv [--out DIR]');
}
const out = values.out ?? path.join(import.meta.dirname, '..', '..', 'native-models', 'cavmae', 'classes');

// AudioSet: the official index order of the 527 model outputs, each with its ontology children.
const rows = parseCsv(readFileSync(values.audioset, 'utf8')).slice(1).filter((r) => r.length >= 3);
const classes = rows.map((r, i) => {
  if (Number(r[0]) !== i) throw new Error(`row ${i + 2}: index ${r[0]}, expected ${i}`);
  return { mid: r[1]!, name: r[2]! };
});
const nodes = new Map((JSON.parse(readFileSync(values.ontology, 'utf8')) as OntologyNode[]).map((n) => [n.id, n]));
const indexOf = new Map(classes.map((c, i) => [c.mid, i]));
for (const c of classes) {
  const node = nodes.get(c.mid);
  if (node === undefined || node.name !== c.name) throw new Error(`${c.mid} "${c.name}" is not in the ontology under that name`);
}
/** The nearest descendants that are model classes: a node that is not one (an abstract grouping) is walked through. */
function classChildren(mid: string, seen = new Set<string>()): number[] {
  const found: number[] = [];
  for (const child of nodes.get(mid)?.child_ids ?? []) {
    if (seen.has(child)) continue;
    seen.add(child);
    const i = indexOf.get(child);
    if (i !== undefined) found.push(i);
    else found.push(...classChildren(child, seen));
  }
  return [...new Set(found)].sort((a, b) => a - b);
}
const audioset = {
  dataset: 'AudioSet',
  sources: {
    classes: 'github.com/YuanGongND/cav-mae @68fe8c2 src/preprocess/sample_datafiles/class_labels_indices_as.csv',
    ontology: 'github.com/audioset/ontology @d417d32 ontology.json',
  },
  licence: 'CC BY-SA 4.0 (the AudioSet ontology, Google Inc.)',
  classes: classes.map((c) => ({ mid: c.mid, name: c.name, children: classChildren(c.mid) })),
};

// VGGSound: 309 names; models trained on it number them in sorted order (code-point order, as Python's sorted()).
const vggNames = [...new Set(parseCsv(readFileSync(values.vggsound, 'utf8')).filter((r) => r.length >= 1 && r[0] !== '').map((r) => r[0]!))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
if (vggNames.length !== 309) throw new Error(`VGGSound: ${vggNames.length} names, expected 309`);
const vggsound = {
  dataset: 'VGGSound',
  sources: { classes: 'github.com/hche11/VGGSound @9bbc749 data/stat.csv (names, sorted)' },
  licence: 'CC BY 4.0 (the VGG-Sound dataset, Visual Geometry Group, University of Oxford)',
  classes: vggNames.map((name) => ({ name })),
};

writeFileSync(path.join(out, 'audioset.json'), `${JSON.stringify(audioset, null, 1)}\n`);
writeFileSync(path.join(out, 'vggsound.json'), `${JSON.stringify(vggsound, null, 1)}\n`);
console.log(`audioset: ${audioset.classes.length} classes; vggsound: ${vggsound.classes.length}`);
