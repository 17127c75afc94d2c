"""QR symbols, computed in batches: the same symbols as the ``qrcode`` library, faster.

``qrcode``'s ``make(fit=True)`` builds each symbol nine times in pure Python: once
with each of the eight mask patterns, to score it with the penalty rules of ISO/IEC
18004 and keep the best, then once more.  That took 4 to 6 ms a symbol, most of the
time of printing the cards.  Here:

* the link is split into segments by the library (``add_data``), and each segment
  writes its own bits (``QRData.write``), so the encoding is the library's; the
  smallest version is found as its ``best_fit`` does;
* the bits are padded and the Reed-Solomon error correction computed as the library's
  ``create_data`` does, with integer arithmetic instead of its polynomial objects;
* the layout of a version (function patterns, the order of the data modules, the
  format and version information of each mask) is read once from the library's own
  drawing methods;
* the eight masked candidates of every symbol of a batch are scored at once with
  numpy, applying the penalty rules exactly as ``qrcode.util.lost_point`` does
  (including its choices: the format information is left light while scoring), and
  the first candidate with the lowest score is kept, as the library keeps it.

So the mask is still chosen by the standard's penalty rules, and every symbol is the
library's, module for module (the tests compare them over hundreds of links of every
length); only the arithmetic is batched.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import qrcode
from numpy.lib.stride_tricks import sliding_window_view
from qrcode import base as qr_base
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

#: Error correction level of every symbol (M: about 15 % of the symbol may be lost).
LEVEL = ERROR_CORRECT_M


def symbols(texts: Sequence[str]) -> list[np.ndarray]:
    """The QR symbol of each text (n x n booleans, True for dark, no quiet zone)."""
    versions, candidates = _candidates(texts)
    out: list[np.ndarray] = [np.zeros(0)] * len(texts)
    for version in set(versions):
        which = [i for i, v in enumerate(versions) if v == version]
        layout = _layout(version)
        stack = np.stack([candidates[i] for i in which])  # m x 8 x n x n
        best = _best(stack)
        for i, mask in zip(which, best):
            symbol = candidates[i][mask]
            symbol[layout.format_cells] = layout.formats[mask][layout.format_cells]
            out[i] = symbol
    return out


def best_mask(text: str) -> int:
    """The mask (0-7) chosen for ``text``'s symbol."""
    _, [candidates] = _candidates([text])
    return int(_best(candidates[None])[0])


def _best(stack: np.ndarray) -> np.ndarray:
    """The mask of each symbol of ``stack`` (m x 8 x n x n): the first of the lowest scores."""
    m, k, n, _ = stack.shape
    scores = np.array(mask_penalties(stack.reshape(m * k, n, n))).reshape(m, k)
    return np.argmin(scores, axis=1)  # the first of equal scores, as the library


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Layout:
    """What does not depend on the text, for one version, read from ``qrcode`` itself."""

    #: The function patterns, with the format (and version) information light, as the
    #: library scores the candidates.
    blank: np.ndarray
    #: The data modules, in the order the bits are placed, and the 8 masks there.
    rows: np.ndarray
    cols: np.ndarray
    masks: np.ndarray
    #: The format (and version) information modules, and each mask's values there.
    format_cells: np.ndarray
    formats: np.ndarray


