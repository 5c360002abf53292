"""A throwaway test CA made with openssl, and certificates it signs (Docker's file names:
ca.pem, ca-key.pem, STEM-cert.pem, STEM-key.pem). Used for the TLS ship and the registry."""

import os
import subprocess

# openssl req: a new P-256 key, not encrypted.
NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60)


def make_ca(folder, name):
    """A CA (ca.pem, ca-key.pem) in ``folder``, valid for two days; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        *NEW_KEY,
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=%s" % name,
        cwd=folder,
    )
    return folder


def sign(ca, folder, stem, subject, extensions):
    """A key (STEM-key.pem) and a certificate (STEM-cert.pem) signed by the CA in ``ca``."""
    (folder / (stem + ".ext")).write_text(extensions + "\n")
    _openssl(
        "req",
        *NEW_KEY,
        "-keyout",
        stem + "-key.pem",
        "-out",
        stem + ".csr",
        "-subj",
        "/CN=%s" % subject,
        cwd=folder,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        stem + ".csr",
        "-CA",
        str(ca / "ca.pem"),
        "-CAkey",
        str(ca / "ca-key.pem"),
        "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")),
        "-days",
        "2",
        "-extfile",
        stem + ".ext",
        "-out",
        stem + "-cert.pem",
        cwd=folder,
    )
