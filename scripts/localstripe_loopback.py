"""Run localstripe (the local Stripe stand-in) on 127.0.0.1 only.

localstripe's own command listens on every interface; this starts the same aiohttp application
bound to loopback. Usage: python scripts/localstripe_loopback.py [PORT]
"""

import logging
import sys

from aiohttp import web
from localstripe.server import app


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
    logging.basicConfig(level=logging.INFO, format="localstripe %(levelname)s %(message)s")
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
