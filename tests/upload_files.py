"""Small documents of each upload format, built from code with what the project already installs (python-docx,
reportlab from the dev extras), for tests that upload them: a heading and a few short paragraphs each."""

from __future__ import annotations

import html
import io


def docx_bytes(heading: str, paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(heading: str, paragraphs: list[str]) -> bytes:
    """One page, one line per paragraph: keep them under ~90 characters, or the line runs off the page."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(72, 740, heading)
    page.setFont("Helvetica", 10)
    for n, text in enumerate(paragraphs):
        page.drawString(72, 710 - 24 * n, text)  # a blank line's worth between paragraphs
    page.showPage()
    page.save()
    return out.getvalue()


def html_bytes(heading: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{html.escape(heading)}</title></head><body><article>"
            f"<h1>{html.escape(heading)}</h1>{body}</article></body></html>").encode()
