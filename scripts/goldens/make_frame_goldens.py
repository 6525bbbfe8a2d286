#!/usr/bin/python3
"""Golden fixtures for video-frame parity (tests/media/frame-parity.test.ts).

Run with Debian's Python (PIL 9.4, torchvision 0.14), with ffmpeg on PATH:
    /usr/bin/python3 scripts/goldens/make_frame_goldens.py

tests/fixtures/frames/:
  <video>.mp4        small committed h264 clips made here from lavfi sources
  <name>.f32         [3, 224, 224] float32: the frame at `time`, extracted by ffmpeg exactly as
                     media/image.ts decodeFrameRgb asks for it (input seek `-ss t -i`, first video
                     stream, rgb24) but written to PNG, then PIL → Resize(224, BILINEAR) →
                     CenterCrop(224) → ToTensor → Normalize(ImageNet), as the official extractor+loader
  manifest.json      per frame: video, time, decoded size, sha256 of the decoded RGB bytes
"""
import hashlib
import json
import os
import subprocess
import tempfile

import numpy as np
import PIL
import torchvision
from PIL import Image
from torchvision import transforms

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'frames')


def ffmpeg(*args: str) -> None:
    subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-y', *args], check=True)


VIDEOS = {
    # Detailed, colourful, moving: resampling has work to do; 4:3 so the crop trims the sides.
    'testsrc2_320x240.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=2',
                             '-c:v', 'libx264', '-preset', 'medium', '-crf', '20', '-g', '10', '-pix_fmt', 'yuv420p',
                             '-threads', '1'],
    # Red left, blue right (channel order and left/right orientation), 5:3.
    'redblue_400x240.mp4': ['-f', 'lavfi', '-i', 'color=c=0xE00000:s=200x240:r=10:d=2,pad=400:240:0:0:0x0000E0',
                            '-c:v', 'libx264', '-preset', 'medium', '-pix_fmt', 'yuv420p', '-threads', '1'],
}
FRAMES = [
    ('testsrc2_t0p55', 'testsrc2_320x240.mp4', 0.55),  # between frames: the one at 0.6 s
    ('testsrc2_t1p30', 'testsrc2_320x240.mp4', 1.3),   # a predicted frame, 3 frames after a keyframe
    ('redblue_t1p00', 'redblue_400x240.mp4', 1.0),
]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    for name, args in VIDEOS.items():
        ffmpeg(*args, os.path.join(OUT, name))
    pipeline = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    ])
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, video, t in FRAMES:
            png = os.path.join(tmp, f'{name}.png')
            # The same arguments decodeFrameRgb uses, with a PNG instead of a PPM at the end.
            ffmpeg('-ss', f'{t:.6f}', '-i', os.path.join(OUT, video), '-map', '0:V:0?', '-an', '-sn', '-dn',
                   '-frames:v', '1', '-pix_fmt', 'rgb24', png)
            img = Image.open(png).convert('RGB')
            rgb = np.asarray(img)
            tensor = pipeline(img)
            assert tuple(tensor.shape) == (3, 224, 224)
            tensor.numpy().astype('<f4').tofile(os.path.join(OUT, f'{name}.f32'))
            manifest.append({'name': name, 'video': video, 'time': t, 'width': img.width, 'height': img.height,
                             'rgbSha256': hashlib.sha256(rgb.tobytes()).hexdigest()})
            print(f'frame {name}: {video} @ {t} s, {img.width}x{img.height}')
    ver = subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True, check=True).stdout.split('\n')[0]
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump({'ffmpeg': ver, 'pil': PIL.__version__, 'torchvision': torchvision.__version__, 'frames': manifest}, f, indent=2)


if __name__ == '__main__':
    main()
