"""Serve moto (a DynamoDB stand-in) for the tests, one request at a time.

`moto_server` handles requests on several threads and does not isolate
TransactWriteItems (it checks the conditions, then writes, without a lock), so
two racing transactions can both pass the same condition. DynamoDB serializes
transactions; serving moto on one thread makes it behave the same, which the
store's concurrency tests rely on.

Usage: .venv/bin/python scripts/moto-server.py [--host 127.0.0.1] --port PORT
Ready when GET /moto-api/ answers.
"""

import argparse

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    # threaded=False and no processes: werkzeug answers one request, then the next.
    run_simple(args.host, args.port, app, threaded=False, processes=1, use_reloader=False)


if __name__ == "__main__":
    main()