@functools.cache
def _layout(version: int) -> _Layout:
    qr = qrcode.QRCode(version=version, error_correction=LEVEL, border=0)
    n = qr.modules_count = version * 4 + 17
    qr.modules = [[None] * n for _ in range(n)]
    for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
        qr.setup_position_probe_pattern(row, col)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    function = [list(r) for r in qr.modules]
    formats = []
    for mask in range(8):
        qr.modules = [list(r) for r in function]
        qr.setup_type_info(False, mask)
        if version >= 7:
            qr.setup_type_number(False)
        formats.append([[bool(m) for m in r] for r in qr.modules])
    filled = np.array([[m is not None for m in r] for r in qr.modules])
    # The data modules in the library's order (map_data): two columns at a time from
    # the right, upwards then downwards, stepping over the vertical timing pattern.
    cells = []
    row, step = n - 1, -1
    for right in range(n - 1, 0, -2):
        col = right - 1 if right <= 6 else right
        while 0 <= row < n:
            cells.extend((row, c) for c in (col, col - 1) if not filled[row, c])
            row += step
        row -= step
        step = -step
    rows, cols = np.array(cells).T
    masks = np.array([[qr_util.mask_func(m)(r, c) for r, c in cells] for m in range(8)])
    blank = np.array([[bool(m) for m in r] for r in function])
    format_cells = filled & np.array([[m is None for m in r] for r in function])
    return _Layout(blank, rows, cols, masks, format_cells, np.array(formats))


# --------------------------------------------------------------------------- data


