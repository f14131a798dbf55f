"""Serve the simulator's REST API on a local port (the demo, multi-process benchmarks).

The app then reaches it with `SimulatorHttpClient("http://127.0.0.1:PORT")` or by setting
`SIMULATOR_URL`; webhooks go the other way through an `HttpTransport`.
"""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server

from contactcenter.telephony.simulator.carrier import SimulatedCarrier
from contactcenter.telephony.simulator.rest_api import create_rest_app


class SimulatorServer:
    def __init__(self, carrier: SimulatedCarrier, host: str = "127.0.0.1", port: int = 0) -> None:
        self.carrier = carrier
        self._server: BaseWSGIServer = make_server(host, port, create_rest_app(carrier), threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="carrier-simulator-api", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
