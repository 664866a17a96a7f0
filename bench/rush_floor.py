"""The floor of the registration rush: a bare Flask endpoint doing only the seat SQL of a registration.

No authentication, rules, audit, message or job: the conditional UPDATE that takes a seat, the
section row lock and waiting-list position when it is full, the INSERT of the enrolment, one
transaction. Run by bench/bench_rush.py under gunicorn with the same settings as the app
(``gunicorn bench.rush_floor:app`` with ``RUSH_DATABASE_URL``).
"""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

TAKE = text("UPDATE section SET seats_taken = seats_taken + 1 WHERE id = :s AND seats_taken < capacity")
LOCK = text("UPDATE section SET seats_taken = seats_taken WHERE id = :s")
NEXT_POSITION = text("SELECT coalesce(max(position), 0) + 1 FROM enrolment "
                     "WHERE section_id = :s AND status = 'waitlisted'")
INSERT = text("INSERT INTO enrolment (learner_id, section_id, status, position, created_at, enrolled_at) "
              "VALUES (:l, :s, :status, :position, :now, :enrolled_at) RETURNING id")

app = Flask(__name__)
engine = create_engine(os.environ.get("RUSH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres"))


@app.get("/health")
def health():
    with engine.connect() as connection:
        connection.scalar(text("SELECT 1"))
    return "ok"


@app.post("/register")
def register():
    payload = request.get_json()
    learner_id, section_id = int(payload["learner_id"]), int(payload["section_id"])
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        got_seat = connection.execute(TAKE, {"s": section_id}).rowcount == 1
        if not got_seat:
            connection.execute(LOCK, {"s": section_id})
            got_seat = connection.execute(TAKE, {"s": section_id}).rowcount == 1
        position = None if got_seat else connection.scalar(NEXT_POSITION, {"s": section_id})
        enrolment_id = connection.scalar(INSERT, {
            "l": learner_id, "s": section_id, "status": "enrolled" if got_seat else "waitlisted",
            "position": position, "now": now, "enrolled_at": now if got_seat else None})
    return jsonify(id=enrolment_id, status="enrolled" if got_seat else "waitlisted", position=position), 201
