"""`python -m tests.support.serve SETTINGS_JSON CLOCK_FILE PORT [CERT KEY]`: the hall server
from create_app, as `python -m hall serve` runs it, but on the test's clock (and over HTTPS
with CERT and KEY)."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import uvicorn

from hall.api.app import create_app
from hall.settings import ServerSettings


def main() -> None:
    settings = ServerSettings(**json.loads(sys.argv[1]))
    clock_file = Path(sys.argv[2])
    app = create_app(settings, clock=lambda: datetime.fromisoformat(clock_file.read_text()))
    tls = {"ssl_certfile": sys.argv[4], "ssl_keyfile": sys.argv[5]} if len(sys.argv) > 5 else {}
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", timeout_graceful_shutdown=1,
                **tls)


if __name__ == "__main__":
    main()
