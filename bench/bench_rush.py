"""Registration rush: concurrent learners register through the app (JSON API and HTML form) and through a bare floor.

``make bench`` runs it with the others; alone: ``.venv/bin/python -m bench rush``.

It builds its own PostgreSQL database (``guichet_bench_rush``, dropped at the end): the demo
data at ``RUSH_SCALE`` plus a rush term of ``RUSH_SECTIONS`` sections of ``RUSH_CAPACITY``
seats and ``RUSH_LEARNERS`` eligible learners, each with a JWT and an open login session
(cookie + CSRF token) prepared in advance. It starts its own Redis and, one after the other,
gunicorn on ``bench.rush_floor`` (the seat SQL alone) and on the application (production
configuration), drives each with wrk (``bench/rush.lua``: every request a distinct learner,
sections in turn) at ``RUSH_CONNECTIONS`` connections for ``RUSH_SECONDS`` seconds, prints
registrations per second, p50/p95/p99, errors and app ÷ floor, then checks the books: no
section oversold, seats_taken equal to the seat-holding rows, waiting lists numbered 1..n,
nobody waiting while a seat is free. Between phases the rush sections are emptied again.
Results go to ``bench/results/rush.json``. Nothing here is a pass/fail on time.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
LUA = Path(__file__).resolve().parent / "rush.lua"
DATABASE = "guichet_bench_rush"
PG = os.environ.get("RUSH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SCALE = setting("RUSH_SCALE", 1)
SECTIONS = setting("RUSH_SECTIONS", 200)
CAPACITY = setting("RUSH_CAPACITY", 50)
LEARNERS = setting("RUSH_LEARNERS", 30000)
CONNECTIONS = setting("RUSH_CONNECTIONS", 200)
SECONDS = setting("RUSH_SECONDS", 10)
WORKERS = setting("RUSH_WORKERS", 2 * (os.cpu_count() or 1) + 1)
WRK_THREADS = setting("RUSH_WRK_THREADS", 2)
WORKER_CLASS = os.environ.get("RUSH_WORKER_CLASS", "sync")
PHASES = [p for p in os.environ.get("RUSH_PHASES", "floor,api,form").split(",") if p]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def stop(process: subprocess.Popen | None) -> None:
    """Stop a server started here (its own process group: gunicorn's master and workers)."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- the database ---------------------------------------------------------------------------------

def recreate_database() -> str:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{PG}/{DATABASE}"


def drop_database() -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def server_env(url: str, redis_url: str, secret: str) -> dict:
    """The production configuration the app runs with under gunicorn (no HTTPS redirect on loopback)."""
    env = dict(os.environ)
    # production refuses to start without a Fernet key for the TOTP secrets: one per run, from the secret
    totp_key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()
    env.update(APP_ENV="production", DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY=secret,
               TOTP_ENCRYPTION_KEY=totp_key, FORCE_HTTPS="false", PUBLIC_BASE_URL="http://127.0.0.1",
               RUSH_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    env.pop("MAIL_SERVER", None)
    return env


def build_app(url: str, redis_url: str, secret: str):
    """The application in this process, configured like the gunicorn one, to seed and to sign cookies."""
    saved = dict(os.environ)
    os.environ.update(server_env(url, redis_url, secret))
    try:
        import importlib

        import config

        importlib.reload(config)
        from app import create_app

        return create_app(config.ProductionConfig())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def seed(app) -> dict:
    """Migrate, seed roles and the demo at RUSH_SCALE, then the rush term and its learners."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.services.access import seed_roles
    from app.demo import seed_demo

    with app.app_context():
        upgrade()
        seed_roles(app.appbuilder)
        started = time.perf_counter()
        counts = seed_demo(db.session, app.appbuilder, scale=SCALE)
        counts["seed_seconds"] = round(time.perf_counter() - started, 1)
        section_ids = rush_term(db.session)
        learners = rush_learners(db.session, app)
        db.session.commit()
    return {"counts": counts, "section_ids": section_ids, "learners": learners}


def rush_term(session) -> list[int]:
    """A term open for registration today with SECTIONS part-time sections of CAPACITY seats."""
    from sqlalchemy import insert, select

    from app.models import Course, CourseFormat, Section, SectionStatus, Site
    from app.models.catalogue import Meeting, Term

    today = dt.date.today()
    term = Term(code="RUSH", name_fr="Session de la ruée", name_en="Rush term", starts_on=today + dt.timedelta(30),
                ends_on=today + dt.timedelta(107), registration_opens=today - dt.timedelta(1),
                registration_closes=today + dt.timedelta(10), drop_deadline=today + dt.timedelta(44))
    course = Course(code="RUSH-101", title_fr="Français, jour d'inscription", title_en="French, registration day",
                    format=CourseFormat.PART_TIME, level_min=1, level_max=12, hours_per_week=6, total_hours=66,
                    weeks=11)
    session.add_all([term, course])
    session.flush()
    site = session.scalars(select(Site).order_by(Site.id)).first()
    rows = [{"code": f"R{i:04d}", "course_id": course.id, "term_id": term.id, "site_id": site.id,
             "partner_id": site.partner_id, "capacity": CAPACITY, "seats_taken": 0,
             "status": SectionStatus.OPEN, "starts_on": term.starts_on, "ends_on": term.ends_on}
            for i in range(SECTIONS)]
    ids = list(session.scalars(insert(Section).returning(Section.id, sort_by_parameter_order=True), rows))
    session.execute(insert(Meeting), [
        {"section_id": sid, "weekday": 1 + i % 5, "starts_at": dt.time(8 + i % 10), "ends_at": dt.time(9 + i % 10)}
        for i, sid in enumerate(ids)])
    return ids


def rush_learners(session, app) -> list[tuple[int, int]]:
    """LEARNERS accounts with the Learner role and an eligible learner file: (user id, learner id)."""
    from flask_appbuilder.security.sqla.models import User, assoc_user_role
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from app.models import ClientCategory, Language, Learner

    role = app.appbuilder.sm.find_role("Learner")
    category_id = session.scalar(select(ClientCategory.id).order_by(ClientCategory.id))
    password = generate_password_hash(secrets.token_urlsafe(16))  # nobody logs in with it
    now = dt.datetime.now()
    users = [{"first_name": f"Rush{i}", "last_name": "Bench", "username": f"rush{i:06d}",
              "email": f"rush{i:06d}@bench.example", "password": password, "active": True,
              "created_on": now, "changed_on": now, "login_count": 0, "fail_login_count": 0}
             for i in range(LEARNERS)]
    user_ids = list(session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), users))
    session.execute(insert(assoc_user_role), [{"user_id": uid, "role_id": role.id} for uid in user_ids])
    learners = [{"user_id": uid, "file_number": f"FQ-RUSH-{i:06d}", "first_name": f"Rush{i}", "last_name": "Bench",
                 "email": f"rush{i:06d}@bench.example", "birth_date": dt.date(1990, 1, 1) + dt.timedelta(i % 3000),
                 "category_id": category_id, "preferred_language": Language.FR if i % 3 else Language.EN,
                 "current_level": 1 + i % 12, "living_abroad": False}
                for i, uid in enumerate(user_ids)]
    learner_ids = list(session.scalars(insert(Learner).returning(Learner.id, sort_by_parameter_order=True), learners))
    return list(zip(user_ids, learner_ids, strict=True))


def credentials(app, learners: list[tuple[int, int]]) -> list[tuple[str, str, str]]:
    """For each learner: a JWT, and a login session (signed cookie with the CSRF secret, form token).

    The session rows are opened as the login form would (``services.login_sessions``); the cookie
    is signed with the app's own serializer, so the server accepts it like one it set itself.
    """
    from flask_jwt_extended import create_access_token
    from flask_login.utils import _create_identifier
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import UserSession

    serializer = app.session_interface.get_signing_serializer(app)
    csrf_signer = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.config["SECRET_KEY"],
                                         salt="wtf-csrf-token")
    out, rows = [], []
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"User-Agent": "rush-bench"}):
        identifier = _create_identifier()
        now = dt.datetime.now(dt.UTC)
        for user_id, _learner_id in learners:
            token = create_access_token(identity=str(user_id), fresh=True)
            sid = secrets.token_urlsafe(32)
            csrf_raw = hashlib.sha1(os.urandom(64)).hexdigest()
            cookie = serializer.dumps({"_user_id": str(user_id), "_fresh": True, "_id": identifier, "sid": sid,
                                       "_permanent": True, "csrf_token": csrf_raw, "locale": "fr"})
            rows.append({"user_id": user_id, "token_hash": hashlib.sha256(sid.encode()).hexdigest(),
                         "created_at": now, "last_seen_at": now, "ip": "127.0.0.1", "user_agent": "rush-bench"})
            out.append((token, cookie, csrf_signer.dumps(csrf_raw)))
        db.session.execute(insert(UserSession), rows)
        db.session.commit()
    return out


def write_datafile(path: Path, learners, section_ids, creds) -> None:
    with path.open("w") as f:
        for i, ((_user_id, learner_id), (token, cookie, csrf)) in enumerate(zip(learners, creds, strict=True)):
            f.write(f"{learner_id}\t{section_ids[i % len(section_ids)]}\t{token}\t{cookie}\t{csrf}\n")


# --- the books --------------------------------------------------------------------------------------

CHECKS = {
    "oversold_sections": "SELECT count(*) FROM section WHERE term_id = :t AND seats_taken > capacity",
    "seat_count_mismatches": """
        SELECT count(*) FROM section s WHERE s.term_id = :t AND s.seats_taken <> (
          SELECT count(*) FROM enrolment e WHERE e.section_id = s.id AND e.status IN ('enrolled', 'offered'))""",
    "broken_waiting_lists": """
        SELECT count(*) FROM (SELECT e.section_id FROM enrolment e JOIN section s ON s.id = e.section_id
          WHERE s.term_id = :t AND e.status = 'waitlisted' GROUP BY e.section_id
          HAVING min(e.position) <> 1 OR max(e.position) <> count(*) OR count(DISTINCT e.position) <> count(*)) w""",
    "waiting_while_seats_free": """
        SELECT count(DISTINCT s.id) FROM section s JOIN enrolment e ON e.section_id = s.id
          WHERE s.term_id = :t AND e.status = 'waitlisted' AND s.seats_taken < s.capacity""",
}
COUNTS = """SELECT count(*) FILTER (WHERE e.status = 'enrolled'), count(*) FILTER (WHERE e.status = 'waitlisted'),
            count(*) FROM enrolment e JOIN section s ON s.id = e.section_id WHERE s.term_id = :t"""


def check_books(engine, term_id: int) -> dict:
    from sqlalchemy import text

    with engine.connect() as conn:
        result = {name: conn.scalar(text(sql), {"t": term_id}) for name, sql in CHECKS.items()}
        enrolled, waitlisted, rows = conn.execute(text(COUNTS), {"t": term_id}).one()
    result.update(enrolled=enrolled, waitlisted=waitlisted, enrolment_rows=rows)
    return result


def empty_rush_term(engine, term_id: int) -> None:
    """Back to an empty rush term: no enrolment, no seat taken, every session seen just now."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM enrolment WHERE section_id IN (SELECT id FROM section WHERE term_id = :t)"),
                     {"t": term_id})
        conn.execute(text("UPDATE section SET seats_taken = 0 WHERE term_id = :t"), {"t": term_id})
        conn.execute(text("UPDATE user_session SET last_seen_at = now() AT TIME ZONE 'utc' "
                          "WHERE user_agent = 'rush-bench'"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE enrolment"))
        conn.execute(text("VACUUM ANALYZE section"))


# --- servers and load -------------------------------------------------------------------------------

def start_gunicorn(target: str, env: dict, port: int, log: Path) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(WORKERS), "--worker-class", WORKER_CLASS,
               "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "60", "--log-level", "warning",
               "--no-control-socket", target]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    wait_for_port(port, process)
    return process


def probe(port: int, path: str, headers: dict, seconds: float = 120) -> int:
    """The status of a GET, retried until the server answers (workers still starting)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": "rush-bench", **headers})
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def warm_up(port: int, path: str, headers: dict) -> None:
    """Every worker started and warm (imports, templates, pools) before the measured run."""
    command = ["wrk", "-t", "1", "-c", str(2 * WORKERS), "-d", "3s", "--timeout", "10s", "-H", "User-Agent: rush-bench"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=60, check=True)


def drive(port: int, mode: str, datafile: Path) -> dict:
    """wrk at CONNECTIONS connections for SECONDS; the summary that rush.lua prints."""
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--timeout", "10s",
               "-s", str(LUA), f"http://127.0.0.1:{port}", "--", mode, str(datafile), str(WRK_THREADS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 120, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RUSHJSON "))
    raw = json.loads(line[len("RUSHJSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["status_4xx"] + raw["status_5xx"] + sum(raw["socket_errors"].values())
    if mode == "form":
        errors += raw["refused"] - raw["status_4xx"] - raw["status_5xx"]  # a refusal flashed on the section page
    return {"requests": raw["requests"], "seconds": round(seconds, 2), "registrations": raw["ok"],
            "registrations_per_s": round(raw["ok"] / seconds, 1), "errors": errors,
            "server_errors": raw["status_5xx"], "socket_errors": raw["socket_errors"],
            "status": {k: raw[f"status_{k}"] for k in ("2xx", "3xx", "4xx", "5xx")}, "learners_reused": raw["wrapped"],
            "latency_ms": {k: round(v / 1000, 1) for k, v in raw["latency_us"].items()}}


def phase(name: str, target: str, mode: str, env: dict, datafile: Path, engine, term_id: int,
          probe_request: tuple[str, dict]) -> dict:
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"guichet-rush-{name}.log"
    server = start_gunicorn(target, env, port, log)
    try:
        status = probe(port, *probe_request)
        if status != 200:
            raise RuntimeError(f"{name}: the prepared credentials were refused ({status}); see {log}")
        warm_up(port, *probe_request)
        load = os.getloadavg()[0]
        figures = drive(port, mode, datafile)
    finally:
        stop(server)
    figures["load_average_before"] = round(load, 2)
    figures["books"] = check_books(engine, term_id)
    empty_rush_term(engine, term_id)
    return figures


def report_line(name: str, f: dict, floor: dict | None) -> str:
    ratio = f" | {f['registrations_per_s'] / floor['registrations_per_s']:.2f}× the floor" if floor else ""
    lat = f["latency_ms"]
    books = f["books"]
    return (f"{name:<24} {f['registrations_per_s']:8.1f} reg/s  p50 {lat['p50']:7.1f} ms  p95 {lat['p95']:7.1f} ms  "
            f"p99 {lat['p99']:7.1f} ms  errors {f['errors']} (5xx {f['server_errors']}){ratio}\n"
            f"{'':<24} books: {books['enrolled']} seats + {books['waitlisted']} waiting; oversold "
            f"{books['oversold_sections']}, seat counts off {books['seat_count_mismatches']}, waiting lists broken "
            f"{books['broken_waiting_lists']}, waiting while free {books['waiting_while_seats_free']}")


def run() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (make bench does it when it may)")
    from sqlalchemy import create_engine, select

    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"guichet-rush-{os.getpid()}"
    workdir.mkdir(exist_ok=True)
    engine = None
    try:
        wait_for_port(redis_port, redis)
        secret = secrets.token_urlsafe(48)
        url = recreate_database()
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        started = time.perf_counter()
        app = build_app(url, redis_url, secret)
        seeded = seed(app)
        creds = credentials(app, seeded["learners"])
        datafile = workdir / "learners.tsv"
        write_datafile(datafile, seeded["learners"], seeded["section_ids"], creds)
        print(f"prepared in {time.perf_counter() - started:.0f} s: demo at scale {SCALE} "
              f"({seeded['counts']['sections']} sections, {seeded['counts']['learners']} learners), rush term of "
              f"{SECTIONS} sections x {CAPACITY} seats, {LEARNERS} learners with a JWT and a login session")
        from app.extensions import db
        from app.models.catalogue import Term

        with app.app_context():
            term_id = db.session.scalar(select(Term.id).where(Term.code == "RUSH"))
            db.session.remove()
            db.engine.dispose()
        engine = create_engine(url)
        env = server_env(url, redis_url, secret)
        print(f"gunicorn {WORKERS} {WORKER_CLASS} workers per server; wrk {WRK_THREADS} threads, "
              f"{CONNECTIONS} connections, {SECONDS} s per phase; load average now {os.getloadavg()[0]:.2f}")
        last_token, last_cookie = creds[-1][0], creds[-1][1]
        plans = {
            "floor": ("bench.rush_floor:app", "floor", ("/health", {})),
            "api": ("run:app", "api", ("/api/v1/my/enrolments", {"Authorization": f"Bearer {last_token}"})),
            "form": ("run:app", "form", ("/my/enrolments/", {"Cookie": f"session={last_cookie}"})),
        }
        results = {}
        for name in PHASES:
            target, mode, probe_request = plans[name]
            results[name] = phase(name, target, mode, env, datafile, engine, term_id, probe_request)
            floor = results.get("floor") if name != "floor" else None
            print(report_line({"floor": "floor (bare Flask + SQL)", "api": "app, JSON API",
                               "form": "app, HTML form"}[name], results[name], floor))
        record(results)
    finally:
        stop(redis)
        if engine is not None:
            engine.dispose()
        if not os.environ.get("RUSH_KEEP_DB"):
            drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


def record(results: dict) -> None:
    floor = results.get("floor")
    for name in ("api", "form"):
        if floor and name in results:
            results[name]["ratio_to_floor"] = round(
                results[name]["registrations_per_s"] / floor["registrations_per_s"], 3)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": "rush", "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit.strip(), "command": "make bench  (alone: .venv/bin/python -m bench rush)",
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {"scale": SCALE, "sections": SECTIONS, "capacity": CAPACITY, "learners": LEARNERS,
                     "connections": CONNECTIONS, "seconds": SECONDS, "gunicorn_workers": WORKERS,
                     "gunicorn_worker_class": WORKER_CLASS, "wrk_threads": WRK_THREADS},
        "results": results,
    }
    path = RESULTS / "rush.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
