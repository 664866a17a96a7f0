"""Reports at scale: the full indicator set and the XLSX export over 100,000 learners and 1,000,000 enrolments.

Generates the data on a fresh PostgreSQL database with set-based ``INSERT … SELECT generate_series``
(no ORM), then prints the time and the peak Python memory of ``reports.indicator_set`` (no filter,
and one region) and of the XLSX export, and the ``EXPLAIN (ANALYZE, BUFFERS)`` plans of the three
slowest statements of the indicator set. Run it alone with ``.venv/bin/python -m bench bench_reports``
(``BENCH_REPORTS_LEARNERS`` scales it down: enrolments are ten per learner).
"""
from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
import tracemalloc
import uuid

from sqlalchemy import create_engine, event, text

from app.extensions import db
from config import TestConfig

PG_SERVER = os.environ.get("TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
LEARNERS = int(os.environ.get("BENCH_REPORTS_LEARNERS", "100000"))
ENROLMENTS_PER_LEARNER = 10
REPEAT = 3

# Set-based generation: every statement inserts all its rows at once. Values cycle through the
# reference rows with modular arithmetic and hashtext() for spread, so a run is reproducible.
GENERATE = [
    # reference data and the offer
    """INSERT INTO region (id, code, name_fr, name_en)
       SELECT g, lpad(g::text, 2, '0'), 'Région ' || g, 'Region ' || g FROM generate_series(1, 17) g""",
    """INSERT INTO client_category (id, code, name_fr, name_en)
       SELECT g, 'cat' || g, 'Catégorie ' || g, 'Category ' || g FROM generate_series(1, 4) g""",
    """INSERT INTO partner (id, name, type, region_id, active)
       SELECT g, 'Partenaire ' || g, (ARRAY['school_service_centre','cegep','university','community'])[1 + g % 4],
              1 + g % 17, true FROM generate_series(1, 60) g""",
    """INSERT INTO course (id, code, title_fr, title_en, format, level_min, level_max, hours_per_week, total_hours,
                           weeks, with_tutor, active)
       SELECT g, 'C' || g, 'Cours ' || g, 'Course ' || g,
              (ARRAY['full_time','part_time','online','workplace'])[1 + g % 4],
              1 + 4 * ((g / 4) % 3), 4 + 4 * ((g / 4) % 3), 6, 66, 11, false, true
       FROM generate_series(0, 23) g""",
    """INSERT INTO term (id, code, name_fr, name_en, starts_on, ends_on, registration_opens, registration_closes,
                         drop_deadline, use_offers, offer_hours)
       SELECT g, 'T' || g, 'Session ' || g, 'Term ' || g, DATE '2024-01-08' + 91 * g, DATE '2024-01-08' + 91 * g + 76,
              DATE '2024-01-08' + 91 * g - 40, DATE '2024-01-08' + 91 * g - 1, DATE '2024-01-08' + 91 * g + 14,
              false, 48
       FROM generate_series(1, 12) g""",
    # 60 partners x 12 terms x 4 courses = 2,880 groups
    """INSERT INTO section (id, code, course_id, term_id, partner_id, capacity, seats_taken, status, delivery,
                           starts_on, ends_on)
       SELECT row_number() OVER (), 'S-' || p || '-' || t || '-' || k, (p * 7 + k * 5) % 24, t, p, 400, 0, 'open',
              'in_person', DATE '2024-01-08' + 91 * t, DATE '2024-01-08' + 91 * t + 76
       FROM generate_series(1, 60) p, generate_series(1, 12) t, generate_series(0, 3) k""",
    """INSERT INTO capacity_declaration (partner_id, term_id, region_id, format, level_min, level_max,
                                        groups_offered, seats_offered, declared_at)
       SELECT p, t, 1 + p % 17, (ARRAY['full_time','part_time','online','workplace'])[1 + (p + t) % 4],
              1 + 4 * ((p + t) % 3), 4 + 4 * ((p + t) % 3), 3, 60, now()
       FROM generate_series(1, 60) p, generate_series(1, 12) t""",
    # people
    """INSERT INTO learner (id, file_number, first_name, last_name, email, birth_date, category_id, region_id,
                           living_abroad, preferred_language, current_level, children_in_care, consent_data_sharing,
                           consent_employer_progress, created_at)
       SELECT g, 'FQ-B-' || g, 'Prénom', 'Nom ' || g, 'b' || g || '@example.org', DATE '1980-01-01' + g % 9000,
              1 + g % 4, 1 + abs(hashtext('r' || g)) % 17, false, 'fr',
              CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + abs(hashtext('l' || g)) % 12 END, 0, false, false, now()
       FROM generate_series(1, :learners) g""",
    # one application per learner: 55 % started a course, 20 % waiting (approved or complete), 10 % refused,
    # 5 % withdrawn, 10 % still submitted; complete 2024-02 .. 2026-10, first course 5..80 calendar days later
    """INSERT INTO application (id, learner_id, format_wanted, region_id, status, created_at, submitted_at,
                               complete_at, decided_at, first_course_at, consent_truthful, consent_privacy)
       SELECT g, g, (ARRAY['full_time','part_time','online','workplace'])[1 + abs(hashtext('f' || g)) % 4],
              1 + abs(hashtext('r' || g)) % 17,
              CASE WHEN g % 20 < 11 THEN 'approved' WHEN g % 20 < 13 THEN 'approved' WHEN g % 20 < 15 THEN 'complete'
                   WHEN g % 20 < 17 THEN 'refused' WHEN g % 20 < 18 THEN 'withdrawn' ELSE 'submitted' END,
              s.at - interval '5 days', s.at - interval '3 days',
              CASE WHEN g % 20 < 17 THEN s.at END,
              CASE WHEN g % 20 < 13 OR g % 20 IN (15, 16) THEN s.at + interval '4 days' END,
              CASE WHEN g % 20 < 11 THEN CAST(s.at AS DATE) + 5 + abs(hashtext('d' || g)) % 75 END, true, true
       FROM generate_series(1, :learners) g,
            LATERAL (SELECT TIMESTAMPTZ '2024-02-01 15:00+00' + (abs(hashtext('c' || g)) % 1000) * interval '1 day'
                     AS at) s""",
    """INSERT INTO application_event (application_id, from_status, to_status, at)
       SELECT id, 'submitted', 'complete', complete_at FROM application WHERE complete_at IS NOT NULL
       UNION ALL
       SELECT id, 'complete', status, decided_at FROM application WHERE decided_at IS NOT NULL
       UNION ALL
       SELECT id, 'submitted', 'withdrawn', submitted_at + interval '2 days' FROM application
       WHERE status = 'withdrawn'""",
    # ten places per learner on ten distinct groups (104729 is prime: k * 104729 differ modulo 2880)
    """INSERT INTO enrolment (learner_id, section_id, status, position, reason, created_at, enrolled_at, ended_at)
       SELECT l, 1 + (l * 7919 + k * 104729) % 2880, st.status,
              CASE WHEN st.status = 'waitlisted' THEN 1 + k END,
              CASE WHEN st.status = 'dropped' THEN (ARRAY['found_job','moved','health','schedule','childcare','level',
                                                          'other: raison donnée', NULL])[1 + (l + k) % 8] END,
              now(),
              CASE WHEN st.status <> 'waitlisted' THEN TIMESTAMPTZ '2024-03-01 14:00+00' + k * interval '60 days' END,
              CASE WHEN st.status IN ('dropped','completed','failed')
                   THEN TIMESTAMPTZ '2024-04-01 14:00+00' + k * interval '60 days' END
       FROM generate_series(1, :learners) l, generate_series(0, 9) k,
            LATERAL (SELECT CASE WHEN (l * 31 + k * 17) % 100 < 50 THEN 'completed'
                                 WHEN (l * 31 + k * 17) % 100 < 68 THEN 'dropped'
                                 WHEN (l * 31 + k * 17) % 100 < 75 THEN 'failed'
                                 WHEN (l * 31 + k * 17) % 100 < 85 THEN 'enrolled'
                                 ELSE 'waitlisted' END AS status) st""",
    """INSERT INTO attendance (enrolment_id, day, hours_scheduled, hours_present, justified)
       SELECT id, DATE '2024-03-04' + id % 700, 6, 2 + id % 5, false FROM enrolment WHERE enrolled_at IS NOT NULL""",
    """INSERT INTO placement_result (learner_id, application_id, skill, level, assessed_on)
       SELECT g, g, (ARRAY['oral_comprehension','oral_production','written_comprehension','written_production'])[1 + s],
              1 + (g + s) % 8, DATE '2024-02-10' FROM generate_series(1, :learners) g, generate_series(0, 3) s""",
    """INSERT INTO exam_result (learner_id, section_id, skill, level, passed, taken_on)
       SELECT e.learner_id, e.section_id,
              (ARRAY['oral_comprehension','oral_production','written_comprehension',
                     'written_production'])[1 + e.id % 4],
              1 + (e.id % 12), e.id % 5 <> 0, DATE '2024-04-01' + e.id % 900
       FROM enrolment e WHERE e.status IN ('completed', 'failed') AND e.id % 2 = 0""",
    """INSERT INTO allowance (learner_id, enrolment_id, period_start, period_end, kind, sequence, quantity, amount,
                             status, created_at)
       SELECT e.learner_id, e.id, DATE '2024-03-04' + 7 * (e.id % 120), DATE '2024-03-08' + 7 * (e.id % 120),
              (ARRAY['participation','transport','childcare'])[1 + e.id % 3], 0, 1,
              (ARRAY[230, 25, 45])[1 + e.id % 3], (ARRAY['paid','paid','approved','pending','cancelled'])[1 + e.id % 5],
              now()
       FROM enrolment e WHERE e.status IN ('completed', 'enrolled') AND e.id % 3 = 0""",
]


def fresh_database() -> tuple[str, object]:
    name = f"gf_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return name, admin


def build(url: str):
    from flask_migrate import upgrade

    from app import create_app

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                 "EXPORT_DIR": tempfile.mkdtemp(prefix="gf_bench_exports_")})
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def generate(app) -> float:
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in GENERATE:
                conn.execute(text(statement).bindparams(learners=LEARNERS) if ":learners" in statement
                             else text(statement))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            counts = {table: conn.scalar(text(f"SELECT count(*) FROM {table}"))  # nosec B608 - fixed names
                      for table in ("learner", "application", "application_event", "enrolment", "attendance",
                                    "exam_result", "allowance", "section")}
    print("generated: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    return time.perf_counter() - started


def timed(app, work) -> tuple[float, float]:
    """Median seconds of REPEAT runs, then the peak of Python allocations (MiB) of one more."""
    seconds = []
    for _ in range(REPEAT):
        with app.app_context():
            started = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - started)
            db.session.remove()
    with app.app_context():
        tracemalloc.start()
        work()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.remove()
    return statistics.median(seconds), peak / 2**20


