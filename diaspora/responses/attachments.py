"""Files respondents upload for media questions (image, audio, video, file).

The answer to a file question is the attachment's file name, as Kobo and ODK give it;
the bytes live in `ResponseAttachment`, one row per file, named uniquely within the
response.  What a file *is* comes from its first bytes, never from its name or the
browser's content type: images must be JPEG, PNG, GIF or WebP; recordings and videos
common phone formats; documents PDF, DOCX, ODT or plain UTF-8 text.  Anything else —
programs, HTML, SVG, scripts, macro documents — is refused, and downloads are always
served as attachments, so nothing uploaded is ever rendered by the browser.

Attachments are personal data: every download is audited, and they go when their
response is discarded or their member erased.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import can, require
from diaspora.audit.service import record
from diaspora.errors import NotFound
from diaspora.responses import form as pageform
from diaspora.responses.models import Response, ResponseAttachment
from surveys import Definition

MB = 1024 * 1024

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
AUDIO_TYPES = (
    "audio/mpeg",
    "audio/aac",
    "audio/mp4",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/flac",
    "audio/amr",
    "audio/3gpp",
)
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm", "video/3gpp", "video/ogg")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
DOCUMENT_TYPES = ("application/pdf", DOCX, ODT, "text/plain")
ACCEPTED: dict[str, tuple[str, ...]] = {
    "image": IMAGE_TYPES,
    "audio": AUDIO_TYPES,
    "video": VIDEO_TYPES,
    "file": DOCUMENT_TYPES,
}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/webm": ".webm",
    "audio/flac": ".flac",
    "audio/amr": ".amr",
    "audio/3gpp": ".3gp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/3gpp": ".3gp",
    "video/ogg": ".ogv",
    "application/pdf": ".pdf",
    DOCX: ".docx",
    ODT: ".odt",
    "text/plain": ".txt",
}
# What the browser's file picker offers first (the server checks the bytes anyway).
PICKER = {
    "image": "image/jpeg,image/png,image/gif,image/webp",
    "audio": "audio/*",
    "video": "video/*",
    "file": ".pdf,.docx,.odt,.txt," + ",".join(DOCUMENT_TYPES),
}
MAX_NAME = 80

MESSAGES: dict[str, dict[str, str]] = {
    "empty": {
        "en": "{field}: the file is empty.",
        "fr": "{field} : le fichier est vide.",
        "es": "{field}: el archivo está vacío.",
        "pt": "{field}: o ficheiro está vazio.",
        "ar": "{field}: الملف فارغ.",
    },
    "too_large": {
        "en": "{field}: the file is larger than {limit}; choose a smaller one.",
        "fr": "{field} : le fichier dépasse {limit} ; choisissez-en un plus petit.",
        "es": "{field}: el archivo supera {limit}; elija uno más pequeño.",
        "pt": "{field}: o ficheiro ultrapassa {limit}; escolha um mais pequeno.",
        "ar": "{field}: حجم الملف أكبر من {limit}؛ اختر ملفًا أصغر.",
    },
    "total": {
        "en": "{field}: your files would take more than {limit} in all; remove or replace "
        "another file first.",
        "fr": "{field} : l’ensemble de vos fichiers dépasserait {limit} ; retirez ou "
        "remplacez d’abord un autre fichier.",
        "es": "{field}: sus archivos superarían {limit} en total; quite o sustituya "
        "primero otro archivo.",
        "pt": "{field}: os seus ficheiros ultrapassariam {limit} no total; remova ou "
        "substitua primeiro outro ficheiro.",
        "ar": "{field}: سيتجاوز مجموع ملفاتك {limit}؛ احذف ملفًا آخر أو استبدله أولًا.",
    },
    "image": {
        "en": "{field}: the file is not a JPEG, PNG, GIF or WebP picture.",
        "fr": "{field} : le fichier n’est pas une image JPEG, PNG, GIF ou WebP.",
        "es": "{field}: el archivo no es una imagen JPEG, PNG, GIF o WebP.",
        "pt": "{field}: o ficheiro não é uma imagem JPEG, PNG, GIF ou WebP.",
        "ar": "{field}: الملف ليس صورة بصيغة JPEG أو PNG أو GIF أو WebP.",
    },
    "audio": {
        "en": "{field}: the file is not a sound recording we accept (MP3, M4A, AAC, OGG, "
        "WAV, WebM, FLAC, AMR, 3GP).",
        "fr": "{field} : le fichier n’est pas un enregistrement sonore accepté (MP3, M4A, "
        "AAC, OGG, WAV, WebM, FLAC, AMR, 3GP).",
        "es": "{field}: el archivo no es una grabación de sonido admitida (MP3, M4A, AAC, "
        "OGG, WAV, WebM, FLAC, AMR, 3GP).",
        "pt": "{field}: o ficheiro não é uma gravação de som aceite (MP3, M4A, AAC, OGG, "
        "WAV, WebM, FLAC, AMR, 3GP).",
        "ar": "{field}: الملف ليس تسجيلًا صوتيًا مقبولًا (MP3 أو M4A أو AAC أو OGG أو WAV "
        "أو WebM أو FLAC أو AMR أو 3GP).",
    },
    "video": {
        "en": "{field}: the file is not a video we accept (MP4, MOV, WebM, 3GP, OGG).",
        "fr": "{field} : le fichier n’est pas une vidéo acceptée (MP4, MOV, WebM, 3GP, OGG).",
        "es": "{field}: el archivo no es un vídeo admitido (MP4, MOV, WebM, 3GP, OGG).",
        "pt": "{field}: o ficheiro não é um vídeo aceite (MP4, MOV, WebM, 3GP, OGG).",
        "ar": "{field}: الملف ليس فيديو مقبولًا (MP4 أو MOV أو WebM أو 3GP أو OGG).",
    },
    "file": {
        "en": "{field}: the file is not a PDF, Word (DOCX), OpenDocument (ODT) or plain "
        "text document.",
        "fr": "{field} : le fichier n’est pas un document PDF, Word (DOCX), OpenDocument "
        "(ODT) ou texte brut.",
        "es": "{field}: el archivo no es un documento PDF, Word (DOCX), OpenDocument (ODT) "
        "o de texto sin formato.",
        "pt": "{field}: o ficheiro não é um documento PDF, Word (DOCX), OpenDocument (ODT) "
        "ou de texto simples.",
        "ar": "{field}: الملف ليس مستند PDF أو Word (DOCX) أو OpenDocument (ODT) أو نصًا عاديًا.",
    },
}


@dataclass(frozen=True, slots=True)
class Upload:
    """A file posted for a file question: its name, its first bytes, its size.

    `data` may stop after limit + 1 bytes (the web reads no more); `size` is the real
    size.  `replaces` is the file name the question held when the page was drawn.
    """

    filename: str
    data: bytes
    size: int
    replaces: str = ""


@dataclass(frozen=True, slots=True)
class Limits:
    """Largest single file, and largest total of one response's files, in bytes."""

    per_file: int = 5 * MB
    per_response: int = 20 * MB


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What a page shows about a file (never its bytes)."""

    id: int
    filename: str
    content_type: str
    size: int
    question: str


# --------------------------------------------------------------------------- recognising files


def _ftyp(data: bytes, kind: str) -> str | None:
    """ISO media (MP4, M4A, MOV, 3GP): the brand after "ftyp" says which."""
    brand = data[8:12]
    if brand.startswith((b"3gp", b"3g2")):
        return f"{kind}/3gpp"
    if kind == "audio":
        return "audio/mp4"
    return "video/quicktime" if brand == b"qt  " else "video/mp4"


def _audio_video(data: bytes, kind: str) -> str | None:
    if data[4:8] == b"ftyp":
        return _ftyp(data, kind)
    if data.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska / WebM
        return f"{kind}/webm"
    if data.startswith(b"OggS"):
        return f"{kind}/ogg"
    if kind == "video":
        return None
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"ID3"):
        return "audio/mpeg"
    if data.startswith(b"fLaC"):
        return "audio/flac"
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # MPEG frame sync
        return "audio/aac" if data[1] & 0x06 == 0 else "audio/mpeg"
    return None


def _image(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _office(data: bytes) -> str | None:
    """DOCX or ODT (both zip files), told apart by their parts; macros are refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as part:
                    if part.read(100).strip() == ODT.encode():
                        return ODT
                return None
            macros = any(name.lower().endswith("vbaproject.bin") for name in names)
            if "word/document.xml" in names and "[Content_Types].xml" in names and not macros:
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _text(data: bytes) -> str | None:
    """Plain UTF-8 text, but nothing a browser or a shell would run (markup, scripts)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    start = text.lstrip()[:2]
    if start.startswith("<") or start == "#!":
        return None
    return "text/plain"


def sniff(data: bytes, kind: str) -> str | None:
    """The content type `data` really is, if a question of `kind` accepts it; else None."""
    if kind == "image":
        return _image(data)
    if kind in ("audio", "video"):
        return _audio_video(data, kind)
    if kind != "file":
        return None
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return _text(data)


def safe_filename(name: str, content_type: str) -> str:
    """The uploaded name without folders, odd characters or a misleading extension."""
    base = unicodedata.normalize("NFKC", re.split(r"[\\/]", name or "")[-1])
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = re.sub(r"[^\w-]+", "_", stem).strip("._-")[:MAX_NAME] or "file"
    return stem + EXTENSIONS.get(content_type, ".bin")


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    stem, dot, extension = name.rpartition(".")
    number = 2
    while name in taken:
        name = f"{stem}-{number}{dot}{extension}"
        number += 1
    return name


def size_text(size: int) -> str:
    """A size as people read it: "820 KB", "5 MB", "1.5 MB"."""
    if size < MB:
        return f"{max(round(size / 1024), 1)} KB"
    megabytes = size / MB
    return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"


def _message(key: str, language: str | None, **values: object) -> str:
    templates = MESSAGES[key]
    base = (language or "en").split("-")[0].split("_")[0].lower()
    return templates.get(base, templates["en"]).format(**values)


# --------------------------------------------------------------------------- storing


def _kinds(definition: Definition) -> dict[str, str]:
    """Question name → its type, for the questions answered with an uploaded file."""
    return {
        ref.question.name: ref.question.type
        for ref in definition.fields()
        if ref.question.type in pageform.UPLOAD_TYPES
    }


def _stored(session: Session, response_id: int) -> dict[str, AttachmentInfo]:
    """The response's files, without their bytes."""
    table = ResponseAttachment.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa_select(
            table.c.id, table.c.filename, table.c.content_type, table.c.size, table.c.question
        ).where(table.c.response_id == response_id)
    )
    return {name: AttachmentInfo(id, name, kind, size, q) for id, name, kind, size, q in rows}


