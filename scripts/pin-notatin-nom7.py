#!/usr/bin/env python3
"""Pins notatin's nom to 7.1.3 in Cargo.lock files (usage: scripts/pin-notatin-nom7.py LOCK...).

notatin 1.0.1 (the .wfw hive reader) declares `nom >= 6` but only compiles with nom 7, while
smbguard-traffic needs nom 8, so Cargo resolves both to 8 and notatin fails to build. Cargo keeps
locked versions that satisfy the requirements, so after any `cargo update` that re-resolves
notatin, run this on Cargo.lock and fuzz/Cargo.lock. Idempotent.
"""
import re
import sys

NOM7 = '''name = "nom"
version = "7.1.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "d273983c5a657a70a3e8f2a01329822f3b8c8172b73826411a55751e404a0a4a"
dependencies = [
 "memchr",
 "minimal-lexical",
]

[[package]]
'''

LEXICAL = '''[[package]]
name = "minimal-lexical"
version = "0.2.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "68354c5c6bd36d73ff3feceb05efa59b6acb7626617f4962be322a825e61f79a"

'''


def pin(path):
    text = open(path).read()
    if 'version = "7.1.3"' in text or 'name = "notatin"' not in text:
        return
    blocks = text.split("\n[[package]]\n")
    for i, block in enumerate(blocks):
        name = re.search(r'^name = "([^"]+)"', block, re.M)
        if name and '\n "nom",' in block:
            wanted = "nom 7.1.3" if name.group(1) == "notatin" else "nom 8.0.0"
            blocks[i] = block.replace('\n "nom",', f'\n "{wanted}",')
    text = "\n[[package]]\n".join(blocks)
    text = text.replace('name = "nom"\nversion = "8.0.0"', NOM7 + 'name = "nom"\nversion = "8.0.0"')
    if 'name = "minimal-lexical"' not in text:
        for m in re.finditer(r'\[\[package\]\]\nname = "([^"]+)"', text):
            if m.group(1) > "minimal-lexical":
                text = text[: m.start()] + LEXICAL + text[m.start():]
                break
    open(path, "w").write(text)


if __name__ == "__main__":
    for lock in sys.argv[1:]:
        pin(lock)
