"""A class's grades as files: grades.csv, the import layouts of Canvas and Moodle, and a feedback page per student.

Every text cell that a spreadsheet could take for a formula (=, +, -, @, a tab or a carriage return first) is written
with a leading apostrophe, as OWASP advises against CSV injection; the numbers are hnn's own. The same grades give the
same bytes.

Canvas (its gradebook importer, canvas-lms app/models/gradebook_importer.rb): a header row that starts Student, ID and
ends its student columns with Section (here Student, ID, SIS User ID, SIS Login ID, Section), then one column per
assignment, named by its title (a title Canvas does not know makes a new assignment); a row whose first cell says
Points Possible sets the assignment's points; a student is found by ID (Canvas's own number, left empty here), else by
SIS User ID, else by SIS Login ID; an empty score changes nothing. Moodle (docs.moodle.org, Grade import, and
grade/import/csv/classes/load_data.php): any CSV whose columns the import maps by hand, one of them to the user's
ID number, username or email address (its "Map from" / "Map to"), the others to a grade item and, if wanted, its
feedback; a row whose user is not in the course stops the whole import.
"""
from __future__ import annotations

import csv
import html
import io

from hnn.classroom.capture import printable
from hnn.classroom.exercises import TASKS

SCORED = ("graded", "error")  # a grade that counts: what an error left unanswered scores 0, what it answered counts


def _cell(text: str) -> str:
    """A text cell no spreadsheet takes for a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(points: float) -> str:
    return f"{points:g}"


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)  # RFC 4180's line ends, which both importers read
    return text.getvalue().encode("utf-8")


def plain(grades: list, points: dict) -> bytes:
    """grades.csv: one row per student on the roster, in its order: student_id, name, the points of each exercise,
    total, max, status (graded, error, not submitted, not graded) and a note when the submission did not run to its end."""
    rows = [["student_id", "name", *TASKS, "total", "max", "status", "note"]]
    for grade in grades:
        scores = ([_number(grade.tasks[task].points) for task in TASKS] + [_number(grade.total)]
                  if grade.status in SCORED else [""] * (len(TASKS) + 1))
        rows.append([_cell(grade.student.student_id), _cell(grade.student.name), *scores, _number(sum(points.values())),
                     grade.status, _cell(grade.note)])
    return _csv(rows)


def canvas(grades: list, points: dict, assignment: str) -> bytes:
    """Canvas's gradebook import: each student with a score, found by SIS User ID (the roster's student_id)."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", _cell(assignment)],
            ["Points Possible", "", "", "", "", _number(sum(points.values()))]]
    for grade in grades:
        if grade.status in SCORED:
            rows.append([_cell(grade.student.name or grade.student.student_id), "", _cell(grade.student.student_id), "", "",
                         _number(grade.total)])
    return _csv(rows)


def moodle(grades: list, points: dict, assignment: str) -> bytes:
    """Moodle's CSV grade import: each student with a score, an ID number column to map to the user, the score, and a
    feedback column (each exercise's points) to map to the grade item's feedback, or to ignore."""
    rows = [["ID number", "Name", _cell(assignment), "Feedback"]]
    for grade in grades:
        if grade.status in SCORED:
            summary = ", ".join(f"({task}) {_number(grade.tasks[task].points)} of {_number(points[task])}" for task in TASKS)
            rows.append([_cell(grade.student.student_id), _cell(grade.student.name), _number(grade.total),
                         _cell(f"{summary}. The submission {grade.note}." if grade.note else summary)])
    return _csv(rows)


LAYOUTS = {"canvas": canvas, "moodle": moodle}

STYLE = """body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem; border-bottom: 1px solid #c8c8c8; }
td.points { white-space: nowrap; }
.ok { color: #1b5e20; } .wrong, .error { color: #9c0010; } .unanswered { color: #5f4b00; }
.note { border-left: 4px solid #9c0010; padding-left: 0.8rem; }"""


def page(grade, points: dict, assignment: str) -> bytes:
    """A student's feedback page: each exercise's points and what each answer was judged to be, never the answer."""
    e = lambda text: html.escape(str(text))  # noqa: E731
    student = grade.student
    who = f"{e(student.name)} ({e(student.student_id)})" if student.name else e(student.student_id)
    worth = _number(sum(points.values()))
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<title>Feedback on {e(assignment)} for {e(student.name or student.student_id)}</title>\n"
             f"<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>Feedback on {e(assignment)}</h1>\n"]
    if grade.status == "not submitted":
        parts.append(f"<p>{who}: no submission was found.</p>\n")
    elif grade.status == "not graded":
        parts.append(f"<p>{who}: your submission could not be graded yet; your instructor will grade it again.</p>\n")
    else:
        parts.append(f"<p>{who} · submission <code>{e(printable(grade.submission.name, 80))}</code> · "
                     f"<strong>{_number(grade.total)} of {worth} points</strong></p>\n")
        if grade.note:
            parts.append(f"<p class=\"note\">The submission {e(grade.note)}.</p>\n")
        parts.append("<table>\n<thead><tr><th scope=\"col\">Exercise</th><th scope=\"col\">Points</th>"
                     "<th scope=\"col\">Feedback</th></tr></thead>\n<tbody>\n")
        for task in TASKS:
            result = grade.tasks[task]
            lines = "<br>\n".join(e(line) for line in result.lines)
            parts.append(f"<tr class=\"{result.status}\"><th scope=\"row\">({task})</th>"
                         f"<td class=\"points\">{_number(result.points)} of {_number(points[task])}</td>"
                         f"<td>{lines}</td></tr>\n")
        parts.append("</tbody>\n</table>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")