def _may_change(actor: User, response: Response, staff: bool) -> None:
    """The respondent changes the files of their own responses; staff who review
    responses change them while correcting a submitted response (`staff`)."""
    if staff:
        require(actor, "response.review")
        return
    require(actor, "survey.answer")
    if response.user_id is None or response.user_id != actor.id:
        raise NotFound("No such survey response.")


def _label(definition: Definition, name: str, language: str | None) -> str:
    question = definition.question(name)
    return definition.text(question.label, language) or question.name


def _refusal(
    upload: Upload, kind: str, limits: Limits, others: int, label: str, language: str | None
) -> str | None:
    """Why `upload` cannot be stored, or None; `others` is the size of the files it joins."""
    if upload.size <= 0 or not upload.data:
        return _message("empty", language, field=label)
    if upload.size > limits.per_file:
        return _message("too_large", language, field=label, limit=size_text(limits.per_file))
    if others + upload.size > limits.per_response:
        return _message("total", language, field=label, limit=size_text(limits.per_response))
    if sniff(upload.data, kind) not in ACCEPTED[kind]:
        return _message(kind, language, field=label)
    return None


def _carry_over(
    session: Session, response: Response, name: str, path: str
) -> AttachmentInfo | None:
    """A copy of the member's file `name` from another of their responses (a draft that
    starts from the last submitted answers names files that response holds)."""
    if response.user_id is None:
        return None
    source = session.exec(
        select(ResponseAttachment)
        .join(Response, col(Response.id) == col(ResponseAttachment.response_id))
        .where(
            Response.user_id == response.user_id,
            Response.id != response.id,
            ResponseAttachment.filename == name,
        )
        .order_by(col(ResponseAttachment.created_at).desc(), col(ResponseAttachment.id).desc())
    ).first()
    if source is None:
        return None
    copy = ResponseAttachment(
        response_id=response.id or 0,
        question=path,
        filename=name,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        data=source.data,
    )
    session.add(copy)
    session.flush()
    return AttachmentInfo(copy.id or 0, name, copy.content_type, copy.size, path)


