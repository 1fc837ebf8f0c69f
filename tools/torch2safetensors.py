#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (``torch.save`` file) to ``.safetensors``.

Standard library only: PyTorch is neither needed nor imported, and no code
from the checkpoint is ever executed (see "Safety" below).

Input formats
-------------
Two container formats written by ``torch.save`` are understood.

*Legacy* (PyTorch < 1.6, or ``_use_new_zipfile_serialization=False``): the
file is a plain sequence of pickles followed by raw storage data:

1. the magic number ``0x1950a86a20f9469cfc6c``;
2. the protocol version ``1001``;
3. a "sys info" dict (byte order, C type sizes);
4. the saved object itself.  Every tensor storage inside it is replaced by
   a persistent id ``('storage', storage_type, key, location, numel,
   view_metadata)``, where ``storage_type`` is a global such as
   ``torch.FloatStorage`` and ``view_metadata`` is ``None`` or
   ``(view_key, offset, size)`` for a view into the root storage ``key``;
5. the list of root storage keys;
6. for each of those keys, in that order: an 8-byte little-endian element
   count, then the storage's elements as raw little-endian bytes.

*Zip* (default since PyTorch 1.6): a zip archive with one top-level folder
(``ARCHIVE``, any name) holding ``ARCHIVE/data.pkl`` (the saved object,
storages referenced by persistent ids ``('storage', storage_type, key,
location, numel)``), each storage's raw bytes in ``ARCHIVE/data/KEY``, and
optionally ``ARCHIVE/byteorder`` (``little`` or ``big``; absent means
little) and ``ARCHIVE/version``.

In both formats a tensor appears in the pickle as a call of
``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
requires_grad, backward_hooks[, metadata])`` (very old files:
``_rebuild_tensor(storage, storage_offset, size, stride)``), wrapped in
``torch._utils._rebuild_parameter(...)`` for ``nn.Parameter``.  Sizes,
strides and offsets are counted in elements; non-contiguous tensors are
written out contiguous (row-major).

Safety
------
The unpickler resolves globals only through an allow-list of harmless
stand-ins (storage type markers, tensor rebuild functions implemented here,
``collections.OrderedDict``, ``torch.Size``, ``torch.device``).  Any other
global, e.g. ``os.system``, aborts the conversion with an error.

Output
------
A safetensors file: an unsigned 64-bit little-endian header length N, N bytes
of UTF-8 JSON (padded with spaces to a multiple of 8) mapping each tensor
name to ``{"dtype", "shape", "data_offsets"}`` plus a ``__metadata__`` entry,
then the tensor data, tightly packed, larger element sizes first (so each tensor is aligned).

Usage::

    torch2safetensors.py INPUT OUTPUT.safetensors
    torch2safetensors.py --list INPUT
"""

import argparse
import collections
import itertools
import json
import math
import os
import pickle
import re
import struct
import sys
import tempfile
import zipfile

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
STATE_DICT_ENTRIES = ('state_dict', 'model', 'state_dict_ema')
DEFAULT_PREFIX = 'module.'


class ConversionError(Exception):
    """A problem with the input or the options, reported without traceback."""


# --------------------------------------------------------------------------
# Data model: storages and tensors rebuilt from the pickle
# --------------------------------------------------------------------------

class StorageType:
    """Stand-in for a global such as ``torch.FloatStorage``."""

    __slots__ = ('name', 'dtype', 'itemsize')

    def __init__(self, name, dtype, itemsize):
        self.name = name
        self.dtype = dtype          # safetensors dtype string
        self.itemsize = itemsize

    def __repr__(self):
        return f'torch.{self.name}'


STORAGE_TYPES = {
    st.name: st for st in (
        StorageType('FloatStorage', 'F32', 4),
        StorageType('DoubleStorage', 'F64', 8),
        StorageType('HalfStorage', 'F16', 2),
        StorageType('BFloat16Storage', 'BF16', 2),
        StorageType('LongStorage', 'I64', 8),
        StorageType('IntStorage', 'I32', 4),
        StorageType('ShortStorage', 'I16', 2),
        StorageType('CharStorage', 'I8', 1),
        StorageType('ByteStorage', 'U8', 1),
        StorageType('BoolStorage', 'BOOL', 1),
    )
}


class Storage:
    """A typed storage: ``numel`` elements, either owned or a view."""

    __slots__ = ('key', 'stype', 'numel', 'data', 'base', 'base_offset')

    def __init__(self, key, stype, numel, base=None, base_offset=0):
        self.key = key
        self.stype = stype
        self.numel = numel
        self.data = None            # bytes, little-endian (owned storages)
        self.base = base            # root Storage (views only)
        self.base_offset = base_offset

    def raw(self):
        """The storage's bytes as a memoryview."""
        size = self.numel * self.stype.itemsize
        if self.base is not None:
            begin = self.base_offset * self.stype.itemsize
            return self.base.raw()[begin:begin + size]
        if self.data is None:
            raise ConversionError(f'missing data for storage {self.key!r}')
        return memoryview(self.data)[:size]


