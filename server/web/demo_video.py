"""A still video as a playable MP4 made from one RGB frame, with no codec library: H.264 Constrained Baseline, one
IDR picture of uncompressed (I_PCM) macroblocks, then P pictures whose macroblocks are all skipped (each repeats the
picture before it), in an ISO base media file (ftyp, moov, mdat) at 30 frames a second. A 192x108 frame makes
about 32 KB, plus under 20 bytes for each further frame."""

from __future__ import annotations

import struct

import numpy as np

FRAME_RATE = 30
MB = 16  # a macroblock's side in luma samples
PROFILE, LEVEL = 66, 30  # Baseline, level 3.0
LOG2_MAX_FRAME_NUM = 16


class Bits:
    """An H.264 RBSP written bit by bit: fixed-width fields, Exp-Golomb codes and the trailing stop bit."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, width: int, value: int) -> Bits:
        self.bits += [(value >> shift) & 1 for shift in range(width - 1, -1, -1)]
        return self

    def ue(self, value: int) -> Bits:
        code = value + 1
        return self.u(code.bit_length() - 1, 0).u(code.bit_length(), code)

    def se(self, value: int) -> Bits:
        return self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align(self) -> Bits:
        return self.u(-len(self.bits) % 8, 0)

    def raw(self, data: bytes) -> Bits:
        assert len(self.bits) % 8 == 0
        self.bits += np.unpackbits(np.frombuffer(data, np.uint8)).tolist()
        return self

    def rbsp(self) -> bytes:
        self.u(1, 1).align()
        return np.packbits(np.array(self.bits, np.uint8)).tobytes()


def nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """A NAL unit: its header and the payload with emulation prevention (0x03 after two zero bytes before 0 to 3)."""
    out, zeros = bytearray([ref_idc << 5 | kind]), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sps(width: int, height: int) -> bytes:
    mbs_wide, mbs_high = -(-width // MB), -(-height // MB)
    bits = Bits().u(8, PROFILE).u(8, 0b11000000).u(8, LEVEL).ue(0).ue(LOG2_MAX_FRAME_NUM - 4)
    bits.ue(2).ue(1).u(1, 0).ue(mbs_wide - 1).ue(mbs_high - 1).u(1, 1).u(1, 1)
    crop_right, crop_bottom = (mbs_wide * MB - width) // 2, (mbs_high * MB - height) // 2  # in 4:2:0 chroma units
    if crop_right or crop_bottom:
        bits.u(1, 1).ue(0).ue(crop_right).ue(0).ue(crop_bottom)
    else:
        bits.u(1, 0)
    return nal(3, 7, bits.u(1, 0).rbsp())


def pps() -> bytes:
    bits = Bits().ue(0).ue(0).u(1, 0).u(1, 0).ue(0).ue(0).ue(0).u(1, 0).u(2, 0).se(0).se(0).se(0)
    return nal(3, 8, bits.u(1, 1).u(1, 0).u(1, 0).rbsp())


def yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 studio-range planes, padded to whole macroblocks; samples kept within 1 to 254."""
    height, width, _ = rgb.shape
    padded = np.pad(rgb.astype(np.float64), ((0, -height % MB), (0, -width % MB), (0, 0)), mode="edge")
    r, g, b = padded[..., 0], padded[..., 1], padded[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def plane(p: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(p), 1, 254).astype(np.uint8)

    def half(p: np.ndarray) -> np.ndarray:
        return plane((p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4)

    return plane(y), half(u), half(v)


def idr_slice(rgb: np.ndarray) -> bytes:
    y, u, v = yuv420(rgb)
    bits = Bits().ue(0).ue(7).ue(0).u(LOG2_MAX_FRAME_NUM, 0).ue(0).u(1, 0).u(1, 0).se(0).ue(1)
    for row in range(y.shape[0] // MB):
        for col in range(y.shape[1] // MB):
            bits.ue(25).align()  # I_PCM
            bits.raw(y[row * MB : (row + 1) * MB, col * MB : (col + 1) * MB].tobytes())
            for chroma in (u, v):
                bits.raw(chroma[row * 8 : (row + 1) * 8, col * 8 : (col + 1) * 8].tobytes())
    return nal(3, 5, bits.rbsp())


def skipped_slice(frame_num: int, macroblocks: int) -> bytes:
    bits = Bits().ue(0).ue(5).ue(0).u(LOG2_MAX_FRAME_NUM, frame_num % (1 << LOG2_MAX_FRAME_NUM))
    return nal(2, 1, bits.u(1, 0).u(1, 0).u(1, 0).se(0).ue(1).ue(macroblocks).rbsp())


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version_flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", version_flags), *parts)


MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
NEXT_TRACK = struct.pack(">24xI", 2)  # six pre-defined words, then the next track id


def sample_entry(width: int, height: int, sps_nal: bytes, pps_nal: bytes) -> bytes:
    avcc = box(
        b"avcC",
        bytes([1, PROFILE, sps_nal[2], LEVEL, 0xFF, 0xE1]),
        struct.pack(">H", len(sps_nal)) + sps_nal,
        b"\x01" + struct.pack(">H", len(pps_nal)) + pps_nal,
    )
    visual = struct.pack(">6xH16xHHII4xH32sHh", 1, width, height, 0x480000, 0x480000, 1, b"", 0x18, -1)
    return box(b"avc1", visual, avcc)


def sample_table(sizes: list[int], entry: bytes, offset: int) -> bytes:
    count = len(sizes)
    return box(
        b"stbl",
        full_box(b"stsd", 0, struct.pack(">I", 1), entry),
        full_box(b"stts", 0, struct.pack(">III", 1, count, 1)),
        full_box(b"stss", 0, struct.pack(">II", 1, 1)),
        full_box(b"stsc", 0, struct.pack(">IIII", 1, 1, count, 1)),
        full_box(b"stsz", 0, struct.pack(">II", 0, count), struct.pack(f">{count}I", *sizes)),
        full_box(b"stco", 0, struct.pack(">II", 1, offset)),
    )


def movie(width: int, height: int, sizes: list[int], entry: bytes, offset: int) -> bytes:
    frames, milliseconds = len(sizes), len(sizes) * 1000 // FRAME_RATE
    mvhd = full_box(b"mvhd", 0, struct.pack(">IIIIIH10x", 0, 0, 1000, milliseconds, 0x10000, 0x100), MATRIX, NEXT_TRACK)
    track = struct.pack(">IIIII8xHHHH", 0, 0, 1, 0, milliseconds, 0, 0, 0, 0)
    tkhd = full_box(b"tkhd", 3, track, MATRIX, struct.pack(">II", width << 16, height << 16))
    mdhd = full_box(b"mdhd", 0, struct.pack(">IIIIHH", 0, 0, FRAME_RATE, frames, 0x55C4, 0))
    hdlr = full_box(b"hdlr", 0, struct.pack(">I4s12x", 0, b"vide"), b"VideoHandler\x00")
    dinf = box(b"dinf", full_box(b"dref", 0, struct.pack(">I", 1), full_box(b"url ", 1)))
    vmhd = full_box(b"vmhd", 1, struct.pack(">HHHH", 0, 0, 0, 0))
    minf = box(b"minf", vmhd, dinf, sample_table(sizes, entry, offset))
    return box(b"moov", mvhd, box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf)))


def still_mp4(rgb: np.ndarray, frames: int) -> bytes:
    """`frames` frames (at least 1) of the (h, w, 3) uint8 image `rgb`, as MP4 bytes."""
    height, width, _ = rgb.shape
    macroblocks = -(-width // MB) * -(-height // MB)
    pictures = [idr_slice(rgb)] + [skipped_slice(n, macroblocks) for n in range(1, frames)]
    samples = [struct.pack(">I", len(p)) + p for p in pictures]
    sps_nal, pps_nal = sps(width, height), pps()
    entry = sample_entry(width, height, sps_nal, pps_nal)
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    sizes = [len(s) for s in samples]
    head = len(ftyp) + len(movie(width, height, sizes, entry, 0)) + 8
    return ftyp + movie(width, height, sizes, entry, head) + box(b"mdat", *samples)
