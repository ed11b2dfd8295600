"""One length policy for every free-text field a person or a file can fill, enforced on the
server (the browser's maxlength is a convenience, not a guard). Pure: no I/O."""
from __future__ import annotations

# field -> (most characters, Vietnamese name, English name)
TEXT_LIMITS: dict[str, tuple[int, str, str]] = {
    "maintenance.reason": (500, "Lý do bảo trì", "The maintenance reason"),
    "incident.ack_comment": (2000, "Ghi chú xác nhận sự cố", "The acknowledgement comment"),
    "alert.comment": (2000, "Ghi chú cảnh báo", "The alert comment"),
    "plan.title": (500, "Tên nhiệm vụ", "The task title"),
    "plan.owner": (255, "Người phụ trách", "The owner"),
    "plan.notes": (2000, "Ghi chú", "The notes"),
    "plan.cell": (2000, "Ô dữ liệu", "A cell"),  # any other cell of an imported plan file
    "task_update.note": (2000, "Ghi chú cập nhật", "The update's note"),
    "task_update.review_comment": (2000, "Ý kiến duyệt", "The review comment"),
}


class TextTooLong(ValueError):
    """A text over its field's limit; the message names the field and the limit, in both languages."""

    def __init__(self, field: str, length: int):
        limit, vi, en = TEXT_LIMITS[field]
        self.field, self.length, self.limit = field, length, limit
        super().__init__(f"{vi} dài quá {_vi(limit)} ký tự (đang có {_vi(length)}). · "
                         f"{en} is longer than {limit:,} characters ({length:,}).")


def _vi(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # Vietnamese groups thousands with dots


def limit_of(field: str) -> int:
    return TEXT_LIMITS[field][0]


def check_text(field: str, value: str | None) -> str | None:
    """The value unchanged, or TextTooLong. Unknown fields are a programming error (KeyError)."""
    limit = TEXT_LIMITS[field][0]
    if value is not None and len(value) > limit:
        raise TextTooLong(field, len(value))
    return value
