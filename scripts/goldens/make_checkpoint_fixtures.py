#!/usr/bin/python3
"""Writes the small checkpoint fixtures the TypeScript checkpoint reader is tested against.

Run with Debian's interpreter, which has torch 1.13:  /usr/bin/python3 scripts/goldens/make_checkpoint_fixtures.py
Every file is a few KB and the output is deterministic (fixed seed), so re-running only changes files when
the generator changes.

Expected values go to `<name>.expected.json` as float32 bit patterns, so tests compare exactly (NaN, -0, and
subnormals included) instead of trusting decimal round-trips.

The hostile pickles are assembled opcode by opcode: nothing dangerous is imported or called while writing them,
and pickletools only disassembles (it never executes).
"""
import collections
import io
import json
import os
import pickletools
import struct
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'checkpoints')


def f32_bits(t):
    a = t.detach().to(torch.float32).contiguous().numpy().reshape(-1)
    return [int(x) for x in a.view(np.uint32)]


def write_expected(name, state):
    tensors = [{'name': k, 'shape': list(v.shape), 'bits': f32_bits(v)} for k, v in state.items()]
    with open(os.path.join(OUT, name + '.expected.json'), 'w') as f:
        json.dump({'tensors': tensors}, f, separators=(',', ':'))
        f.write('\n')


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pos_embed = torch.nn.Parameter(torch.randn(1, 2, 3))
        self.fc = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)


def tiny_state():
    torch.manual_seed(0)
    return Tiny()


def save(name, obj, **kwargs):
    torch.save(obj, os.path.join(OUT, name), **kwargs)


def special_values(dtype):
    # Edge cases of the narrow float formats: -0, subnormals, largest finite, infinities, NaN.
    if dtype == torch.float16:
        vals = [0.0, -0.0, 6e-8, -6.1e-5, 65504.0, float('inf'), float('-inf'), float('nan'), 1.0 / 3]
    else:
        vals = [0.0, -0.0, 1e-40, -3.0e38, float('inf'), float('-inf'), float('nan'), 1.0 / 3, 2.5]
    return torch.tensor(vals, dtype=dtype)


def plain_fixtures():
    model = tiny_state()
    sd = model.state_dict()  # an OrderedDict carrying `_metadata`
    assert hasattr(sd, '_metadata')
    save('plain.pt', sd)
    write_expected('plain', sd)

    save('module_prefix.pt', torch.nn.DataParallel(model).state_dict())
    write_expected('module_prefix', sd)

    for label, dtype in (('fp16', torch.float16), ('bf16', torch.bfloat16), ('f64', torch.float64)):
        low = collections.OrderedDict((k, v.to(dtype)) for k, v in sd.items())
        low['special'] = special_values(dtype)
        save(label + '.pt', low)
        write_expected(label, low)

    save('wrapped.pt', {'state_dict': sd, 'epoch': 3})
    write_expected('wrapped', sd)

    save('legacy.pt', sd, _use_new_zipfile_serialization=False)

    # Same archive, but every entry deflated: torch never writes this, so the reader must refuse it.
    with open(os.path.join(OUT, 'plain.pt'), 'rb') as f:
        src = zipfile.ZipFile(io.BytesIO(f.read()))
    with zipfile.ZipFile(os.path.join(OUT, 'compressed.pt'), 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))


def view_fixtures():
    torch.manual_seed(1)
    base = torch.randn(3, 4)
    pair = torch.randn(2, 5)
    sd = collections.OrderedDict()
    sd['transposed'] = base.t()                    # strides (1, 4)
    sd['sliced'] = base[1:, 2:]                    # storage_offset 6, strides (4, 1)
    sd['base'] = base
    sd['row0'] = pair[0]                           # shares `pair`'s storage
    sd['row1'] = pair[1]                           # storage_offset 5
    sd['column'] = pair[:, 3]                      # strides (5,)
    sd['scalar'] = torch.tensor(3.5)               # 0-d
    sd['empty'] = torch.zeros(0, 4)                # no elements
    sd['broadcast'] = torch.arange(3, dtype=torch.float32).expand(2, 3)  # stride 0
    assert sd['row0'].storage().data_ptr() == sd['row1'].storage().data_ptr()
    assert sd['sliced'].storage_offset() == 6 and sd['broadcast'].stride() == (0, 1)
    save('views.pt', sd)
    write_expected('views', sd)


