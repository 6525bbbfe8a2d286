// The class lists Foley ships (classes/README.md: sources and licences): a fine-tuned checkpoint with
// 527 outputs is an AudioSet classifier and one with 309 a VGGSound one, whoever trained it, so those
// names are known without asking the user. Imported as JSON so that the compiled app carries them.
import audiosetData from './classes/audioset.json' with { type: 'json' };
import vggsoundData from './classes/vggsound.json' with { type: 'json' };

export type ClassListName = 'audioset' | 'vggsound';

export interface ShippedClass {
  readonly index: number;
  /** AudioSet ontology id; '' for VGGSound, which has none. */
  readonly mid: string;
  readonly name: string;
  /** Indices of the nearest ontology descendants that are classes (AudioSet); [] for VGGSound. */
  readonly children: readonly number[];
}

export interface ShippedClassList {
  readonly list: ClassListName;
  readonly dataset: string;
  readonly licence: string;
  readonly classes: readonly ShippedClass[];
}

interface RawList {
  readonly dataset: string;
  readonly licence: string;
  readonly classes: readonly { readonly mid?: string; readonly name: string; readonly children?: readonly number[] }[];
}

function load(list: ClassListName, raw: RawList): ShippedClassList {
  return {
    list,
    dataset: raw.dataset,
    licence: raw.licence,
    classes: raw.classes.map((c, index) => ({ index, mid: c.mid ?? '', name: c.name, children: c.children ?? [] })),
  };
}

let cache: Map<number, ShippedClassList> | undefined;

/** The shipped list for a classifier with `numClasses` outputs, if there is one. */
export function shippedClassList(numClasses: number | null): ShippedClassList | undefined {
  if (numClasses === null) return undefined;
  cache ??= new Map([load('audioset', audiosetData), load('vggsound', vggsoundData)].map((l) => [l.classes.length, l]));
  return cache.get(numClasses);
}
