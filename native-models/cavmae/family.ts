// CAV-MAE (Gong et al., ICLR 2023) as a model family: pretrained (CAVMAE) and fine-tuned (CAVMAEFT)
// checkpoints, retrieval embeddings from the audio and visual graphs, and for fine-tuned ones the
// joint and head graphs the classifier composes (classifier.ts).
import type { ModelFamily } from '../family.ts';
import type { CavMaeConfig } from './config.ts';
import { inferConfig } from './config.ts';
import { buildEncoderGraph, buildHeadGraph, buildJointGraph, ENCODER_IO } from './graphs.ts';
import { cavMaeMismatch, isDecoderKey } from './keys.ts';
import { audioInput, imageInput } from './preprocess.ts';

export const cavmae: ModelFamily<CavMaeConfig> = {
  name: 'cavmae',
  title: 'CAV-MAE',
  encoderIO: ENCODER_IO,
  mismatch: cavMaeMismatch,
  isUnused: isDecoderKey,
  inferConfig,
  graphNames(config) {
    return config.numClasses === null ? ['audio', 'visual'] : ['audio', 'visual', 'joint', 'head'];
  },
  buildGraph(name, sd, config, options) {
    if (name === 'audio' || name === 'visual') return buildEncoderGraph(sd, config, name, options);
    if (name === 'joint') return buildJointGraph(sd, config, options);
    return buildHeadGraph(sd, config, options);
  },
  inputShape(stream, config) {
    return stream === 'audio' ? [config.audioFrames, config.melBins] : [3, config.imageSize, config.imageSize];
  },
  tokenGrid(stream, config) {
    // Read off the checkpoint's positional embeddings (8×64 audio, 14×14 visual when released).
    return stream === 'audio' ? config.audioGrid : config.visualGrid;
  },
  audioInput,
  imageInput,
};