def accept(
    *,
    session: Session,
    actor: User,
    response: Response,
    definition: Definition,
    form: Mapping[str, Any],
    limits: Limits,
    language: str | None = None,
    staff: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Store the files posted in `form` (its `Upload` values) as the response's attachments
    and put their file names in their place; returns the form and the refusals.

    A refused file leaves the form (its question keeps the file it had) with an error at
    its path.  A file question whose value names no file of this response is cleared, so
    an answer never points at a file that is not there.  The caller commits.
    """
    _may_change(actor, response, staff)
    kinds = _kinds(definition)
    if not kinds:  # most forms ask for no file: nothing to look up
        return dict(form), {}
    stored = _stored(session, response.id or 0)
    total = sum(info.size for info in stored.values())
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for path, value in form.items():
        kind = kinds.get(path.rsplit("].", 1)[-1])
        if kind is None:
            if not isinstance(value, Upload):
                out[path] = value
            continue
        if not isinstance(value, Upload):
            name = str(value).strip() if isinstance(value, str) else ""
            if name and name not in stored:
                found = _carry_over(session, response, name, path)
                name = found.filename if found else ""
                if found:
                    stored[name] = found
                    total += found.size
            out[path] = name
            continue
        label = _label(definition, path.rsplit("].", 1)[-1], language)
        old = stored.get(value.replaces)
        others = total - (old.size if old else 0)
        refusal = _refusal(value, kind, limits, others, label, language)
        if refusal:
            errors[path] = refusal
            continue
        content_type = sniff(value.data, kind) or "application/octet-stream"
        if old is not None:
            # The new file takes the old one's place (and may take its name).
            session.exec(delete(ResponseAttachment).where(col(ResponseAttachment.id) == old.id))  # type: ignore[call-overload]
            del stored[old.filename]
            total -= old.size
        name = _unique(safe_filename(value.filename, content_type), stored)
        row = ResponseAttachment(
            response_id=response.id or 0,
            question=path,
            filename=name,
            content_type=content_type,
            size=value.size,
            sha256=hashlib.sha256(value.data).hexdigest(),
            data=value.data,
        )
        session.add(row)
        session.flush()
        stored[name] = AttachmentInfo(row.id or 0, name, content_type, value.size, path)
        total += value.size
        out[path] = name
        record(
            session=session,
            actor=actor,
            action="response.attachment.add",
            entity="response",
            entity_id=response.id,
            # No file name: it may name a person.
            details={"question": path, "content_type": content_type, "size": value.size},
        )
    return out, errors


def reconcile(
    *,
    session: Session,
    actor: User,
    response: Response,
    definition: Definition,
    staff: bool = False,
) -> int:
    """Make the response's files match its answers: delete the files they no longer name
    (replaced, removed, or their question no longer applies), and copy in the member's
    files they name from another response (a draft started from the last submitted
    answers).  Returns how many files were deleted.  The caller commits."""
    _may_change(actor, response, staff)
    if not _kinds(definition):
        return 0
    named = pageform.media_answers(definition, response.answers or {})
    stored = _stored(session, response.id or 0)
    for path, name in named.items():
        if name not in stored:
            found = _carry_over(session, response, name, path)
            if found is not None:
                stored[name] = found
    unused = [info.id for info in stored.values() if info.filename not in named.values()]
    if not unused:
        return 0
    session.exec(delete(ResponseAttachment).where(col(ResponseAttachment.id).in_(unused)))  # type: ignore[call-overload]
    record(
        session=session,
        actor=actor,
        action="response.attachment.delete",
        entity="response",
        entity_id=response.id,
        details={"count": len(unused)},
    )
    return len(unused)


def delete_for_response(*, session: Session, response_id: int) -> None:
    """Delete every file of a response (it is being discarded).  The caller commits."""
    session.exec(
        delete(ResponseAttachment).where(col(ResponseAttachment.response_id) == response_id)
    )  # type: ignore[call-overload]


def delete_for_member(*, session: Session, member_id: int) -> None:
    """Delete every file of a member's responses (the member is being erased).  The caller
    commits."""
    responses = select(Response.id).where(Response.member_id == member_id)
    session.exec(
        delete(ResponseAttachment).where(col(ResponseAttachment.response_id).in_(responses))
    )  # type: ignore[call-overload]


# --------------------------------------------------------------------------- reading


def of_member(
    *, session: Session, member_id: int, with_data: bool = False
) -> list[ResponseAttachment]:
    """Every file of a member's responses (their data export); the bytes are read only
    `with_data` (a description needs none of them)."""
    responses = select(Response.id).where(Response.member_id == member_id)
    query = (
        select(ResponseAttachment)
        .where(col(ResponseAttachment.response_id).in_(responses))
        .order_by(col(ResponseAttachment.response_id), col(ResponseAttachment.id))
    )
    if not with_data:
        query = query.options(defer(ResponseAttachment.data))  # type: ignore[arg-type]
    return list(session.exec(query))


def archive_path(attachment: ResponseAttachment) -> str:
    """Where a file goes in a member's data archive (names are unique per response)."""
    return f"files/response-{attachment.response_id}/{attachment.filename}"


def describe(*, session: Session, response: Response) -> dict[str, AttachmentInfo]:
    """File name → what pages show about it, for a response the caller may already see."""
    return _stored(session, response.id or 0)


def get(
    *, session: Session, actor: User, response_id: int, attachment_id: int
) -> ResponseAttachment:
    """A file with its bytes: for the response's member, or staff who review responses.
    Anyone else gets NotFound.  Every download is audited (it is personal data)."""
    response = session.get(Response, response_id)
    owner = response is not None and response.user_id is not None and response.user_id == actor.id
    if response is None or not (owner or can(actor, "response.review")):
        raise NotFound("No such file.")
    attachment = session.get(ResponseAttachment, attachment_id)
    if attachment is None or attachment.response_id != response_id:
        raise NotFound("No such file.")
    record(
        session=session,
        actor=actor,
        action="response.attachment.view",
        entity="response",
        entity_id=response_id,
        details={"attachment_id": attachment_id, "question": attachment.question},
    )
    session.commit()
    return attachment