def safetensors_fixture():
    torch.manual_seed(2)
    tensors = collections.OrderedDict()
    tensors['a.f32'] = torch.randn(2, 3)
    tensors['b.f16'] = special_values(torch.float16)
    tensors['c.bf16'] = special_values(torch.bfloat16)
    tensors['d.f64'] = torch.randn(2, 2, dtype=torch.float64)
    tensors['e.scalar'] = torch.tensor(-1.25)
    names = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64'}

    header = {'__metadata__': {'format': 'pt'}}
    chunks = []
    offset = 0
    for k, v in tensors.items():
        if v.dtype == torch.bfloat16:
            raw = v.view(torch.int16).numpy().tobytes()
        else:
            raw = v.numpy().tobytes()
        header[k] = {'dtype': names[v.dtype], 'shape': list(v.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    with open(os.path.join(OUT, 'plain.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))
    write_expected('plain.safetensors', tensors)


def structure_fixtures():
    # Files that are valid torch.save output but not a single flat state dict of float tensors.
    torch.manual_seed(3)
    t = torch.randn(2)
    save('mixed_top_level.pt', collections.OrderedDict([('weight', t), ('epoch', 3)]))
    save('empty.pt', collections.OrderedDict())
    save('duplicate_after_strip.pt', collections.OrderedDict([('module.w', t), ('w', t)]))
    save('two_state_dicts.pt', {'model': {'w': t}, 'ema': {'w': t}})
    save('int_buffer.pt', torch.nn.BatchNorm1d(2).state_dict())  # num_batches_tracked is int64
    save('not_a_dict.pt', [t])
    params = collections.OrderedDict([('w', torch.nn.Parameter(t.clone()))])
    save('parameter.pt', params)  # pickled through torch._utils._rebuild_parameter
    write_expected('parameter', params)


# --- hostile pickles -------------------------------------------------------------------------------------------

def unicode_op(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b


def dict_with_call(global_ops, arg):
    """{'weight': <callable>(arg,)} in protocol 2, the shape of a state dict whose value runs code on load."""
    return (b'\x80\x02}q\x00' + unicode_op('weight') + global_ops + unicode_op(arg) + b'\x85R' + b's.')


def hostile_zip(name, pkl):
    pickletools.dis(pkl, out=io.StringIO())  # proves the bytes are a well-formed pickle, without running it
    stem = name[:-3]
    with zipfile.ZipFile(os.path.join(OUT, name), 'w', zipfile.ZIP_STORED) as z:
        for entry, data in ((stem + '/data.pkl', pkl), (stem + '/version', b'3\n')):
            z.writestr(zipfile.ZipInfo(entry, date_time=(2020, 1, 1, 0, 0, 0)), data)


def hostile_fixtures():
    hostile_zip('evil_os_system.pt', dict_with_call(b'cos\nsystem\n', 'echo pwned'))
    # STACK_GLOBAL (protocol 4 style): module and name come from the stack.
    hostile_zip('evil_eval.pt', dict_with_call(unicode_op('builtins') + unicode_op('eval') + b'\x93',
                                               '__import__("os").system("echo pwned")'))
    hostile_zip('evil_popen.pt', dict_with_call(b'csubprocess\nPopen\n', 'echo pwned'))
    # A real tensor whose storage type tag is swapped for a dangerous global.
    with open(os.path.join(OUT, 'plain.pt'), 'rb') as f:
        z = zipfile.ZipFile(io.BytesIO(f.read()))
    pkl = z.read('plain/data.pkl').replace(b'ctorch\nFloatStorage\n', b'cposix\nsystem\n', 1)
    hostile_zip('evil_storage_tag.pt', pkl)


def main():
    os.makedirs(OUT, exist_ok=True)
    plain_fixtures()
    view_fixtures()
    safetensors_fixture()
    structure_fixtures()
    hostile_fixtures()


if __name__ == '__main__':
    main()
