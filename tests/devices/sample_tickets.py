"""Tickets as a hall prints them, for the device tests."""
from __future__ import annotations

from devices.ticket_layout import TicketPrintout

TYPICAL_URL = "https://zwfw.cgx.gov.cn/q/A001?d=20261127"  # 41 characters


def typical_printout(**changes) -> TicketPrintout:
    """The ticket a citizen takes on an ordinary morning: four detail rows and a URL QR code."""
    fields = dict(
        hall_name="城关县政务服务中心",
        number="A001",
        service="社会保障",
        details=(
            ("办理窗口", "1、2号窗口"),
            ("前面等候", "3 人"),
            ("预计等候", "约 15 分钟"),
            ("取号时间", "2026-11-27 09:12"),
        ),
        qr_payload=TYPICAL_URL,
        qr_caption="扫码查看排队进度",
        footer=("请留意叫号，过号请到服务台",),
        tag=None,
    )
    fields.update(changes)
    return TicketPrintout(**fields)
