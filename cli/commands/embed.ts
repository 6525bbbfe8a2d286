import { releaseEncoders } from '../../core/embedding/encoders.ts';
import { embedAudioFile, embedImageFile } from '../../core/embedding/file.ts';
import { resolveModel } from '../../core/models/store.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const EMBED_HELP = `Usage:
  foley embed --audio FILE [--start SECONDS] [--window SECONDS] [--frame K] [--model NAME] [--json]
  foley embed --image FILE [--model NAME] [--json]

Prints the model's embedding (L2-normalised) of a 10-s audio window starting at --start, or of an
image prepared like a video frame (shorter side 224, centre crop, ImageNet mean/std).
For a CAV-MAE Sync model the sound is embedded as frame K (0–15, default 8) of the window: the
4.16-s stretch of the window's spectrogram centred on that frame, as the model was trained.
--json prints {"embedding": [...], "modality", "model", "provider"}.

Options: --data-dir DIR, --provider auto|cpu|cuda|dml|coreml|webgpu, --threads N, --help`;

export async function embedCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    audio: { type: 'string' },
    image: { type: 'string' },
    start: { type: 'string' },
    window: { type: 'string' },
    frame: { type: 'string' },
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
  if (image !== undefined && values.frame !== undefined) throw new UsageError('--frame applies to --audio only');
  const model = await resolveModel(dataDirFrom(values), values.model);
  const runtime = runtimeFrom(values);
  const start = numberOption('start', values.start, { min: 0 });
  const seconds = numberOption('window', values.window, { min: 0.1 });
  const frame = numberOption('frame', values.frame, { min: 0, integer: true });
  try {
    const result =
      audio !== undefined
        ? await embedAudioFile(model, audio, { ...runtime, ...(start !== undefined ? { start } : {}), ...(seconds !== undefined ? { seconds } : {}), ...(frame !== undefined ? { frame } : {}) })
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