class _Bits:
    """A bit string as one integer: what ``QRData.write`` needs of a buffer."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length


def _version(qr: qrcode.QRCode) -> int:
    """``QRCode.best_fit``: the smallest version that holds the data (segment lengths take
    more bits from version 10 and from 27 on, hence the second try)."""
    start = 1
    while True:
        sizes = qr_util.mode_sizes_for_version(start)
        bits = _Bits()
        for segment in qr.data_list:
            bits.put(segment.mode, 4)
            bits.put(len(segment), sizes[segment.mode])
            segment.write(bits)
        version = bisect_left(qr_util.BIT_LIMIT_TABLE[LEVEL], bits.length, start)
        if version == 41:
            raise DataOverflowError()
        if sizes is qr_util.mode_sizes_for_version(version):
            return version
        start = version


def _codewords(qr: qrcode.QRCode, version: int) -> bytes:
    """``qrcode.util.create_data``: the data bits, terminated and padded, in blocks with
    their Reed-Solomon error correction, interleaved."""
    bits = _Bits()
    for segment in qr.data_list:
        bits.put(segment.mode, 4)
        bits.put(len(segment), qr_util.length_in_bits(segment.mode, version))
        segment.write(bits)
    blocks = qr_base.rs_blocks(version, LEVEL)
    limit = sum(block.data_count * 8 for block in blocks)
    if bits.length > limit:
        raise DataOverflowError(f"Code length overflow. Data size ({bits.length}) > size available "
                                f"({limit})")
    bits.put(0, min(limit - bits.length, 4))  # terminator
    bits.put(0, -bits.length % 8)
    data = bits.value.to_bytes(bits.length // 8, "big")
    data += bytes((qr_util.PAD0, qr_util.PAD1)) * ((limit // 8 - len(data)) // 2 + 1)
    data = data[:limit // 8]
    chunks, corrections, offset = [], [], 0
    for block in blocks:
        chunk = data[offset:offset + block.data_count]
        offset += block.data_count
        chunks.append(chunk)
        corrections.append(_correction(chunk, block.total_count - block.data_count))
    return _interleave(chunks) + _interleave(corrections)


def _interleave(parts: list[bytes]) -> bytes:
    longest = max(len(p) for p in parts)
    return bytes(p[i] for i in range(longest) for p in parts if i < len(p))


def _correction(data: bytes, count: int) -> bytes:
    """The ``count`` error correction codewords of ``data`` (remainder of the division by
    the library's generator polynomial, as a shift register)."""
    table = _multiples(count)
    top = 8 * (count - 1)
    mask = (1 << (8 * count)) - 1
    register = 0
    for byte in data:
        register = ((register << 8) & mask) ^ table[byte ^ (register >> top)]
    return register.to_bytes(count, "big")


@functools.cache
def _multiples(count: int) -> tuple[int, ...]:
    """The generator polynomial of ``count`` codewords (without its leading 1) times each
    byte, as ``count``-byte integers."""
    exp, log = qr_base.EXP_TABLE, qr_base.LOG_TABLE
    generator = [1]
    for i in range(count):  # (x + a^0)(x + a^1)...(x + a^(count - 1))
        root = exp[i % 255]
        generator = [a ^ (_times(b, root, exp, log)) for a, b in zip(generator + [0], [0] + generator)]
    table = []
    for factor in range(256):
        value = 0
        for coefficient in generator[1:]:
            value = (value << 8) | _times(coefficient, factor, exp, log)
        table.append(value)
    return tuple(table)


def _times(a: int, b: int, exp: list[int], log: list[int]) -> int:
    return 0 if a == 0 or b == 0 else exp[(log[a] + log[b]) % 255]


def _candidates(texts: Sequence[str]) -> tuple[list[int], list[np.ndarray]]:
    """Each text's version and its 8 masked candidates (8 x n x n), format information light."""
    versions, candidates = [], []
    for text in texts:
        qr = qrcode.QRCode(error_correction=LEVEL, border=0)
        qr.add_data(text)
        version = _version(qr)
        layout = _layout(version)
        bits = np.zeros(len(layout.rows), dtype=bool)  # the remainder bits are light
        placed = np.unpackbits(np.frombuffer(_codewords(qr, version), dtype=np.uint8))[:len(bits)]
        bits[:len(placed)] = placed
        stack = np.repeat(layout.blank[None], 8, axis=0)
        stack[:, layout.rows, layout.cols] = bits ^ layout.masks
        versions.append(version)
        candidates.append(stack)
    return versions, candidates


# --------------------------------------------------------------------------- penalty

#: The finder-like patterns of penalty rule 3 (1011101 with four light modules before
#: or after), as 11-bit numbers read left to right.
_FINDER_LIKE = (0b10111010000, 0b00001011101)
_WEIGHTS = 1 << np.arange(10, -1, -1)


def mask_penalties(candidates: np.ndarray) -> list[int]:
    """The penalty score of each candidate symbol (k x n x n), as ``qrcode.util.lost_point``.

    The four rules of ISO/IEC 18004 (section 7.8.3) as the library applies them: runs
    of five or more modules of one colour in a row or column (length - 2 each), 2 x 2
    blocks of one colour (3 each), the finder-like pattern 1011101 with four light
    modules on either side in a row or column (40 each), and 10 for every full 5 % by
    which the share of dark modules departs from half.
    """
    k, n, _ = candidates.shape
    lines = np.concatenate([candidates, candidates.transpose(0, 2, 1)], axis=1)  # k x 2n x n
    # Rule 1: runs, found in the lines laid end to end with a separator after each.
    flat = np.full((k, 2 * n, n + 1), 2, dtype=np.int8)
    flat[:, :, :n] = lines
    flat = flat.ravel()
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, len(flat)))
    long = lengths >= 5
    runs = np.bincount(starts[long] // (2 * n * (n + 1)), weights=lengths[long] - 2, minlength=k)
    # Rule 2: 2 x 2 blocks of one colour.
    c = candidates
    top = c[:, :-1, :-1]
    blocks = ((top == c[:, :-1, 1:]) & (top == c[:, 1:, :-1]) & (top == c[:, 1:, 1:])).sum(axis=(1, 2))
    # Rule 3: every window of 11 modules in a row or column, as a number.
    windows = sliding_window_view(lines, 11, axis=2) @ _WEIGHTS  # k x 2n x (n - 10)
    finders = ((windows == _FINDER_LIKE[0]) | (windows == _FINDER_LIKE[1])).sum(axis=(1, 2))
    # Rule 4: the share of dark modules, computed as the library does.
    dark = candidates.sum(axis=(1, 2))
    return [int(runs[i]) + 3 * int(blocks[i]) + 40 * int(finders[i])
            + int(abs(float(int(dark[i])) / (n ** 2) * 100 - 50) / 5) * 10 for i in range(k)]
