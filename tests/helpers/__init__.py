"""What the tests share, in one place; no test module imports another.

- :mod:`.articles`: articles made to order;
- :mod:`.database`: which database the suite runs on;
- :mod:`.processes`: child processes and :func:`~.processes.wait_for`;
- :mod:`.upstream`: a scripted HTTP server on 127.0.0.1, and feeds to serve from it;
- :mod:`.live`: the app served over real HTTP on 127.0.0.1;
- :mod:`.servers`: HTTP servers (granian, gunicorn, `syndicate serve`, nginx) as child
  processes, and requests to them;
- :mod:`.hub`: a WebSub hub that records pings;
- :mod:`.admin`: signing in to the admin with the Flask test client;
- :mod:`.subscriber`: WebSub subscribers whose callbacks record what the built-in hub sends;
- :mod:`.source_cases`: the fixture-file checks of the source parsers;
- :mod:`.site`: a small site of articles for the pages, and the HTML5 check;
- :mod:`.browser`: headless Chromium over the DevTools protocol.
- :mod:`.fuzzing`: input generators per input kind for the fuzz tests;
- :mod:`.sockets`: a TCP server that misbehaves below HTTP (slowloris, silence);
- :mod:`.consistency`: what a store must look like after any crash;
- :mod:`.outage`: a PostgreSQL cluster of the test's own to stop, a SQLite file held locked.
"""
