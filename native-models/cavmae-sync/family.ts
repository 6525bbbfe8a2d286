// CAV-MAE Sync (Araujo et al., CVPR 2025) as a model family: the released retrieval model and any
// checkpoint of its layout. One (sound, picture) embedding pair per video frame, 16 frames per
// 10.24-s clip (config.ts frameLevel); no classifier graphs.
import type { ModelFamily } from '../family.ts';
import { imageInput } from '../cavmae/preprocess.ts';
import { isDecoderKey } from '../cavmae/keys.ts';
import type { SyncConfig } from './config.ts';
import { frameLevel, inferSyncConfig, SYNC_FAMILY } from './config.ts';
import { buildSyncEncoderGraph, SYNC_ENCODER_IO } from './graphs.ts';
import { syncMismatch } from './keys.ts';
import { audioInput, frameAudioInputs } from './preprocess.ts';

export const cavmaeSync: ModelFamily<SyncConfig> = {
  name: SYNC_FAMILY,
  title: 'CAV-MAE Sync',
  encoderIO: SYNC_ENCODER_IO,
  mismatch: syncMismatch,
  isUnused: isDecoderKey,
  inferConfig: inferSyncConfig,
  graphNames() {
    return ['audio', 'visual'];
  },
  buildGraph(name, sd, config, options) {
    if (name !== 'audio' && name !== 'visual') throw new Error(`CAV-MAE Sync has no ${name} graph`);
    return buildSyncEncoderGraph(sd, config, name, options);
  },
  inputShape(stream, config) {
    return stream === 'audio' ? [config.audioFrames, config.melBins] : [3, config.imageSize, config.imageSize];
  },
  tokenGrid(stream, config) {
    return stream === 'audio' ? config.audioGrid : config.visualGrid;
  },
  audioInput: (samples, config) => audioInput(samples, config),
  imageInput,
  frameLevel,
  frameAudioInputs,
};
