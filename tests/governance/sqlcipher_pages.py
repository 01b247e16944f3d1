"""Read a store the way a thief with the passphrase would: every page of the file decrypted (free pages too), and
a plaintext copy of its live contents made by SQLCipher's own `sqlcipher_export`.

Pages are decrypted here with OpenSSL's libcrypto (AES-256-CBC) under SQLCipher 4's defaults: PBKDF2-HMAC-SHA512
with 256,000 iterations over the 16-byte salt at the start of the file, pages (64 KiB in a new store, 4 KiB in an
older one: the page size is read from page 1's own header once decrypted) ending in a 16-byte IV and a 64-byte
HMAC.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from pathlib import Path

import sqlcipher3

PAGE_SIZES = (65536, 4096)
RESERVE = 80  # IV 16 + HMAC-SHA512 64
SALT = 16


def _libcrypto() -> ctypes.CDLL:
    name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
    lib = ctypes.CDLL(name)
    lib.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
    lib.EVP_aes_256_cbc.restype = ctypes.c_void_p
    lib.EVP_DecryptInit_ex.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                       ctypes.c_char_p]
    lib.EVP_CIPHER_CTX_set_padding.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.EVP_DecryptUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                      ctypes.c_char_p, ctypes.c_int]
    lib.EVP_CIPHER_CTX_free.argtypes = [ctypes.c_void_p]
    return lib


def _aes_cbc_decrypt(lib: ctypes.CDLL, key: bytes, iv: bytes, data: bytes) -> bytes:
    ctx = lib.EVP_CIPHER_CTX_new()
    try:
        assert lib.EVP_DecryptInit_ex(ctx, lib.EVP_aes_256_cbc(), None, key, iv) == 1
        lib.EVP_CIPHER_CTX_set_padding(ctx, 0)
        out = ctypes.create_string_buffer(len(data) + 32)
        n = ctypes.c_int(0)
        assert lib.EVP_DecryptUpdate(ctx, out, ctypes.byref(n), data, len(data)) == 1
        return out.raw[: n.value]
    finally:
        lib.EVP_CIPHER_CTX_free(ctx)


def _decrypt_page(lib: ctypes.CDLL, key: bytes, page: bytes, first: bool) -> bytes:
    size = len(page)
    iv = page[size - RESERVE : size - RESERVE + 16]
    plain = _aes_cbc_decrypt(lib, key, iv, page[SALT if first else 0 : size - RESERVE])
    return (b"SQLite format 3\x00" if first else b"") + plain


def page_size(raw: bytes, key: bytes, lib: ctypes.CDLL) -> int:
    """The page size the file's page 1 states about itself once decrypted at that size (SQLite header offset 16,
    1 meaning 65536; the reserve at offset 20 is SQLCipher's 80 bytes)."""
    for size in PAGE_SIZES:
        header = _decrypt_page(lib, key, raw[:size], first=True)
        stated = int.from_bytes(header[16:18], "big")
        if (stated if stated != 1 else 65536) == size and header[20] == RESERVE:
            return size
    raise AssertionError("page 1 does not decrypt at any page size a store has")


def decrypted_pages(path: Path, passphrase: str) -> bytes:
    """Every page of the store file decrypted, one after another (page 1 starts with the SQLite header)."""
    raw = Path(path).read_bytes()
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), raw[:SALT], 256_000, 32)
    lib = _libcrypto()
    size = page_size(raw, key, lib)
    assert len(raw) % size == 0
    return b"".join(_decrypt_page(lib, key, raw[start : start + size], first=start == 0)
                    for start in range(0, len(raw), size))


def plaintext_export(path: Path, passphrase: str, out: Path) -> bytes:
    """The store's live contents copied by `sqlcipher_export` into an unencrypted database at `out`; its bytes."""
    con = sqlcipher3.dbapi2.connect(str(path), isolation_level=None)
    try:
        con.execute("PRAGMA key = '" + passphrase.replace("'", "''") + "'")
        raw = Path(path).read_bytes()
        key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), raw[:SALT], 256_000, 32)
        con.execute(f"PRAGMA cipher_page_size = {page_size(raw, key, _libcrypto())}")
        con.execute(f"ATTACH DATABASE '{out}' AS plaintext KEY ''")
        con.execute("SELECT sqlcipher_export('plaintext')")
        con.execute("DETACH DATABASE plaintext")
    finally:
        con.close()
    return Path(out).read_bytes()
