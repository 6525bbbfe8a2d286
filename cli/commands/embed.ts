import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { embedAudioFile, embedImageFile } from '../../core/embedding/file.ts';
import { resolveModel } from '../../core/models/store.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const EMBED_HELP = `Usage:
  foley embed --audio FILE [--start SECONDS] [--window SECONDS] [--model NAME] [--json]
  foley embed --image FILE [--model NAME] [--json]

Prints the CAV-MAE embedding (L2-normalised) of a 10-s audio window starting at --start, or of an
image prepared like a video frame (shorter side 224, centre crop, ImageNet mean/std).
--json prints {"embedding": [...], "modality", "model", "provider"}.

Options: --data-dir DIR, --provider auto|cpu|cuda|dml|coreml|webgpu, --threads N, --help`;

export async function embedCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    audio: { type: 'string' },
    image: { type: 'string' },
    start: { type: 'string' },
    window: { type: 'string' },
    ...RUNTIME_OPTIONS,
  });
  if (values.help === true) {
    console.log(EMBED_HELP);
    return;
  }
  const audio = values.audio;
  const image = values.image;
  if ((audio === undefined) === (image === undefined)) throw new UsageError('embed takes exactly one of --audio FILE or --image FILE');
  if (image !== undefined && values.start !== undefined) throw new UsageError('--start applies to --audio only');
  const model = await resolveModel(dataDirFrom(values), values.model);
  const runtime = runtimeFrom(values);
  const start = numberOption('start', values.start, { min: 0 });
  const seconds = numberOption('window', values.window, { min: 0.1 });
  try {
    const result =
      audio !== undefined
        ? await embedAudioFile(model, audio, { ...runtime, ...(start !== undefined ? { start } : {}), ...(seconds !== undefined ? { seconds } : {}) })
        : await embedImageFile(model, image!, runtime);
    const embedding = Array.from(result.embedding);
    if (values.json === true) {
      printJson({ embedding, modality: result.modality, model: result.model, provider: result.provider });
    } else {
      console.log(`${result.modality} embedding, ${embedding.length} dims, model ${result.model}, provider ${result.provider}`);
      console.log(`[${embedding.slice(0, 8).map((x) => x.toFixed(5)).join(', ')}${embedding.length > 8 ? ', …' : ''}]`);
    }
  } finally {
    await releaseEncoders();
  }
}
