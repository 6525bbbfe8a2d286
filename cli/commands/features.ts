import { audioWindowFeatures } from '../../core/embedding.ts';
import { TARGET_FRAMES, MEL_BINS as FBANK_BINS } from '../../native-models/cavmae/preprocess.ts';
import { numberOption, parse, printJson, UsageError } from '../args.ts';

export const FEATURES_HELP = `Usage:
  foley features --audio FILE [--start SECONDS] [--window SECONDS] [--json]

Prints the normalised log-mel fbank the audio encoder is fed for the window starting at --start:
16 kHz first channel, Kaldi fbank (128 mel bins, 25/10 ms), padded/cut to ${TARGET_FRAMES} frames,
(x + 5.081) / 4.4849. --json prints {"shape": [${TARGET_FRAMES}, ${FBANK_BINS}], "data": [...]} (time-major).`;

export async function featuresCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, { audio: { type: 'string' }, start: { type: 'string' }, window: { type: 'string' } });
  if (values.help === true) {
    console.log(FEATURES_HELP);
    return;
  }
  if (values.audio === undefined) throw new UsageError('features needs --audio FILE');
  const start = numberOption('start', values.start, { min: 0 });
  const seconds = numberOption('window', values.window, { min: 0.1 });
  const data = await audioWindowFeatures(values.audio, TARGET_FRAMES, {
    ...(start !== undefined ? { start } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
  });
  if (values.json === true) {
    printJson({ shape: [TARGET_FRAMES, FBANK_BINS], data: Array.from(data) });
    return;
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of data) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  console.log(`fbank [${TARGET_FRAMES}, ${FBANK_BINS}] min ${min.toFixed(4)} max ${max.toFixed(4)} mean ${(sum / data.length).toFixed(4)}`);
}
