#!/usr/bin/env python3
"""corrupt_usdt_note.py IN OUT HOW: copy the ELF file IN to OUT with its first
.note.stapsdt note broken. HOW: "size" makes its descsz run past the section
(the notes after it are found again by their headers), "strings" overwrites
its provider, name and argument strings, NULs included."""
import shutil
import struct
import sys

src, dst, how = sys.argv[1:4]
shutil.copy(src, dst)
with open(dst, "r+b") as f:
    elf = f.read()
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        if elf[stroff + name:].split(b"\0", 1)[0] == b".note.stapsdt":
            namesz, descsz, ntype = struct.unpack_from("<III", elf, off)
            if how == "size":
                f.seek(off + 4)
                f.write(struct.pack("<I", 0xFFFF))
            else:  # the strings after the three addresses without a NUL
                f.seek(off + 12 + 8 + 24)
                f.write(b"x" * (descsz - 24))
            break
    else:
        sys.exit("no .note.stapsdt in " + src)
