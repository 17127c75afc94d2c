"""Respondent pages: ``/s/<token>``, the one-time link printed on each card."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from sampling.slots import SlotStatus, is_token

from . import db_session
from .i18n import t
from .models import Slot

bp = Blueprint("respondent", __name__)


def _message(heading: str, text: str, status: int, **attrs: str):  # type: ignore[no-untyped-def]
    return render_template("message.html", heading=heading, text=text, **attrs), status


@bp.route("/s/<token>", methods=["GET"])
def form(token: str):  # type: ignore[no-untyped-def]
    """The form of the slot behind ``token`` (404 unknown, 410 spent or voided)."""
    slot = db_session().scalar(select(Slot).where(Slot.token == token)) if is_token(token) else None
    if slot is None:
        return _message(t("Không tìm thấy phiếu", "Form not found"),
                        t("Đường dẫn này không đúng. Hãy kiểm tra lại đường dẫn hoặc quét lại mã QR trên phiếu.",
                          "This link is not valid. Check the link or scan the QR code on your card again."),
                        404, css="error")
    if slot.status == SlotStatus.COMPLETED.value:
        return _message(t("Phiếu đã được gửi", "Form already sent"),
                        t("Phiếu này đã được trả lời và gửi. Xin cảm ơn Ông/Bà.",
                          "This form has been answered and sent. Thank you."), 410)
    if slot.status == SlotStatus.VOIDED.value:
        return _message(t("Phiếu không còn hiệu lực", "Form no longer valid"),
                        t("Phiếu này đã bị hủy và thay bằng phiếu khác. Hãy liên hệ bưu điện hoặc Sở Nội vụ.",
                          "This card was cancelled and replaced. Please contact the post office or the Department of Home Affairs."),
                        410, css="error")
    place = slot.place
    return render_template("respondent/placeholder.html", group=place.group, unit=place.unit)
