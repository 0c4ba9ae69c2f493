"""Reads the text of hikeshi's PDFs the way a viewer does, and checks every glyph drawn is the right one.

pypdf decodes fpdf2's embedded (non-predefined) CMap as one-byte codes, which garbles text once a document uses
more than 255 distinct glyphs; so the two-byte codes are decoded here from the ToUnicode and encoding CMaps, and
each code's CID is checked against the Japanese font's own character map.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

from hikeshi.prevention.exports import japanese_font_path


def _cmap_pairs(data: bytes, kind: str) -> dict[int, str]:
    pairs: dict[int, str] = {}
    for block in re.findall(rb"begin" + kind.encode() + rb"(.*?)end" + kind.encode(), data, re.S):
        for code, value in re.findall(rb"<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\d+)", block):
            pairs[int(code, 16)] = value.decode()
    return pairs


@lru_cache(maxsize=1)
def _font_cid_by_char() -> dict[str, int]:
    font = TTFont(japanese_font_path(), lazy=True)
    order = font.getGlyphOrder()
    cmap = font.getBestCmap()
    # CID-keyed CFF glyphs are named "cidNNNNN"; glyph 0 is .notdef.
    return {
        chr(cp): int(name[3:]) if name.startswith("cid") else order.index(name) for cp, name in cmap.items()
    }


def pdf_text(data: bytes) -> str:
    """All text drawn in the PDF; raises AssertionError when a drawn glyph is not the character it claims."""
    reader = PdfReader(io.BytesIO(data))
    cid_by_char = _font_cid_by_char()
    out: list[str] = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        maps = {}
        for name, ref in fonts.items():
            font = ref.get_object()
            assert font["/Encoding"].get_object().get_data().count(b"<0000> <FFFF>") == 1, "two-byte codes"
            to_unicode = {
                c: chr(int(v[1:-1], 16))
                for c, v in _cmap_pairs(font["/ToUnicode"].get_data(), "bfchar").items()
            }
            to_cid = {
                c: int(v)
                for c, v in _cmap_pairs(font["/Encoding"].get_object().get_data(), "cidchar").items()
            }
            maps[name] = (to_unicode, to_cid)
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = maps.get(operands[0])
            elif operator in (b"Tj", b"TJ") and current is not None:
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for s in strings:
                    if not hasattr(s, "original_bytes"):
                        continue
                    raw = s.original_bytes
                    for i in range(0, len(raw) - 1, 2):
                        code = raw[i] << 8 | raw[i + 1]
                        char = current[0][code]
                        if char in cid_by_char:
                            assert current[1][code] == cid_by_char[char], f"glyph for {char!r} is wrong"
                        out.append(char)
            elif operator in (b"T*", b"Td", b"TD", b"ET"):
                out.append("\n")
    return "".join(out)