def slowest_statements(app, filters, today, keep: int = 3) -> list[tuple[float, str, object]]:
    from app.services import reports

    recorded = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        recorded.append((time.perf_counter() - conn.info.pop("started"), statement, parameters))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            reports.indicator_set(db.session, filters, today)
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        db.session.remove()
    return sorted(recorded, key=lambda r: r[0], reverse=True)[:keep]


def explain(app, statement: str, parameters) -> str:
    with app.app_context():
        with db.engine.connect() as conn:
            cursor = conn.connection.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        db.session.remove()
    return plan


def run() -> None:
    import datetime as dt

    from app.services import report_exports, reports

    name, admin = fresh_database()
    try:
        app = build(f"{PG_SERVER}/{name}")
        print(f"PostgreSQL, {LEARNERS:,} learners, {LEARNERS * ENROLMENTS_PER_LEARNER:,} enrolment rows")
        print(f"generation (set-based INSERT … SELECT generate_series, then VACUUM ANALYZE): {generate(app):6.1f} s")
        today = dt.date(2026, 11, 2)
        everything = reports.ReportFilters()
        one_region = reports.ReportFilters(region_id=5)
        for label, filters in (("no filter", everything), ("region 05", one_region)):
            seconds, peak = timed(app, lambda f=filters: reports.indicator_set(db.session, f, today))
            print(f"indicator set, {label:9}: {seconds:6.2f} s (median of {REPEAT}), "
                  f"peak Python memory {peak:5.1f} MiB")
        steps, last = [], [time.perf_counter()]

        def step(done, total):
            now = time.perf_counter()
            steps.append(now - last[0])
            last[0] = now

        with app.app_context():
            last[0] = time.perf_counter()
            ind = reports.indicator_set(db.session, everything, today, on_step=step)
            db.session.remove()
        names = ("applications", "time to first course", "waiting", "training", "exams", "follow-up",
                 "allowances", "capacity")
        print("  by indicator: " + ", ".join(f"{name} {seconds:.2f} s"
                                           for name, seconds in zip(names, steps, strict=True)))
        print(f"  waiting {ind.waiting.size:,}, median wait {ind.waiting.age.median} working days, "
              f"enrolments {ind.training.enrolments:,}, dropouts {ind.training.dropped:,}, "
              f"time to first course: median {ind.time_to_first_course.median}, "
              f"p80 {ind.time_to_first_course.p80}, within 50 days "
              f"{ind.time_to_first_course.share_within_standard:.1%}")

        def export():
            with tempfile.TemporaryFile() as handle:
                result = reports.indicator_set(db.session, everything, today)
                report_exports.write_xlsx(handle, db.session, result, publication=True)

        with app.test_request_context():
            seconds, peak = timed(app, export)
        print(f"XLSX export (indicator set + file), no filter: {seconds:6.2f} s (median of {REPEAT}), "
              f"peak Python memory {peak:5.1f} MiB; process max RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.1f} MiB")
        for seconds, statement, parameters in slowest_statements(app, everything, today):
            print(f"\n-- {seconds * 1000:8.1f} ms\n{statement}\n-- parameters: {parameters}")
            print(explain(app, statement, parameters))
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