class Tensor:
    """A strided view of a Storage (sizes, strides, offset in elements)."""

    __slots__ = ('storage', 'offset', 'shape', 'stride')

    def __init__(self, storage, offset, shape, stride):
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.stride = stride

    @property
    def dtype(self):
        return self.storage.stype.dtype

    @property
    def numel(self):
        return math.prod(self.shape)

    @property
    def nbytes(self):
        return self.numel * self.storage.stype.itemsize

    def is_contiguous(self):
        expected = 1
        for size, stride in zip(reversed(self.shape), reversed(self.stride)):
            if size != 1 and stride != expected:
                return False
            expected *= size
        return True

    def contiguous_bytes(self):
        """The tensor's elements in row-major order, little-endian."""
        if self.numel == 0:
            return b''
        item = self.storage.stype.itemsize
        src = self.storage.raw()
        if self.is_contiguous():
            return bytes(src[self.offset * item:self.offset * item + self.nbytes])
        return strided_copy(src, item, self.offset, self.shape, self.stride)


def strided_copy(src, item, offset, shape, stride):
    """Gather a strided view of ``src`` (elements of ``item`` bytes)."""
    out = bytearray(math.prod(shape) * item)
    inner_size, inner_stride = shape[-1], stride[-1]
    row_bytes = inner_size * item
    outer = itertools.product(*(range(n) for n in shape[:-1]))
    for row, index in enumerate(outer):
        first = (offset + sum(i * s for i, s in zip(index, stride))) * item
        dest = row * row_bytes
        if inner_stride == 1:
            out[dest:dest + row_bytes] = src[first:first + row_bytes]
        elif inner_stride == 0:
            out[dest:dest + row_bytes] = bytes(src[first:first + item]) * inner_size
        else:
            # Copy one byte lane of every element at a time.
            step = inner_stride * item
            last = first + (inner_size - 1) * step
            for lane in range(item):
                out[dest + lane:dest + row_bytes:item] = src[first + lane:last + lane + 1:step]
    return bytes(out)


def to_little_endian(data, itemsize):
    """Byte-swap big-endian elements of ``itemsize`` bytes."""
    if itemsize == 1:
        return data
    out = bytearray(len(data))
    for lane in range(itemsize):
        out[lane::itemsize] = data[itemsize - 1 - lane::itemsize]
    return bytes(out)


# --------------------------------------------------------------------------
# Allow-listed globals
# --------------------------------------------------------------------------

def _check_index_tuple(value, what):
    if not isinstance(value, tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ConversionError(f'invalid tensor {what}: {value!r}')
    return value


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, Storage):
        raise ConversionError(f'tensor rebuilt from a non-storage object: {type(storage).__name__}')
    shape = _check_index_tuple(tuple(size), 'size')
    strides = _check_index_tuple(tuple(stride), 'stride')
    (offset,) = _check_index_tuple((storage_offset,), 'storage offset')
    if len(shape) != len(strides):
        raise ConversionError(f'tensor size {shape} and stride {strides} differ in rank')
    if math.prod(shape) > 0:
        last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
        if last >= storage.numel:
            raise ConversionError(
                f'tensor (offset {offset}, size {shape}, stride {strides}) reaches past '
                f'the end of storage {storage.key!r} ({storage.numel} elements)')
    return Tensor(storage, offset, shape, strides)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    if not isinstance(data, Tensor):
        raise ConversionError(f'parameter rebuilt from a non-tensor: {type(data).__name__}')
    return data


def _torch_size(dims=()):
    return tuple(dims)


def _torch_device(kind, index=None):
    return str(kind) if index is None else f'{kind}:{index}'


def _codecs_encode(text, encoding='utf-8'):
    # Protocol-2 pickles store ``bytes`` objects as _codecs.encode(str, 'latin1').
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise ConversionError('unsupported _codecs.encode call in pickle')
    return text.encode('latin-1')


