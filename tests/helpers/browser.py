"""Headless Chromium driven over the DevTools protocol, through a pipe (no extra library).

``--remote-debugging-pipe`` makes Chromium read protocol messages from file descriptor 3 and
write its answers and events to descriptor 4, each message JSON ended by a NUL byte. One
:class:`Browser` is one Chromium process with a fresh profile; :meth:`Browser.open` loads a
page at a viewport width and hands back a :class:`Tab` that records every request the page
makes, evaluates JavaScript (DevTools evaluation is not subject to the page's CSP, which
allows no script), and takes screenshots.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
TIMEOUT = 60.0


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or not at all in time."""


class Browser:
    """One headless Chromium, stopped when the context ends.

    ``resolve_to`` maps every host name to that ``127.0.0.1:port``, so a request for another
    site cannot leave the machine (it reaches the test server and is recorded there too).
    """

    def __init__(self, profile: Path, resolve_to: int | None = None) -> None:
        assert CHROMIUM is not None, "Chromium is not installed: `make test` installs it"
        command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
        if resolve_to is not None:
            command.append(f"--host-resolver-rules=MAP * 127.0.0.1:{resolve_to}")
        command.append("about:blank")
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()

        def descriptors() -> None:  # in the child: the pipe ends at 3 and 4
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._process = subprocess.Popen(
            command,
            pass_fds=(3, 4, to_child, from_child),  # 3 and 4 are set by descriptors()
            preexec_fn=descriptors,  # noqa: PLW1509 - the child only duplicates two descriptors
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("CHROMIUM_LOG") else subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events meanwhile go to :attr:`events`."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The first event ``method`` of a session not seen yet (waiting for it if needed)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(index)
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        found: dict[str, Any] = json.loads(message)
        return found

    def open(self, url: str, width: int, height: int = 900, *, bypass_csp: bool = False) -> Tab:
        """A new tab of ``width`` × ``height`` CSS pixels that has loaded ``url``."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tab = Tab(self, target, session)
        tab.send("Page.enable")
        tab.send("Network.enable")
        tab.send("Runtime.enable")
        if bypass_csp:
            tab.send("Page.setBypassCSP", enabled=True)
        tab.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        tab.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", session)
        return tab


class Tab:
    """One page in the browser."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def evaluate(self, expression: str, *, wait: bool = False) -> Any:
        """The value of a JavaScript expression in the page (``wait``: of its promise)."""
        found = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait
        )
        if "exceptionDetails" in found:
            raise BrowserError(f"{expression[:80]}: {found['exceptionDetails']}")
        return found["result"].get("value")

    def requests(self) -> list[str]:
        """Every URL the page asked for so far (documents, styles, images, anything)."""
        return [
            event["params"]["request"]["url"]
            for event in self.browser.events
            if event.get("method") == "Network.requestWillBeSent"
            and event.get("sessionId") == self.session
        ]

    def responses(self) -> dict[str, dict[str, Any]]:
        """The response of each URL the page loaded: status, MIME type, headers."""
        return {
            event["params"]["response"]["url"]: event["params"]["response"]
            for event in self.browser.events
            if event.get("method") == "Network.responseReceived"
            and event.get("sessionId") == self.session
        }

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page, saved at ``path``."""
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        self.browser.send("Target.closeTarget", targetId=self.target)

    # -- using a page as a person does ---------------------------------------------------------

    def navigate(self, url: str) -> None:
        """Load another page in this tab."""
        self.send("Page.navigate", url=url)
        self.browser.wait_for("Page.loadEventFired", self.session)

    def fill(self, selector: str, value: str) -> None:
        """Type a value into a form field."""
        done = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            f" if (!e) return false; e.value = {json.dumps(value)}; return true; }})()"
        )
        assert done, f"no field {selector}"

    def press(self, selector: str) -> None:
        """Click a button with the mouse, as a person would, and wait for the page it loads."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView(); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        assert box, f"no button {selector}"
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box[0],
                y=box[1],
                button="left",
                clickCount=1,
            )
        self.browser.wait_for("Page.loadEventFired", self.session)

    def text(self) -> str:
        """The page's visible text."""
        return str(self.evaluate("document.body.innerText"))

    def url(self) -> str:
        return str(self.evaluate("location.href"))


AXE = Path(__file__).parent.parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(tab: Tab) -> list[str]:
    """axe-core's serious and critical violations of the page in ``tab``, one line each
    (axe-core comes from npm: ``make browser-deps``)."""
    assert AXE.is_file(), "axe-core is not installed: `make browser-deps` installs it"
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    found = tab.evaluate(
        "axe.run().then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ' (' + v.impact + '): '"
        " + v.nodes.map(n => n.target.join(' ')).join(', ')))",
        wait=True,
    )
    return list(found)
