// How much of a file one embedding sees. CAV-MAE was trained on 10-s clips (998 fbank frames, padded
// to 1024) with the middle frame (~5 s) as the picture, so a window is 10 s of audio and the frame at
// its middle unless the user picks another length.
export const DEFAULT_WINDOW_SECONDS = 10;
export const SAMPLE_RATE = 16000;

export function windowMiddle(start: number, seconds = DEFAULT_WINDOW_SECONDS): number {
  return start + seconds / 2;
}