ALLOWED_GLOBALS = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('torch._utils', '_rebuild_tensor'): _rebuild_tensor,
    ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor_v2,
    ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
    ('torch._utils', '_rebuild_parameter_with_state'): _rebuild_parameter,
    ('torch', 'Size'): _torch_size,
    ('torch', 'device'): _torch_device,
    ('_codecs', 'encode'): _codecs_encode,
}
ALLOWED_GLOBALS.update({('torch', name): stype for name, stype in STORAGE_TYPES.items()})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler resolving globals only from ALLOWED_GLOBALS."""

    def __init__(self, file, load_storage=None):
        super().__init__(file, encoding='utf-8')
        self._load_storage = load_storage

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise ConversionError(
                f"refusing to load global '{module}.{name}': not a PyTorch tensor or "
                'storage class (only plain state dicts are supported)') from None

    def persistent_load(self, pid):
        if self._load_storage is None:
            raise ConversionError('unexpected persistent id in pickle')
        return self._load_storage(pid)


def load_pickle(file, what, load_storage=None):
    """Unpickle one object, turning every failure into a ConversionError."""
    try:
        return RestrictedUnpickler(file, load_storage).load()
    except ConversionError:
        raise
    except EOFError:
        raise ConversionError(f'truncated file: end of data while reading the {what}') from None
    except pickle.UnpicklingError as exc:
        if 'truncated' in str(exc):
            raise ConversionError(f'truncated file: end of data while reading the {what}') from None
        raise ConversionError(f'corrupt {what}: {exc}') from None
    except Exception as exc:
        raise ConversionError(f'corrupt {what}: {type(exc).__name__}: {exc}') from None


def _ascii(value):
    # Python 2 era files may carry these strings as bytes.
    return value.decode('ascii') if isinstance(value, bytes) else value


def parse_storage_pid(pid):
    """Split a persistent id into (storage type, key, numel, view metadata)."""
    if not isinstance(pid, tuple) or not pid:
        raise ConversionError(f'unsupported persistent id: {pid!r}')
    kind = _ascii(pid[0])
    if kind == 'module':
        raise ConversionError('checkpoint contains a whole nn.Module, not a state dict')
    if kind != 'storage' or len(pid) not in (5, 6):
        raise ConversionError(f'unsupported persistent id: {pid!r}')
    stype, key, _location, numel = pid[1:5]
    view = pid[5] if len(pid) == 6 else None
    if not isinstance(stype, StorageType):
        raise ConversionError(f'unsupported storage type in persistent id: {stype!r}')
    key = _ascii(key)
    if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
        raise ConversionError(f'malformed storage persistent id: {pid!r}')
    return stype, key, numel, view


# --------------------------------------------------------------------------
# Container formats
# --------------------------------------------------------------------------

def read_exact(file, size, what):
    data = file.read(size)
    if len(data) != size:
        raise ConversionError(f'truncated file: expected {size} bytes of {what}, got {len(data)}')
    return data


def read_legacy(file):
    """Read a legacy (pickle sequence) checkpoint from an open binary file."""
    try:
        magic = RestrictedUnpickler(file).load()
    except Exception:
        magic = None
    if magic != LEGACY_MAGIC:
        raise ConversionError('not a PyTorch checkpoint (bad magic number)')
    version = load_pickle(file, 'protocol version')
    if version != LEGACY_PROTOCOL_VERSION:
        raise ConversionError(f'unsupported legacy protocol version {version!r}')
    load_pickle(file, 'sys info')

    storages = {}

    def load_storage(pid):
        stype, key, numel, view = parse_storage_pid(pid)
        root = storages.setdefault(key, Storage(key, stype, numel))
        if root.stype is not stype:
            raise ConversionError(f'storage {key!r} used with two different types')
        if view is None:
            return root
        view_key, offset, size = view
        view_key = _ascii(view_key)
        if offset < 0 or size < 0 or offset + size > numel:
            raise ConversionError(f'storage view {view_key!r} lies outside storage {key!r}')
        return storages.setdefault(view_key, Storage(view_key, stype, size, root, offset))

    obj = load_pickle(file, 'checkpoint object', load_storage)
    keys = load_pickle(file, 'storage key list')
    if not isinstance(keys, list):
        raise ConversionError('corrupt storage key list')
    for key in keys:
        storage = storages.get(_ascii(key))
        if storage is None or storage.base is not None:
            raise ConversionError(f'storage {key!r} listed but never referenced')
        (count,) = struct.unpack('<q', read_exact(file, 8, f'storage {key!r} header'))
        if count != storage.numel:
            raise ConversionError(
                f'storage {key!r} holds {count} elements, expected {storage.numel}')
        storage.data = read_exact(file, count * storage.stype.itemsize, f'storage {key!r} data')
    for storage in storages.values():
        if storage.base is None and storage.data is None:
            raise ConversionError(f'missing data for storage {storage.key!r}')
    return obj


def find_archive_prefix(names):
    """The ``ARCHIVE/`` folder holding data.pkl in a torch zip file."""
    candidates = [n[:-len('data.pkl')] for n in names
                  if n.endswith('/data.pkl') and n.count('/') == 1]
    if len(candidates) != 1:
        raise ConversionError('zip file is not a torch.save archive (no unique ARCHIVE/data.pkl)')
    return candidates[0]


def read_zip_archive(archive):
    """Read a zip-format checkpoint from an open zipfile.ZipFile."""
    names = set(archive.namelist())
    prefix = find_archive_prefix(names)
    byteorder = 'little'
    if prefix + 'byteorder' in names:
        byteorder = archive.read(prefix + 'byteorder').decode('ascii', 'replace').strip()
        if byteorder not in ('little', 'big'):
            raise ConversionError(f'unknown byte order {byteorder!r} in archive')

    storages = {}

    def load_storage(pid):
        stype, key, numel, _view = parse_storage_pid(pid)
        if key in storages:
            if storages[key].stype is not stype:
                raise ConversionError(f'storage {key!r} used with two different types')
            return storages[key]
        member = f'{prefix}data/{key}'
        if member not in names:
            raise ConversionError(f'missing storage: archive has no member {member!r}')
        storage = Storage(key, stype, numel)
        data = archive.read(member)
        size = numel * stype.itemsize
        if len(data) < size:
            raise ConversionError(
                f'truncated storage {key!r}: {len(data)} bytes, expected {size}')
        if byteorder == 'big':
            data = to_little_endian(data[:size], stype.itemsize)
        storage.data = data
        storages[key] = storage
        return storage

    with archive.open(prefix + 'data.pkl') as pkl:
        return load_pickle(pkl, 'checkpoint object (data.pkl)', load_storage)


def read_checkpoint(path):
    """Unpickle a torch.save file of either format (tensors as Tensor objects)."""
    with open(path, 'rb') as file:
        head = file.read(512)
        file.seek(0)
        if not head:
            raise ConversionError('empty file')
        if head.startswith(b'PK\x03\x04'):
            try:
                with zipfile.ZipFile(file) as archive:
                    return read_zip_archive(archive)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                raise ConversionError(f'corrupt or truncated zip archive: {exc}') from None
        if head[257:262] == b'ustar':
            raise ConversionError('tar-based checkpoints (PyTorch < 0.1.10) are not supported')
        return read_legacy(file)


# --------------------------------------------------------------------------
# State dict selection and renaming
# --------------------------------------------------------------------------

def is_tensor_dict(obj):
    return (isinstance(obj, dict) and len(obj) > 0
            and all(isinstance(v, Tensor) for v in obj.values()))


def select_state_dict(obj):
    """Find the dict of tensors inside a loaded checkpoint object."""
    if isinstance(obj, dict):
        for entry in STATE_DICT_ENTRIES:
            if is_tensor_dict(obj.get(entry)):
                return obj[entry]
    if is_tensor_dict(obj):
        return obj
    if isinstance(obj, dict):
        keys = ', '.join(repr(k) for k in list(obj)[:8])
        raise ConversionError(f'no state dict of tensors found (top-level keys: {keys})')
    raise ConversionError(f'no state dict of tensors found (top-level object is a '
                          f'{type(obj).__name__})')


def rename_tensors(state_dict, strip_prefix=None, drop_regex=None):
    """Apply prefix stripping and name dropping; returns {name: Tensor}.

    ``strip_prefix=None`` strips ``module.`` only when every name has it.
    """
    names = list(state_dict)
    for name in names:
        if not isinstance(name, str):
            raise ConversionError(f'tensor name is not a string: {name!r}')
    if strip_prefix is None:
        every = all(n.startswith(DEFAULT_PREFIX) for n in names)
        strip_prefix = DEFAULT_PREFIX if every else ''
    drop = re.compile(drop_regex) if drop_regex else None
    tensors = {}
    for name in names:
        new_name = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name
        if drop and drop.search(new_name):
            continue
        if new_name in tensors or new_name == '__metadata__' or not new_name:
            raise ConversionError(f'invalid or duplicate tensor name after renaming: {new_name!r}')
        tensors[new_name] = state_dict[name]
    return tensors


# --------------------------------------------------------------------------
# safetensors output
# --------------------------------------------------------------------------

def data_order(tensors):
    """Tensor names in data order: larger element sizes first, then by name.  With the header
    padded to a multiple of 8 bytes, every tensor then starts aligned to its element size
    (the safetensors reference writer's rule) without leaving holes in the data section."""
    return sorted(tensors, key=lambda name: (-tensors[name].storage.stype.itemsize, name))


def safetensors_header(tensors, metadata):
    """Encoded, space-padded JSON header; tensors in data_order."""
    header = {}
    offset = 0
    for name in data_order(tensors):
        tensor = tensors[name]
        header[name] = {'dtype': tensor.dtype, 'shape': list(tensor.shape),
                        'data_offsets': [offset, offset + tensor.nbytes]}
        offset += tensor.nbytes
    header['__metadata__'] = metadata
    encoded = json.dumps(header, separators=(',', ':')).encode('utf-8')
    return encoded + b' ' * (-len(encoded) % 8)


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_safetensors(path, tensors, metadata):
    """Write atomically: a temporary file next to ``path`` renamed at the end."""
    header = safetensors_header(tensors, metadata)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConversionError(f'{path}: the folder {directory} does not exist')
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.',
                                    suffix='.tmp')
    try:
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        with os.fdopen(fd, 'wb') as out:
            out.write(struct.pack('<Q', len(header)))
            out.write(header)
            for name in data_order(tensors):
                out.write(tensors[name].contiguous_bytes())
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def list_tensors(tensors, stream=sys.stdout):
    width = max((len(n) for n in tensors), default=0)
    for name in sorted(tensors):
        tensor = tensors[name]
        print(f'{name:<{width}}  {tensor.dtype:<4}  {list(tensor.shape)}', file=stream)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Convert a PyTorch checkpoint (zip or legacy torch.save format) '
                    'to .safetensors without PyTorch.')
    parser.add_argument('input', help='checkpoint written by torch.save')
    parser.add_argument('output', nargs='?', help='output .safetensors file')
    parser.add_argument('--strip-prefix', metavar='PREFIX', default=None,
                        help="remove PREFIX from tensor names that start with it "
                             "(default: remove 'module.' if every name starts with it; "
                             "'' disables)")
    parser.add_argument('--drop-regex', metavar='REGEX', default=None,
                        help='drop tensors whose (renamed) name matches REGEX, '
                             "e.g. 'num_batches_tracked$'")
    parser.add_argument('--list', action='store_true',
                        help='print tensor names, dtypes and shapes, then exit')
    args = parser.parse_args(argv)
    if not args.list and args.output is None:
        parser.error('the OUTPUT argument is required (unless --list is given)')
    if not args.list and os.path.isdir(args.output):
        parser.error(f'OUTPUT {args.output} is a directory: give the file to write')
    if args.drop_regex:
        try:
            re.compile(args.drop_regex)
        except re.error as exc:
            parser.error(f'invalid --drop-regex: {exc}')
    return args


def convert(args):
    state_dict = select_state_dict(read_checkpoint(args.input))
    tensors = rename_tensors(state_dict, args.strip_prefix, args.drop_regex)
    if args.list:
        list_tensors(tensors)
        return
    metadata = {'format': 'pt', 'source': os.path.basename(args.input)}
    write_safetensors(args.output, tensors, metadata)
    total = sum(t.nbytes for t in tensors.values())
    print(f'{args.output}: {len(tensors)} tensors, {total} bytes of data')


def main(argv=None):
    args = parse_args(argv)
    try:
        convert(args)
    except ConversionError as exc:
        print(f'torch2safetensors: error: {args.input}: {exc}', file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        # the file and the reason ("x.pth: No such file or directory"), not Python's "[Errno 2] ..."
        where = f'{exc.filename}: ' if exc.filename else ''
        print(f'torch2safetensors: error: {where}{exc.strerror or exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
